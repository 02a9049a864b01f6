"""The bot token is revoked while a storm pages; with the new token in place every page goes out once.

The documented rotation (deploy/OPERATIONS.md, "Rotating the Telegram bot token"): revoke the
token with @BotFather, put the new one in the environment, restart the workers one by one. In
between, the Bot API answers ``401 Unauthorized`` to everything the old token asks: the poller keeps
retrying (and says it is down), and pages fail on their only channel. Those pages are not lost:
each is re-driven by a durable timer of its incident, and the restarted workers — two of them, as
in production — send every one of them once, with the new token. An acknowledgement cancels a
re-drive that is still waiting.

Everything real except the outside world: the Saturday storm through the worker and the detector
into Redis, the pagers as ``warner run`` builds them, python-telegram-bot against the Bot API double.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from doubles.sms_gateway import SmsGateway
from doubles.telegram_api import TelegramApiDouble
from oncall.test_paging_end_to_end import ANNA, BEN, PAGING_YAML, replay_storm
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.metrics import Metrics
from warner.paging import build_pager
from warner.scenarios import saturday_storm

pytestmark = pytest.mark.timeout(60)

OLD, NEW = "123456:old-token", "123456:new-token"
ENV = "TEST_TELEGRAM_TOKEN"


@pytest.fixture
async def doubles(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv(ENV, OLD)
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "twilio-test-token")
    async with TelegramApiDouble(valid_tokens={OLD}) as telegram, SmsGateway() as sms:
        yield telegram, sms


def telegram_only_config(telegram, sms):
    """Both levels page on Telegram alone: a revoked token leaves them no other way."""
    text = PAGING_YAML.replace("channels: [telegram, sms], delivery: all", "channels: [telegram]")
    text = CONFIG_YAML + text.format(anna=ANNA, ben=BEN, telegram=telegram.base_url, sms=sms.url, level1="telegram")
    return parse_config(text, "rotation.yaml")


def pager_for(config, redis, clock):
    pager = build_pager(config, redis, Metrics(), clock=clock)
    pager.poll_lease_s, pager.poll_timeout_s = 0.6, 1
    return pager


def delivered(telegram, chat_id):
    """Alerts that reached ``chat_id`` (the double stores no message a refused token sent)."""
    return [m for (chat, _), m in telegram.messages.items() if chat == chat_id]


def sends(telegram, chat_id, token):
    return [c for c in telegram.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == chat_id
            and c.token == token]  # fmt: skip


async def until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_revoked_token_loses_no_page_and_the_new_token_sends_each_once(redis, tokens, doubles, monkeypatch):
    telegram, sms = doubles
    config = telegram_only_config(telegram, sms)
    clock = ManualClock(saturday_storm().start.timestamp())
    old = pager_for(config, redis, clock)
    old_stop = asyncio.Event()
    old_updates = asyncio.create_task(old._receive_updates(old_stop))
    await until(lambda: old.poller_health.up)

    # @BotFather /revoke: the old token is refused from now on (no new one exists yet).
    telegram.valid_tokens = set()
    await until(lambda: not old.poller_health.up and old.poller_health.failures >= 1)
    assert old.poller_health.last_error == "InvalidToken: Unauthorized"  # Telegram's answer, never the token
    assert old.poller_up is not None and old.poller_up._value.get() == 0  # warner_telegram_poller_up
    assert not old_updates.done()  # still trying, with backoff

    # The storm: level 1 (Anna) fails, its re-drive fails again, level 2 (Ben) fails five minutes later.
    await replay_storm(redis, config, old.hooks)
    for advance in (1, 31, 5 * 60):
        clock.advance(advance)
        await old.engine.run_due()
    due = 2  # Anna's level-1 page and Ben's level-2 page fell due while the token was revoked
    assert delivered(telegram, ANNA) == [] and delivered(telegram, BEN) == []
    timeline = await old.engine.incidents.timeline("kesselberg", 1)
    undeliverable = [e for e in timeline if e.get("event") == "undeliverable"]
    # Anna's page was tried at 0 s, re-driven after 30 s and 60 s more; Ben's once: each keeps a re-drive waiting
    assert [(e["recipient"], e["retry"]) for e in undeliverable] == [("anna", 0), ("anna", 1), ("anna", 2), ("ben", 0)]
    assert len(await old.engine.timers.pending("kesselberg:1")) == 3  # the two re-drives and level 3 (repeat)

    # The new token is made and put in place; the workers restart one by one (two, racing for the timers).
    telegram.valid_tokens = {NEW}
    monkeypatch.setenv(ENV, NEW)
    old_stop.set()
    await asyncio.gather(old_updates, return_exceptions=True)
    await old.close()
    stops = [asyncio.Event(), asyncio.Event()]
    workers = [pager_for(config, redis, clock) for _ in stops]
    runs = [asyncio.create_task(w.run(stop)) for w, stop in zip(workers, stops, strict=True)]
    try:
        await until(lambda: len(delivered(telegram, ANNA)) >= 1 and len(delivered(telegram, BEN)) >= 1)
        await until(lambda: any(w.poller_health.up for w in workers))
        await asyncio.sleep(1.0)  # time for a duplicate to show up, if there were one
        sent = len(sends(telegram, ANNA, NEW)) + len(sends(telegram, BEN, NEW))
        assert (due, sent) == (2, 2)  # every page due in the window, once, with the new token
        assert len(delivered(telegram, ANNA)) == 1 and len(delivered(telegram, BEN)) == 1

        # Ben acknowledges with the button of the re-driven alert (received by the new poller).
        message = next(m for (chat, _), m in telegram.messages.items() if chat == BEN)
        ack = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
                   if "Acknowledge" in b["text"])  # fmt: skip
        await telegram.press(telegram.user(BEN, "Ben", "en"), message, ack)
        await until(lambda: bool(telegram.calls_of("answerCallbackQuery")))
        response = await workers[0].engine.lifecycle.get("kesselberg:1")
        assert response is not None and response.state == "acknowledged"
        before = len(telegram.calls_of("sendMessage"))
        clock.advance(3600)
        await asyncio.sleep(1.0)
        assert len(telegram.calls_of("sendMessage")) == before  # no page after the acknowledgement
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*runs, return_exceptions=True)
    print(f"\npages due while revoked: {due}, sent after rotation: {sent}")


async def test_an_acknowledgement_cancels_a_waiting_redelivery(redis, tokens, doubles, monkeypatch):
    telegram, sms = doubles
    config = telegram_only_config(telegram, sms)
    clock = ManualClock(saturday_storm().start.timestamp())
    telegram.valid_tokens = set()  # revoked before the storm
    old = pager_for(config, redis, clock)
    await replay_storm(redis, config, old.hooks)
    clock.advance(1)
    await old.engine.run_due()  # Anna's page fails: a re-drive waits
    assert await old.engine.timers.pending("kesselberg:1")
    # Anna acknowledges in the web console (or by SMS) before the token is replaced.
    await old.responder.act("kesselberg:1", "ack", "anna", "web")
    await old.close()

    telegram.valid_tokens = {NEW}
    monkeypatch.setenv(ENV, NEW)
    new = pager_for(config, redis, clock)
    await new.application.initialize()
    try:
        assert await new.engine.redelivery.pull_forward("test") == 0
        clock.advance(3600)
        await new.engine.run_due()
        assert sends(telegram, ANNA, NEW) == []  # the acknowledged page is not re-driven
    finally:
        await new.close()
