"""The weekly digest goes out once a week: on time, exactly once across restarts and races, late if it must,
never for a week before warner had data, and not retried forever."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from structlog.testing import capture_logs

from warner.core import ManualClock
from warner.digest.config import DigestConfig
from warner.digest.failures import TOKEN_REFUSED, DigestFailure
from warner.digest.schedule import DigestScheduler, due_week
from warner.digest.since import record_since
from warner.metrics import Metrics
from warner.store import keys

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp()


@pytest.mark.parametrize(
    ("now", "week"),
    [
        ("2026-11-23 07:59", "2026-W46"),  # Monday before 08:00: last week's digest is not due yet
        ("2026-11-23 08:00", "2026-W47"),
        ("2026-11-29 23:59", "2026-W47"),
        ("2026-11-30 08:00", "2026-W48"),
        ("2027-01-04 08:00", "2026-W53"),  # 2026 has 53 ISO weeks
    ],
)
def test_the_due_week_is_the_last_complete_one_from_monday_eight(now, week) -> None:
    assert due_week(at(now), DigestConfig()) == week


def test_another_send_time_moves_the_due_moment() -> None:
    config = DigestConfig(weekday="tuesday", at="09:30")
    assert due_week(at("2026-11-24 09:29"), config) == "2026-W46"
    assert due_week(at("2026-11-24 09:30"), config) == "2026-W47"


class Outbox:
    def __init__(self, fail: int = 0, error: Exception | None = None) -> None:
        self.sent: list[str] = []
        self.tries: list[str] = []
        self.fail = fail
        self.error = error or ConnectionError("Telegram unreachable")

    async def __call__(self, week: str) -> None:
        self.tries.append(week)
        if self.fail:
            self.fail -= 1
            raise self.error
        await asyncio.sleep(0.01)
        self.sent.append(week)


@pytest.fixture
async def watching(redis) -> None:
    """warner has had data since the beginning of November (most tests are about later weeks)."""
    await record_since(redis, at("2026-11-01 00:00"))


async def test_sent_once_on_monday_and_not_again_after_a_restart(redis, watching) -> None:
    clock, outbox = ManualClock(at("2026-11-23 07:00")), Outbox()
    await redis.set(keys.digest_sent("2026-W46"), "sent earlier")
    first = DigestScheduler(redis, DigestConfig(), outbox, clock)
    assert await first.check() is None  # 07:00: W46 went out last week, W47 not due
    clock.set(at("2026-11-23 08:00"))
    assert await first.check() == "2026-W47"
    restarted = DigestScheduler(redis, DigestConfig(), outbox, clock)  # a new process
    clock.set(at("2026-11-23 08:05"))
    assert await restarted.check() is None
    assert outbox.sent == ["2026-W47"]
    assert (await redis.get(keys.digest_sent("2026-W47"))).startswith(b"sent ")


async def test_two_workers_racing_send_it_once(redis, watching) -> None:
    clock, outbox = ManualClock(at("2026-11-23 08:00")), Outbox()
    workers = [DigestScheduler(redis, DigestConfig(), outbox, clock) for _ in range(3)]
    results = await asyncio.gather(*(w.check() for w in workers))
    assert sorted(r for r in results if r) == ["2026-W47"]
    assert outbox.sent == ["2026-W47"]


async def test_a_service_down_on_monday_catches_up_when_it_is_back(redis, watching) -> None:
    clock, outbox = (
        ManualClock(
            at("2026-11-25 14:30"),
        ),
        Outbox(),
    )  # Wednesday afternoon
    assert await DigestScheduler(redis, DigestConfig(), outbox, clock).check() == "2026-W47"
    assert outbox.sent == ["2026-W47"]


async def test_a_failed_send_is_retried_after_a_minute_and_does_not_raise(redis, watching) -> None:
    clock, outbox = ManualClock(at("2026-11-23 08:00")), Outbox(fail=1)
    scheduler = DigestScheduler(redis, DigestConfig(), outbox, clock)
    assert await scheduler.check() is None
    clock.advance(30)
    assert await scheduler.check() is None and outbox.tries == ["2026-W47"]  # backing off
    clock.advance(30)
    assert await scheduler.check() == "2026-W47"
    assert outbox.sent == ["2026-W47"]


async def test_a_worker_killed_while_sending_leaves_a_lease_that_expires(redis, watching) -> None:
    clock, outbox = ManualClock(at("2026-11-23 08:00")), Outbox()
    await redis.set(keys.digest_sent("2026-W47"), "sending dead-worker", ex=600)  # killed mid-send
    scheduler = DigestScheduler(redis, DigestConfig(), outbox, clock)
    assert await scheduler.check() is None  # it might still be sending: do not send twice
    await redis.pexpire(keys.digest_sent("2026-W47"), 1)  # the lease runs out
    await asyncio.sleep(0.01)
    assert await scheduler.check() == "2026-W47"
    assert outbox.sent == ["2026-W47"]


async def test_a_fresh_install_sends_nothing_for_the_week_before_it_started(redis) -> None:
    clock, outbox = ManualClock(at("2026-12-01 10:00")), Outbox()  # first started on a Tuesday of W49
    with capture_logs() as logs:
        for _ in range(3):  # every minute, and a second worker
            assert await DigestScheduler(redis, DigestConfig(), outbox, clock).check() is None
            clock.advance(60)
    assert outbox.tries == []  # no "KW 48 … 0 Erwähnungen" for a week warner never watched
    assert [(e["event"], e["week"], e["reason"]) for e in logs if e["event"] == "digest_skipped"] == [
        ("digest_skipped", "2026-W48", "before_first_data")
    ]
    assert (await redis.get(keys.digest_sent("2026-W48"))).startswith(b"skipped")
    clock.set(at("2026-12-07 08:00"))  # its first Monday: the week it ran (from Tuesday) is worth a digest
    assert await DigestScheduler(redis, DigestConfig(), outbox, clock).check() == "2026-W49"
    assert outbox.sent == ["2026-W49"]


async def test_an_upgraded_install_dates_its_data_back_to_its_oldest_counters(redis) -> None:
    """The first scheduler after an upgrade finds buckets from W46: the due week W47 is sent, not skipped."""
    await redis.zadd(keys.bucket_index("kesselberg"), {b"x": at("2026-11-12 19:00")})
    clock, outbox = ManualClock(at("2026-11-23 08:00")), Outbox()
    assert await DigestScheduler(redis, DigestConfig(), outbox, clock, brands=["kesselberg"]).check() == "2026-W47"
    clock.set(at("2026-11-30 08:00"))  # a feed delivering October posts later does not move the moment back
    await redis.zadd(keys.bucket_index("kesselberg"), {b"y": at("2026-10-01 12:00")})
    assert await DigestScheduler(redis, DigestConfig(), outbox, clock, brands=["kesselberg"]).check() == "2026-W48"


async def check_every_minute(redis, outbox, clock, metrics, minutes: int) -> list[float]:
    """Run a few schedulers (workers, restarts) for ``minutes``; the minutes at which a try was made."""
    workers = [DigestScheduler(redis, DigestConfig(), outbox, clock, metrics=metrics) for _ in range(2)]
    start, tried_at = clock.now(), []
    for _ in range(minutes):
        before = len(outbox.tries)
        for worker in workers:
            await worker.check()
        tried_at += [(clock.now() - start) / 60] * (len(outbox.tries) - before)
        clock.advance(60)
    return tried_at


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_a_refused_token_is_given_up_after_three_tries_with_one_warning_and_a_metric(redis, watching) -> None:
    refused = DigestFailure(TOKEN_REFUSED, "Telegram refused the bot token (404 Not Found …)", permanent=True)
    clock, outbox, metrics = ManualClock(at("2026-11-23 08:00")), Outbox(fail=10**6, error=refused), Metrics()
    with capture_logs() as logs:
        tried_at = await check_every_minute(redis, outbox, clock, metrics, minutes=24 * 60)

    assert tried_at == [0, 1, 3]  # not 16 times in 15 minutes: 1 and 2 minutes apart, then given up
    given_up = [e for e in logs if e["event"] == "digest_given_up"]
    assert given_up == [
        {"event": "digest_given_up", "log_level": "warning", "week": "2026-W47", "tries": 3, "reason": TOKEN_REFUSED,
         "error": refused.message}
    ]  # fmt: skip
    assert not [e for e in logs if "exc_info" in e and e["log_level"] != "debug"]  # no traceback
    assert sample(metrics, "warner_digest_failures_total", reason=TOKEN_REFUSED) == 3
    assert sample(metrics, "warner_digest_given_up_total", reason=TOKEN_REFUSED) == 1
    assert sample(metrics, "warner_digest_sent_total") == 0
    assert (await redis.get(keys.digest_sent("2026-W47"))).startswith(b"given up")
    assert await DigestScheduler(redis, DigestConfig(), outbox, clock).check() is None  # a restart does not retry
    assert len(outbox.tries) == 3


async def test_an_outage_is_tried_with_growing_waits_for_two_hours_then_given_up(redis, watching) -> None:
    clock, outbox, metrics = ManualClock(at("2026-11-23 08:00")), Outbox(fail=10**6), Metrics()
    with capture_logs() as logs:
        tried_at = await check_every_minute(redis, outbox, clock, metrics, minutes=6 * 60)

    assert tried_at == [0, 1, 3, 7, 15, 31, 63, 123]  # waits of 1, 2, 4 … 32 minutes, then an hour
    assert [e["tries"] for e in logs if e["event"] == "digest_try_failed"] == [1, 2, 3, 4, 5, 6, 7]
    assert [(e["tries"], e["reason"]) for e in logs if e["event"] == "digest_given_up"] == [(8, "error")]
    assert sample(metrics, "warner_digest_failures_total", reason="error") == 8


async def test_a_late_success_is_counted_and_every_worker_reports_its_time(redis, watching) -> None:
    clock, outbox, metrics = ManualClock(at("2026-11-23 08:00")), Outbox(fail=2), Metrics()
    tried_at = await check_every_minute(redis, outbox, clock, metrics, minutes=10)
    assert tried_at == [0, 1, 3] and outbox.sent == ["2026-W47"]
    assert sample(metrics, "warner_digest_sent_total") == 1
    assert sample(metrics, "warner_digest_failures_total", reason="error") == 2
    assert sample(metrics, "warner_digest_last_success_timestamp_seconds") == at("2026-11-23 08:03")

    restarted = Metrics()  # a new process that did not send it still tells when it went out
    await DigestScheduler(redis, DigestConfig(), outbox, clock, metrics=restarted).check()
    assert sample(restarted, "warner_digest_last_success_timestamp_seconds") == at("2026-11-23 08:03")
