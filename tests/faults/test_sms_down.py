"""Every channel fails at once: Telegram answers 502 and the SMS gateway refuses connections.

The worst night: the on-call person cannot be reached at all. A page nobody received must
never vanish quietly — it is logged as ``page_undeliverable`` (an error event), counted in
``warner_pages_undeliverable_total`` and noted in the incident's timeline — and it must not
stop the escalation: the next level is still paged on time, and once the gateway is back that
page goes out.
"""

from __future__ import annotations

import contextlib
import socket

import pytest
import structlog
from aiohttp import web
from doubles.sms_gateway import GENERIC_PATH, SmsGateway
from doubles.telegram_api import TelegramApiDouble
from oncall.test_paging_end_to_end import (
    ANNA,
    BEN,
    paging_config,
    replay_storm,
    sent_to,
)

from warner.core import ManualClock
from warner.metrics import Metrics
from warner.paging import build_pager
from warner.scenarios import saturday_storm

pytestmark = pytest.mark.timeout(60)


class SmsGatewayOnPort(SmsGateway):
    """The SMS gateway double on a port chosen in advance: down until ``start``, like a host that reboots."""

    def __init__(self) -> None:
        super().__init__()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"  # nothing listens yet: connection refused

    async def start(self) -> SmsGatewayOnPort:
        app = web.Application()
        app.router.add_route("*", GENERIC_PATH, self._generic)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._twilio)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self


@pytest.fixture
async def outage(monkeypatch):
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", "123456:test-token")
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "twilio-test-token")
    sms = SmsGatewayOnPort()
    async with TelegramApiDouble() as telegram:
        telegram.fail("sendMessage", status=502, times=1000)
        yield telegram, sms
    await sms.close()


@contextlib.asynccontextmanager
async def pager_with(config, redis, clock, metrics):
    pager = build_pager(config, redis, metrics, clock=clock)
    await pager.application.initialize()
    try:
        yield pager
    finally:
        await pager.close()


async def test_with_every_channel_down_the_page_is_undeliverable_loudly_and_the_next_level_still_pages(
    redis, tokens, outage
):
    telegram, sms = outage
    config = paging_config(telegram, sms, level1="telegram, sms")
    clock = ManualClock(saturday_storm().start.timestamp())
    metrics = Metrics()
    async with pager_with(config, redis, clock, metrics) as pager:
        await replay_storm(redis, config, pager.hooks)

        # Level 1: Anna, Telegram then SMS — both down.
        clock.advance(1)
        with structlog.testing.capture_logs() as logs:
            await pager.engine.run_due()
        assert sent_to(telegram, ANNA) != [] and sms.requests == []  # tried Telegram; SMS never answered
        undeliverable = [e for e in logs if e["event"] == "page_undeliverable"]
        assert undeliverable and all(e["log_level"] == "error" for e in undeliverable)
        assert metrics.registry.get_sample_value("warner_pages_undeliverable_total") == 1
        assert not [e for e in logs if e["event"] == "timer_failed"]  # nothing crashed
        timeline = await pager.engine.incidents.timeline("kesselberg", 1)
        attempts = [(e["channel"], e["ok"]) for e in timeline if e.get("kind") == "delivery"]
        assert attempts == [("telegram", False)] * 2 + [("sms", False)] * 2
        assert any(e.get("event") == "undeliverable" and e.get("recipient") == "anna" for e in timeline)
        refused = [e["error"] for e in timeline if e.get("kind") == "delivery" and e["channel"] == "sms"]
        assert all("ClientConnectorError" in error for error in refused)

        # The gateway comes back; five minutes on, level 2 pages Ben — and the SMS reaches him. Anna's
        # undelivered level-1 page was re-driven all along (redelivery.py): it reaches her now, once.
        await sms.start()
        clock.advance(5 * 60 + 1)
        with structlog.testing.capture_logs() as logs:
            await pager.engine.run_due()
        assert sorted(r.form["To"] for r in sms.requests) == ["+4915111111111", "+4915122222222"]
        assert sent_to(telegram, BEN) != []  # tried too, still down
        timeline = await pager.engine.incidents.timeline("kesselberg", 1)
        level2 = [(e["channel"], e["ok"]) for e in timeline if e.get("kind") == "delivery" and e["level"] == 2]
        assert ("sms", True) in level2 and ("telegram", False) in level2
        # Ben was reached: his Telegram failing beside a delivered SMS is no undeliverable page.
        assert [e for e in logs if e["event"] == "page_undeliverable"] == []
        assert metrics.registry.get_sample_value("warner_pages_undeliverable_total") == 1
