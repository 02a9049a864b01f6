"""Telegram and SMS down, the call gets through.

The Saturday night on-call tools are built for: Telegram answers 502 to every message and the SMS
gateway refuses connections. Anna's own contact order is Telegram, SMS, call; the escalation step
names no channels, so her order decides. The page fails over twice and her phone rings (through
the Twilio Voice double); she presses 1, Twilio posts the signed key press to warner's API, and
the incident is acknowledged — the escalation stops, Ben is never paged.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from doubles.telegram_api import TelegramApiDouble
from doubles.voice_api import VoiceApi
from faults.test_sms_down import SmsGatewayOnPort
from oncall.test_paging_end_to_end import ANNA, BEN, CONFIG_YAML, replay_storm, sent_to

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.metrics import Metrics
from warner.paging import build_pager
from warner.scenarios import saturday_storm

pytestmark = pytest.mark.timeout(60)

ANNA_PHONE = "+4915111111111"

PAGING_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {anna}, phone: "{anna_phone}", contact: [telegram, sms, call]}}
    - {{id: ben, name: Ben, telegram_id: {ben}, phone: "+4915122222222", language: en}}
  schedules:
    - id: social
      layers:
        - {{id: base, type: weekly, handoff: "09:00", start: 2026-11-16, members: [anna]}}
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
  sms:
    provider: twilio
    twilio: {{base_url: "{sms}", account_sid: AC0123456789abcdef, auth_token_env: TEST_TWILIO_TOKEN,
              from_number: "+4930123456"}}
  voice:
    provider: twilio
    twilio: {{base_url: "{voice}", account_sid: AC0123456789abcdef, auth_token_env: TEST_TWILIO_TOKEN,
              from_number: "+4930123456"}}
    public_url: "{warner}"
    poll_interval: 100ms
  retry: {{max_attempts: 2, base_delay: 10ms, max_delay: 20ms}}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  policies:
    - id: storm
      steps:
        - {{notify_on_call: social}}
        - {{wait: 5m}}
        - {{notify_persons: [ben], channels: [telegram]}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""


@pytest.fixture
async def night(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[TelegramApiDouble, SmsGatewayOnPort, VoiceApi]]:
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", "123456:test-token")
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "twilio-test-token")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    sms = SmsGatewayOnPort()  # never started: connection refused
    async with TelegramApiDouble() as telegram, VoiceApi(auth_token="twilio-test-token") as voice:
        telegram.fail("sendMessage", status=502, times=1000)
        yield telegram, sms, voice


async def test_with_telegram_and_sms_down_the_call_gets_through_and_pressing_1_acknowledges(
    redis: Any, tokens: Any, night: tuple[TelegramApiDouble, SmsGatewayOnPort, VoiceApi]
) -> None:
    telegram, sms, voice = night
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # warner's API port first: the call's callback URL must name it
    warner_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    text = CONFIG_YAML + PAGING_YAML.format(
        anna=ANNA, ben=BEN, anna_phone=ANNA_PHONE, telegram=telegram.base_url, sms=sms.url, voice=voice.url,
        warner=warner_url,
    )  # fmt: skip
    config = parse_config(text, "night.yaml")
    clock = ManualClock(saturday_storm().start.timestamp())
    metrics = Metrics()
    pager = build_pager(config, redis, metrics, clock=clock)
    assert pager is not None and pager.application is not None
    await pager.application.initialize()
    app = web.Application()
    pager.add_routes(app)  # the key-press route, mounted on the API app as warner run does
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        await replay_storm(redis, config, pager.hooks)
        clock.advance(1)
        await pager.engine.run_due()

        timeline = await pager.engine.incidents.timeline("kesselberg", 1)
        attempts = [(e["channel"], e["ok"]) for e in timeline if e.get("kind") == "delivery"]
        assert attempts == [("telegram", False)] * 2 + [("sms", False)] * 2 + [("call", True)]
        assert sent_to(telegram, ANNA) != [] and sms.requests == []
        (call,) = voice.calls
        assert call.to == ANNA_PHONE
        spoken = " ".join(text for _, text in call.said())
        assert "Kesselberg" in spoken and "Drücken Sie 1" in spoken
        assert metrics.registry.get_sample_value("warner_pages_undeliverable_total") in (None, 0.0)

        status, answer = await voice.press(call, "1")
        assert status == 200 and "Übernommen" in answer
        response = await pager.engine.lifecycle.get("kesselberg:1")
        assert response.state == "acknowledged" and response.acknowledged_by == "anna"

        clock.advance(5 * 60 + 1)  # the next level would have been due now: acknowledged, nobody else is paged
        await pager.engine.run_due()
        assert sent_to(telegram, BEN) == []
        assert len(voice.calls) == 1
    finally:
        await runner.cleanup()
        await pager.close()
