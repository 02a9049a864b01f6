"""The Telegram channel with the real python-telegram-bot client against the local Bot API double."""

from __future__ import annotations

import pytest
from doubles.telegram_api import TelegramApiDouble

from warner.core import Recipient
from warner.incidents.model import Incident, TopMention
from warner.notify.base import Page
from warner.notify.telegram.channel import TelegramChannel
from warner.notify.telegram.config import TelegramConfig

TOKEN = "123456:test-token"
KEY = b"callback-key-for-tests"
NOW = 1795287000
ANNA = Recipient("anna", "Anna", language="de", telegram_id=1001)


def storm(**changes) -> Incident:
    fields = dict(brand="kesselberg", number=12, status="open", severity="critical", started_at=NOW,
                  updated_at=NOW, mentions=1382, expected=51, negatives=442,
                  top=[TopMention("t1", "<b>Boykott</b>", NOW, 5000, url="https://social.example/1")])  # fmt: skip
    fields.update(changes)
    return Incident(**fields)


def page(**changes) -> Page:
    return Page(**{"incident": storm(), "recipient": ANNA, "kind": "new", "ack_code": "4711", **changes})


@pytest.fixture
async def api(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # else RetryAfter warns (an error here) about int vs timedelta
    async with TelegramApiDouble() as api:
        yield api


@pytest.fixture
async def channel(api):
    config = TelegramConfig(base_url=api.base_url)
    channel = TelegramChannel.create(config, TOKEN, KEY, brand_names={"kesselberg": "Brauerei Kesselberg"},
                                     clock=lambda: NOW)  # fmt: skip
    yield channel
    await channel.close()


async def test_alert_is_sent_with_buttons_then_the_same_message_is_edited(api, channel):
    first = await channel.send(page())
    assert first.ok and first.target == "1001" and first.latency_s > 0
    (sent,) = api.calls_of("sendMessage")
    assert sent["parse_mode"] == "HTML" and "&lt;b&gt;Boykott&lt;/b&gt;" in sent["text"]
    buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons][0] == "✅ Übernehmen" and len(buttons) == 5
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)

    update = await channel.send(page(kind="acknowledged", message_ref=first.message_ref,
                                     state_line="✅ Übernommen von Anna um 21:04"))  # fmt: skip
    assert update.ok and update.message_ref == first.message_ref
    assert len(api.calls_of("sendMessage")) == 1
    (edit,) = api.calls_of("editMessageText")
    assert f"{edit['chat_id']}:{edit['message_id']}" == first.message_ref
    assert edit["text"].endswith("✅ Übernommen von Anna um 21:04") and "reply_markup" in edit


async def test_resolved_alert_loses_its_buttons(api, channel):
    first = await channel.send(page())
    done = await channel.send(page(kind="resolved", message_ref=first.message_ref, state_line="☑️ Gelöst von Anna"))
    assert done.ok
    (edit,) = api.calls_of("editMessageText")
    assert "reply_markup" not in edit
    assert "reply_markup" not in api.messages[(1001, int(first.message_ref.split(":")[1]))]


async def test_unchanged_edit_counts_as_delivered(api, channel):
    first = await channel.send(page())
    again = await channel.send(page(message_ref=first.message_ref))
    assert again.ok and again.message_ref == first.message_ref


async def test_edit_of_a_deleted_message_sends_a_new_one(api, channel):
    delivery = await channel.send(page(message_ref="1001:999"))
    assert delivery.ok and delivery.message_ref != "1001:999"
    assert len(api.calls_of("sendMessage")) == 1


async def test_flood_limit_reports_telegram_s_retry_after(api, channel):
    api.fail("sendMessage", status=429, retry_after=17)
    delivery = await channel.send(page())
    assert (delivery.ok, delivery.retry_after, delivery.permanent) == (False, 17.0, False)
    assert (await channel.send(page())).ok  # the channel itself never retried; the next attempt goes through


@pytest.mark.parametrize("status", [500, 502])
async def test_server_error_is_transient(api, channel, status):
    api.fail("sendMessage", status=status)
    delivery = await channel.send(page())
    assert not delivery.ok and not delivery.permanent and delivery.retry_after is None
    assert delivery.error


async def test_unknown_or_blocking_chat_is_permanent(api, channel):
    api.unknown_chats.add(1001)
    delivery = await channel.send(page())
    assert not delivery.ok and delivery.permanent and "chat not found" in delivery.error.lower()
    api.unknown_chats.clear()
    api.blocked_chats.add(1001)
    assert (await channel.send(page())).permanent


async def test_unreachable_api_is_transient(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    channel = TelegramChannel.create(TelegramConfig(base_url="http://127.0.0.1:9"), TOKEN, KEY)
    delivery = await channel.send(page())
    assert not delivery.ok and not delivery.permanent
    await channel.close()


async def test_recipient_without_telegram_id_cannot_be_reached(channel):
    nobody = Recipient("ben", "Ben", phone="+4915112345678")
    assert not channel.can_reach(nobody) and channel.can_reach(ANNA)
    delivery = await channel.send(page(recipient=nobody))
    assert not delivery.ok and delivery.permanent
