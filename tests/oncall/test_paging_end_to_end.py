"""A storm pages the on-call person on Telegram, escalates to SMS and the next level, and stops on ack.

Everything real except the outside world: the Saturday storm goes through the worker and the
detector into Redis; the pager built from the config pages over the real python-telegram-bot
client to a local Bot API double and over the Twilio adapter to a local SMS gateway double.
Escalation time is a controllable clock, so five minutes take no time.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from doubles.sms_gateway import SmsGateway
from doubles.telegram_api import TelegramApiDouble
from support import CONFIG_YAML, replay

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.metrics import Metrics
from warner.notify.telegram.bot import start_polling
from warner.paging import build_pager
from warner.scenarios import saturday_storm

ANNA, BEN = 1001, 1002

PAGING_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {anna}, phone: "+4915111111111"}}
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
  retry: {{max_attempts: 2, base_delay: 10ms, max_delay: 20ms}}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  repeat_interval: 30m
  policies:
    - id: storm
      steps:
        - {{notify_on_call: social, channels: [{level1}]}}
        - {{wait: 5m}}
        - {{notify_persons: [ben], channels: [telegram, sms], delivery: all}}
        - {{wait: 10m}}
        - {{repeat: 1}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""


@pytest.fixture
async def doubles(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", "123456:test-token")
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "twilio-test-token")
    async with TelegramApiDouble() as telegram, SmsGateway() as sms:
        yield telegram, sms


def paging_config(telegram, sms, level1="telegram"):
    text = CONFIG_YAML + PAGING_YAML.format(anna=ANNA, ben=BEN, telegram=telegram.base_url, sms=sms.url, level1=level1)
    return parse_config(text, "paging.yaml")


async def replay_storm(redis, config, hooks):
    await replay(redis, config, saturday_storm().mentions, hooks)


@contextlib.asynccontextmanager
async def running_pager(config, redis, clock, *, polling=False):
    """The pager as a worker builds it; with ``polling`` its bot also receives button presses."""
    pager = build_pager(config, redis, Metrics(), clock=clock)
    if polling:
        await start_polling(pager.application, poll_timeout_s=1)
    else:
        await pager.application.initialize()
    try:
        yield pager
    finally:
        await pager.close()


def sent_to(telegram, chat_id):
    return [c for c in telegram.calls_of("sendMessage") if int(c["chat_id"]) == chat_id]


async def test_storm_pages_escalates_to_sms_and_next_level_and_stops_on_ack(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms)
    clock = ManualClock(saturday_storm().start.timestamp())
    async with running_pager(config, redis, clock, polling=True) as pager:
        # The storm through ingest, the worker and the detector; the pager's hook sees the incident open.
        await replay_storm(redis, config, pager.hooks)

        # Level 1: Anna, who is on call, on Telegram — with the five buttons.
        clock.advance(1)
        await pager.engine.run_due()
        assert len(sent_to(telegram, ANNA)) == 1
        first = sent_to(telegram, ANNA)[0]
        assert "Kesselberg" in first["text"] and "kesselberg:1" in first["text"]
        buttons = [b for row in first["reply_markup"]["inline_keyboard"] for b in row]
        labels = " ".join(b["text"] for b in buttons)
        assert all(word in labels for word in ("Übernehmen", "Entwürfe", "Gelöst", "Fehlalarm", "stumm"))
        assert sms.requests == [] and sent_to(telegram, BEN) == []

        # Nobody acknowledges for five minutes: level 2 pages Ben by Telegram and SMS at once.
        clock.advance(5 * 60 + 1)
        await pager.engine.run_due()
        assert len(sent_to(telegram, BEN)) == 1
        assert len(sms.requests) == 1
        text = sms.requests[0].form["Body"]
        assert sms.requests[0].form["To"] == "+4915122222222"
        assert "kesselberg:1" in text and len(text) <= 160

        # Ben presses "Acknowledge" on his Telegram alert.
        message = next(m for (chat, _), m in telegram.messages.items() if chat == BEN)
        ack = next(
            b["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
            if "Acknowledge" in b["text"]
        )
        await telegram.press(telegram.user(BEN, "Ben", "en"), message, ack)
        await telegram.wait_for("answerCallbackQuery", count=1)
        for _ in range(50):  # the engine's response handler edits the alerts
            if telegram.calls_of("editMessageText"):
                break
            await asyncio.sleep(0.05)
        response = await pager.engine.lifecycle.get("kesselberg:1")
        assert response is not None and response.state == "acknowledged"
        assert (response.acknowledged_by, response.acknowledged_via) == ("ben", "telegram")
        assert any("Ben" in c["text"] for c in telegram.calls_of("editMessageText"))

        # Escalation stops: an hour later nobody got another page.
        pages_before = (len(telegram.calls_of("sendMessage")), len(sms.requests))
        for _ in range(6):
            clock.advance(10 * 60)
            await pager.engine.run_due()
        assert (len(telegram.calls_of("sendMessage")), len(sms.requests)) == pages_before

        timeline = await pager.engine.incidents.timeline("kesselberg", 1)
        deliveries = [e for e in timeline if e.get("kind") == "delivery"]
        assert {(e["channel"], e["ok"]) for e in deliveries} >= {("telegram", True), ("sms", True)}
        assert any(e.get("kind") == "response" and e.get("by") == "ben" for e in timeline)


async def test_telegram_down_pages_by_sms_instead_and_records_every_attempt(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms, level1="telegram, sms")
    clock = ManualClock(saturday_storm().start.timestamp())
    telegram.fail("sendMessage", status=502, times=10)
    async with running_pager(config, redis, clock) as pager:
        await replay_storm(redis, config, pager.hooks)
        clock.advance(1)
        await pager.engine.run_due()
        assert [r.form["To"] for r in sms.requests] == ["+4915111111111"]  # Anna, by SMS
        timeline = await pager.engine.incidents.timeline("kesselberg", 1)
        attempts = [(e["channel"], e["ok"]) for e in timeline if e.get("kind") == "delivery"]
        assert attempts == [("telegram", False), ("telegram", False), ("sms", True)]  # 2 tries, then failover


async def test_an_incident_whose_hook_never_ran_is_paged_by_the_auditor_once(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms)
    clock = ManualClock(saturday_storm().start.timestamp())
    async with running_pager(config, redis, clock) as pager:
        await replay_storm(redis, config, hooks=())  # as if the worker died before calling the hook
        await pager.engine.run_due()
        assert telegram.calls_of("sendMessage") == []
        assert await pager.page_forgotten() == 1
        clock.advance(1)
        await pager.engine.run_due()
        assert len(sent_to(telegram, ANNA)) == 1
        assert await pager.page_forgotten() == 0  # already being paged: never twice
        await pager.engine.run_due()
        assert len(sent_to(telegram, ANNA)) == 1


async def test_a_restart_mid_escalation_pages_the_next_level_on_time_and_once(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms)
    clock = ManualClock(saturday_storm().start.timestamp())
    before = build_pager(config, redis, Metrics(), clock=clock)
    await before.application.initialize()
    await replay_storm(redis, config, before.hooks)
    clock.advance(1)
    await before.engine.run_due()
    assert len(sent_to(telegram, ANNA)) == 1
    await before.close()  # the process stops between level 1 and level 2

    after, rival = (build_pager(config, redis, Metrics(), clock=clock) for _ in range(2))
    for pager in (after, rival):
        await pager.application.initialize()
    try:
        clock.advance(4 * 60)
        await after.engine.run_due()
        assert sent_to(telegram, BEN) == [] and sms.requests == []  # not yet: 5 minutes after level 1
        clock.advance(60)
        await asyncio.gather(after.engine.run_due(), rival.engine.run_due())  # two workers race for it
        assert len(sent_to(telegram, BEN)) == 1
        assert len(sms.requests) == 1
    finally:
        await after.close()
        await rival.close()


async def test_drafts_button_offers_the_product_defect_playbook_and_records_the_choice(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms)
    clock = ManualClock(saturday_storm().start.timestamp())
    async with running_pager(config, redis, clock, polling=True) as pager:
        await replay_storm(redis, config, pager.hooks)
        clock.advance(1)
        await pager.engine.run_due()
        alert = next(m for (chat, _), m in telegram.messages.items() if chat == ANNA)
        drafts = next(
            b["callback_data"]
            for row in alert["reply_markup"]["inline_keyboard"]
            for b in row
            if "Entwürfe" in b["text"]
        )
        await telegram.press(telegram.user(ANNA, "Anna", "de"), alert, drafts)
        await telegram.wait_for("answerCallbackQuery", count=1)
        listed = next(m for (chat, _), m in telegram.messages.items() if chat == ANNA and "📝" in m["text"])
        assert "Produkt" in listed["text"]  # the glass-splinter storm is a product defect
        choices = [b for row in listed["reply_markup"]["inline_keyboard"] for b in row]
        assert len(choices) == 3

        await telegram.press(telegram.user(ANNA, "Anna", "de"), listed, choices[0]["callback_data"])
        await telegram.wait_for("answerCallbackQuery", count=2)
        chosen = telegram.calls_of("sendMessage")[-1]["text"]
        assert "Brauerei Kesselberg" in chosen and "<pre>" in chosen
        timeline = await pager.engine.incidents.timeline("kesselberg", 1)
        picked = [e for e in timeline if e.get("kind") == "draft"]
        assert [(e["by"], e["playbook"]) for e in picked] == [("anna", "product_defect")]


async def test_only_one_worker_polls_telegram_and_another_takes_over_when_it_stops(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms)
    clock = ManualClock(saturday_storm().start.timestamp())
    first, second = (build_pager(config, redis, Metrics(), clock=clock) for _ in range(2))
    for pager in (first, second):
        pager.poll_lease_s = 0.6
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    runs = [
        asyncio.create_task(first._receive_updates(stop_first)),
        asyncio.create_task(second._receive_updates(stop_second)),
    ]
    try:
        await asyncio.sleep(0.5)
        polling = [p for p in (first, second) if p.poller_health.polling and p.poller_health.up]
        assert len(polling) == 1  # Telegram allows one getUpdates poller per bot
        leader, other = (first, second) if polling[0] is first else (second, first)
        (stop_first if leader is first else stop_second).set()  # the leader's process stops
        await asyncio.sleep(0.6)
        assert other.poller_health.polling and other.poller_health.up
    finally:
        stop_first.set()
        stop_second.set()
        await asyncio.gather(*runs, return_exceptions=True)
        await first.close()
        await second.close()
