"""Retries, backoff, failover and the record of every attempt, against local gateway doubles."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from doubles.sms_gateway import GENERIC_PATH, SmsGateway
from structlog.testing import capture_logs

from warner.core import Recipient
from warner.incidents.model import Incident
from warner.metrics import Metrics
from warner.notify.base import Delivery, Page
from warner.notify.delivery import Notifier, RetryPolicy
from warner.notify.sms.channels import HttpSmsChannel, TwilioSmsChannel
from warner.notify.sms.config import HttpGatewayConfig, TwilioConfig

PHONE = "+4915112345678"


def page(phone: str | None = PHONE) -> Page:
    incident = Incident(
        brand="kesselberg", number=12, status="open", severity="critical",
        started_at=1795287000, updated_at=1795287000, mentions=54, expected=2.0, negatives=38,
    )  # fmt: skip
    return Page(incident=incident, recipient=Recipient("anna", "Anna", phone=phone), kind="new", ack_code="4821")


class Timeline:
    """What the escalation engine would write into the incident timeline, and the waits."""

    def __init__(self) -> None:
        self.recorded: list[tuple[str, Delivery]] = []
        self.sleeps: list[float] = []

    async def record(self, page: Page, delivery: Delivery) -> None:
        self.recorded.append((page.incident.id, delivery))

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def outcomes(self) -> list[tuple[str, bool]]:
        return [(d.channel, d.ok) for _, d in self.recorded]


@pytest.fixture
async def primary() -> AsyncIterator[SmsGateway]:
    async with SmsGateway() as gw:
        yield gw


@pytest.fixture
async def fallback() -> AsyncIterator[SmsGateway]:
    async with SmsGateway() as gw:
        yield gw


@pytest.fixture
def timeline() -> Timeline:
    return Timeline()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


def channels(primary: SmsGateway, fallback: SmsGateway, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A failing "telegram" stand-in (an HTTP channel under that name) and Twilio SMS."""
    monkeypatch.setenv("TWILIO_TOKEN", fallback.auth_token)
    telegram = HttpSmsChannel(HttpGatewayConfig(url=primary.url + GENERIC_PATH), name="telegram", timeout=2.0)
    twilio = TwilioConfig(
        base_url=fallback.url,
        account_sid=fallback.account_sid,
        auth_token_env="TWILIO_TOKEN",
        from_number="+4930123456",
    )
    return {"telegram": telegram, "sms": TwilioSmsChannel(twilio, timeout=2.0)}


@pytest.fixture
async def notifier(
    primary: SmsGateway, fallback: SmsGateway, timeline: Timeline, metrics: Metrics, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Notifier]:
    policy = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=10.0, max_retry_after=30.0)
    n = Notifier(
        channels(primary, fallback, monkeypatch), policy, timeline.record, metrics,
        sleep=timeline.sleep, rng=random.Random(42),
    )  # fmt: skip
    yield n
    await n.close()


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_a_page_goes_out_on_the_first_channel(
    notifier: Notifier, primary: SmsGateway, timeline: Timeline
) -> None:
    attempts = await notifier.deliver(page(), ["telegram", "sms"])
    assert [(d.channel, d.ok) for d in attempts] == [("telegram", True)]
    assert timeline.outcomes == [("telegram", True)]
    assert timeline.recorded[0][0] == "kesselberg:12"
    assert len(primary.requests) == 1 and timeline.sleeps == []


async def test_429_with_retry_after_is_retried_after_that_delay(
    notifier: Notifier, primary: SmsGateway, timeline: Timeline, metrics: Metrics
) -> None:
    primary.fail_next(1, 429, retry_after=7)
    attempts = await notifier.deliver(page(), ["telegram", "sms"])
    assert [(d.channel, d.ok, d.retry_after) for d in attempts] == [("telegram", False, 7.0), ("telegram", True, None)]
    assert timeline.sleeps == [7.0]
    assert sample(metrics, "warner_page_attempts_total", channel="telegram", result="transient") == 1
    assert sample(metrics, "warner_page_attempts_total", channel="telegram", result="ok") == 1


async def test_a_retry_after_beyond_the_cap_fails_over_at_once(
    notifier: Notifier, primary: SmsGateway, fallback: SmsGateway, timeline: Timeline
) -> None:
    primary.fail_next(1, 429, retry_after=300)
    await notifier.deliver(page(), ["telegram", "sms"])
    assert timeline.outcomes == [("telegram", False), ("sms", True)]
    assert timeline.sleeps == [] and len(fallback.requests) == 1


async def test_500_twice_then_200_is_three_attempts_all_recorded_with_jittered_backoff(
    notifier: Notifier, primary: SmsGateway, timeline: Timeline
) -> None:
    primary.fail_next(2, 500)
    attempts = await notifier.deliver(page(), ["telegram", "sms"])
    assert [d.ok for d in attempts] == [False, False, True]
    assert timeline.outcomes == [("telegram", False), ("telegram", False), ("telegram", True)]
    assert all(d.latency_s > 0 and d.target == PHONE for _, d in timeline.recorded)
    rng = random.Random(42)
    assert timeline.sleeps == [rng.uniform(0, 1.0), rng.uniform(0, 2.0)]
    assert len(primary.requests) == 3


