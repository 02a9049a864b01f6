"""After Acknowledge or Resolve each alert message is edited once (issue 19, point 6).

The pager edits every alert of an incident when its state changes; the button handler used
to edit the pressed alert again, the last edit winning. Everything real: the pager as a
worker builds it (escalation engine, responder, python-telegram-bot polling the local Bot
API double), Redis; only the incident is written straight into the store.
"""

from __future__ import annotations

import asyncio
import collections
import time

import orjson
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.incidents.model import Incident
from warner.metrics import Metrics
from warner.notify.telegram.bot import start_polling
from warner.paging import build_pager
from warner.store import keys

ANNA, BEN = 1001, 1002

PAGING_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {anna}}}
    - {{id: ben, name: Ben, telegram_id: {ben}, language: en}}
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
  retry: {{max_attempts: 2, base_delay: 10ms, max_delay: 20ms}}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  update_channels: [{update_channels}]
  policies:
    - id: storm
      steps:
        - {{notify_persons: [anna, ben], channels: [telegram]}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""



async def paged(redis, telegram, update_channels="telegram, console"):
    """A pager polling the double, and an open incident it paged Anna and Ben about."""
    text = PAGING_YAML.format(anna=ANNA, ben=BEN, telegram=telegram.base_url, update_channels=update_channels)
    config = parse_config(CONFIG_YAML + text, "paging.yaml")
    now = time.time()
    clock = ManualClock(now)
    pager = build_pager(config, redis, Metrics(), clock=clock)
    await start_polling(pager.application, poll_timeout_s=1)
    incident = Incident("kesselberg", 1, "open", "critical", int(now) - 120, int(now), mentions=300, expected=10.0)
    await redis.set(keys.incident("kesselberg", 1), orjson.dumps(incident.to_json()))
    await redis.zadd(keys.INCIDENT_INDEX, {incident.id: incident.started_at})
    assert await pager.page_forgotten() == 1
    clock.advance(1)
    await pager.engine.run_due()
    assert len(telegram.calls_of("sendMessage")) == 2
    return pager


def alert_of(telegram, chat_id):
    return next(m for (chat, _), m in telegram.messages.items() if chat == chat_id)


def button(message, word):
    return next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
                if word in b["text"])  # fmt: skip


def edits_per_message(telegram):
    return collections.Counter((int(c["chat_id"]), int(c["message_id"])) for c in telegram.calls_of("editMessageText"))


async def settled(telegram, answers):
    await telegram.wait_for("answerCallbackQuery", count=answers)
    await asyncio.sleep(0.2)  # a second edit, if any, would come right after the answer


async def test_one_acknowledge_edits_each_alert_message_once(redis, tokens, telegram):
    pager = await paged(redis, telegram)
    try:
        anna, ben = alert_of(telegram, ANNA), alert_of(telegram, BEN)
        await telegram.press(telegram.user(BEN, "Ben", "en"), ben, button(ben, "Acknowledge"))
        await settled(telegram, 1)
        assert edits_per_message(telegram) == {(ANNA, anna["message_id"]): 1, (BEN, ben["message_id"]): 1}
        shown_ben = telegram.messages[(BEN, ben["message_id"])]
        shown_anna = telegram.messages[(ANNA, anna["message_id"])]
        assert shown_ben["text"].endswith("Acknowledged by Ben, " + shown_ben["text"][-5:])  # in Ben's language
        assert "Übernommen von Ben" in shown_anna["text"]  # in Anna's
        assert shown_ben["reply_markup"] and "300 mentions in 3 minutes" in shown_ben["text"]
    finally:
        await pager.close()


async def test_resolve_after_acknowledge_edits_each_alert_once_more_and_removes_the_buttons(redis, tokens, telegram):
    pager = await paged(redis, telegram)
    try:
        anna, ben = alert_of(telegram, ANNA), alert_of(telegram, BEN)
        await telegram.press(telegram.user(ANNA, "Anna"), anna, button(anna, "Übernehmen"))
        await settled(telegram, 1)
        await telegram.press(telegram.user(ANNA, "Anna"), anna, button(anna, "Gelöst"))
        await settled(telegram, 2)
        assert edits_per_message(telegram) == {(ANNA, anna["message_id"]): 2, (BEN, ben["message_id"]): 2}
        for chat, message in ((ANNA, anna), (BEN, ben)):
            assert "reply_markup" not in telegram.messages[(chat, message["message_id"])]
        assert "Resolved by Anna" in telegram.messages[(BEN, ben["message_id"])]["text"]
    finally:
        await pager.close()


async def test_when_the_pager_does_not_edit_telegram_alerts_the_button_handler_edits_the_pressed_one(
    redis, tokens, telegram
):
    pager = await paged(redis, telegram, update_channels="console")
    try:
        anna, _ben = alert_of(telegram, ANNA), alert_of(telegram, BEN)
        await telegram.press(telegram.user(ANNA, "Anna"), anna, button(anna, "Übernehmen"))
        await settled(telegram, 1)
        assert edits_per_message(telegram) == {(ANNA, anna["message_id"]): 1}
        assert "Übernommen von Anna" in telegram.messages[(ANNA, anna["message_id"])]["text"]
    finally:
        await pager.close()
