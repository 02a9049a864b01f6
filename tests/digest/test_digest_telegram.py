"""The digest on Telegram: the real python-telegram-bot client against the local Bot API double."""

from __future__ import annotations

import pytest
from digest.week_sample import realistic_week
from doubles.telegram_api import TelegramApiDouble, parse_html

from warner.digest.chart import render_chart
from warner.digest.report import caption, telegram_text
from warner.digest.telegram import digest_bot, send_digest
from warner.notify.telegram.config import TelegramConfig, TelegramSecrets

ANNA, BEN = 1001, 1002  # Anna reads German, Ben English


@pytest.fixture
async def api(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with TelegramApiDouble() as api:
        yield api


@pytest.fixture
async def bot(api):
    secrets = TelegramSecrets(token="123456:test-token", callback_key=b"k", webhook_secret=None)
    async with digest_bot(TelegramConfig(base_url=api.base_url), secrets) as bot:
        yield bot


@pytest.fixture(scope="module")
def week_and_chart():
    week = realistic_week()
    return week, render_chart(week)


async def test_each_recipient_gets_the_chart_then_the_text_in_their_language(api, bot, week_and_chart):
    week, png = week_and_chart
    results = await send_digest(bot, [(ANNA, "de"), (BEN, "en")], week, png)

    assert [(r.chat_id, r.language, r.ok) for r in results] == [(ANNA, "de", True), (BEN, "en", True)]
    assert [c.method for c in api.calls if c.method != "getMe"] == [
        "sendPhoto", "sendMessage", "sendPhoto", "sendMessage"]  # fmt: skip
    photos, texts = api.calls_of("sendPhoto"), api.calls_of("sendMessage")
    for photo in photos:
        upload = photo["photo"]
        assert upload.is_png and upload.size == len(png) and upload.png_size[0] == 1200
        assert upload.filename == "digest-2026-W47.png"
    assert [int(p["chat_id"]) for p in photos] == [ANNA, BEN]
    assert photos[0]["caption"] == caption(week, "de") and photos[1]["caption"] == caption(week, "en")
    assert texts[0]["text"] == telegram_text(week, "de") and texts[1]["text"] == telegram_text(week, "en")
    assert all(t["parse_mode"] == "HTML" for t in [*photos, *texts])

    anna_photo = api.messages[(ANNA, int(results[0].photo.message_ref.split(":")[1]))]
    assert anna_photo["caption"].startswith("📊 Wochenbericht KW 47/2026")  # the double parsed the HTML
    assert anna_photo["photo"][0]["width"] == 1200
    anna_text = api.messages[(ANNA, int(results[0].text.message_ref.split(":")[1]))]
    assert "Erwähnungen: 4.559" in anna_text["text"]
    ben_text, _ = parse_html(texts[1]["text"])
    assert "Mentions: 4,559" in ben_text


async def test_flood_limit_on_the_photo_is_reported_with_retry_after_and_the_text_waits(api, bot, week_and_chart):
    week, png = week_and_chart
    api.fail("sendPhoto", status=429, retry_after=23)
    anna, ben = await send_digest(bot, [(ANNA, "de"), (BEN, "en")], week, png)

    assert (anna.ok, anna.retry_after, anna.permanent, anna.text) == (False, 23.0, False, None)
    assert "RetryAfter" in anna.error
    assert ben.ok  # one recipient's failure does not stop the others
    assert [int(c["chat_id"]) for c in api.calls_of("sendMessage")] == [BEN]


async def test_server_error_is_transient_and_a_blocked_chat_permanent(api, bot, week_and_chart):
    week, png = week_and_chart
    api.fail("sendMessage", status=502)
    api.blocked_chats.add(BEN)
    anna, ben = await send_digest(bot, [(ANNA, "de"), (BEN, "en")], week, png)

    assert anna.photo.ok and not anna.text.ok  # only the text needs another try
    assert (anna.ok, anna.permanent, anna.retry_after) == (False, False, None)
    assert (ben.ok, ben.permanent, ben.text) == (False, True, None) and "Forbidden" in ben.error


async def test_without_a_chart_only_the_text_is_sent(api, bot, week_and_chart):
    week, _ = week_and_chart
    (result,) = await send_digest(bot, [(ANNA, "de")], week, None)
    assert result.ok and result.photo is None
    assert api.calls_of("sendPhoto") == [] and len(api.calls_of("sendMessage")) == 1


async def test_double_refuses_a_caption_over_1024_characters(api, bot, week_and_chart):
    _, png = week_and_chart
    with pytest.raises(Exception, match="caption is too long"):
        await bot.send_photo(ANNA, png, caption="x" * 1025)
