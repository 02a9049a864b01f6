"""The weekly digest goes out once a week: on time, exactly once across restarts and races, late if it must."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from warner.digest.config import DigestConfig
from warner.digest.schedule import DigestScheduler, due_week
from warner.oncall.clock import ManualClock
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
    def __init__(self, fail: int = 0) -> None:
        self.sent: list[str] = []
        self.fail = fail

    async def __call__(self, week: str) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("Telegram unreachable")
        await asyncio.sleep(0.01)
        self.sent.append(week)


async def test_sent_once_on_monday_and_not_again_after_a_restart(redis) -> None:
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


async def test_two_workers_racing_send_it_once(redis) -> None:
    clock, outbox = ManualClock(at("2026-11-23 08:00")), Outbox()
    workers = [DigestScheduler(redis, DigestConfig(), outbox, clock) for _ in range(3)]
    results = await asyncio.gather(*(w.check() for w in workers))
    assert sorted(r for r in results if r) == ["2026-W47"]
    assert outbox.sent == ["2026-W47"]


async def test_a_service_down_on_monday_catches_up_when_it_is_back(redis) -> None:
    clock, outbox = (
        ManualClock(
            at("2026-11-25 14:30"),
        ),
        Outbox(),
    )  # Wednesday afternoon
    assert await DigestScheduler(redis, DigestConfig(), outbox, clock).check() == "2026-W47"
    assert outbox.sent == ["2026-W47"]


async def test_a_failed_send_is_retried_at_the_next_check(redis) -> None:
    clock, outbox = ManualClock(at("2026-11-23 08:00")), Outbox(fail=1)
    scheduler = DigestScheduler(redis, DigestConfig(), outbox, clock)
    with pytest.raises(ConnectionError):
        await scheduler.check()
    clock.advance(60)
    assert await scheduler.check() == "2026-W47"
    assert outbox.sent == ["2026-W47"]


async def test_a_worker_killed_while_sending_leaves_a_lease_that_expires(redis) -> None:
    clock, outbox = ManualClock(at("2026-11-23 08:00")), Outbox()
    await redis.set(keys.digest_sent("2026-W47"), "sending dead-worker", ex=600)  # killed mid-send
    scheduler = DigestScheduler(redis, DigestConfig(), outbox, clock)
    assert await scheduler.check() is None  # it might still be sending: do not send twice
    await redis.pexpire(keys.digest_sent("2026-W47"), 1)  # the lease runs out
    await asyncio.sleep(0.01)
    assert await scheduler.check() == "2026-W47"
    assert outbox.sent == ["2026-W47"]