async def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter="none")
    assert [policy.backoff(n, random.Random()) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    full = RetryPolicy(base_delay=1.0, max_delay=5.0)
    rng = random.Random(1)
    assert all(0 <= full.backoff(4, rng) <= 5.0 for _ in range(100))


async def test_400_is_permanent_no_retry_and_fails_over_to_sms(
    notifier: Notifier, primary: SmsGateway, fallback: SmsGateway, timeline: Timeline
) -> None:
    primary.fail_next(1, 400)
    attempts = await notifier.deliver(page(), ["telegram", "sms"])
    assert [(d.channel, d.ok, d.permanent) for d in attempts] == [("telegram", False, True), ("sms", True, False)]
    assert timeline.sleeps == []
    assert len(primary.requests) == 1
    assert fallback.requests[0].form["To"] == PHONE and "OK 4821" in fallback.requests[0].form["Body"]


async def test_a_telegram_outage_falls_back_to_sms_after_its_retries(
    notifier: Notifier, primary: SmsGateway, fallback: SmsGateway, timeline: Timeline, metrics: Metrics
) -> None:
    primary.fail_next(3, 502)
    attempts = await notifier.deliver(page(), ["telegram", "sms"])
    assert [d.channel for d in attempts] == ["telegram"] * 3 + ["sms"]
    assert attempts[-1].ok and attempts[-1].message_ref
    assert len(timeline.sleeps) == 2
    assert sample(metrics, "warner_pages_delivered_total", channel="sms") == 1
    assert sample(metrics, "warner_pages_undeliverable_total") == 0


async def test_a_recipient_without_phone_is_recorded_as_unreachable_not_skipped(
    notifier: Notifier, timeline: Timeline, metrics: Metrics
) -> None:
    with capture_logs() as logs:
        attempts = await notifier.deliver(page(phone=None), ["sms"])
    assert [(d.channel, d.ok, d.permanent) for d in attempts] == [("sms", False, True)]
    assert timeline.outcomes == [("sms", False)]
    assert sample(metrics, "warner_page_attempts_total", channel="sms", result="unreachable") == 1
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["page_undeliverable"]


async def test_when_every_channel_is_down_the_page_is_loudly_undeliverable(
    notifier: Notifier, primary: SmsGateway, fallback: SmsGateway, timeline: Timeline, metrics: Metrics
) -> None:
    primary.fail_next(3, 500)
    fallback.fail_next(1, 400)
    with capture_logs() as logs:
        attempts = await notifier.deliver(page(), ["telegram", "sms"])
    assert not any(d.ok for d in attempts)
    assert timeline.outcomes == [("telegram", False)] * 3 + [("sms", False)]
    (event,) = [e for e in logs if e["event"] == "page_undeliverable"]
    assert event["log_level"] == "error"
    assert event["incident_id"] == "kesselberg:12" and event["recipient"] == "anna"
    assert [a["channel"] for a in event["attempts"]] == ["telegram", "telegram", "telegram", "sms"]
    assert event["attempts"][-1]["error"].startswith("HTTP 400")
    assert sample(metrics, "warner_pages_undeliverable_total") == 1
    assert sample(metrics, "warner_page_attempts_total", channel="sms", result="permanent") == 1


async def test_an_unknown_channel_name_is_recorded_and_the_next_one_tried(
    notifier: Notifier, timeline: Timeline
) -> None:
    with capture_logs() as logs:
        attempts = await notifier.deliver(page(), ["pager", "sms"])
    assert [(d.channel, d.ok) for d in attempts] == [("pager", False), ("sms", True)]
    assert "page_channel_unknown" in [e["event"] for e in logs]


async def test_a_failing_timeline_write_does_not_stop_the_page(
    primary: SmsGateway, fallback: SmsGateway, monkeypatch: pytest.MonkeyPatch, timeline: Timeline
) -> None:
    async def broken_record(page: Page, delivery: Delivery) -> None:
        raise ConnectionError("redis gone")

    n = Notifier(channels(primary, fallback, monkeypatch), RetryPolicy(), broken_record, sleep=timeline.sleep)
    try:
        with capture_logs() as logs:
            attempts = await n.deliver(page(), ["telegram"])
    finally:
        await n.close()
    assert attempts[-1].ok
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["page_attempt_unrecorded"]


async def test_a_channel_that_raises_is_a_permanent_failure_and_the_next_channel_is_tried(
    primary: SmsGateway, fallback: SmsGateway, monkeypatch: pytest.MonkeyPatch, timeline: Timeline
) -> None:
    broken = HttpGatewayConfig.model_construct(
        url=primary.url + GENERIC_PATH, method="POST", auth="none", headers={}, content_type="form",
        body_template="{{ (to|int) // 0 }}", sender=None,
    )  # fmt: skip
    chans = channels(primary, fallback, monkeypatch)
    chans["telegram"] = HttpSmsChannel(broken, name="telegram")
    n = Notifier(chans, RetryPolicy(), timeline.record, sleep=timeline.sleep)
    try:
        with capture_logs() as logs:
            attempts = await n.deliver(page(), ["telegram", "sms"])
    finally:
        await n.close()
    assert [(d.channel, d.ok, d.permanent) for d in attempts] == [("telegram", False, True), ("sms", True, False)]
    assert "ZeroDivisionError" in (attempts[0].error or "")
    assert "page_channel_crashed" in [e["event"] for e in logs]
