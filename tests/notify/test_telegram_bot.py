"""The bot: button presses and commands through the real python-telegram-bot Application.

Polling and webhook mode against the local Bot API double; ``actions`` and ``backend`` are
small recording stand-ins (the incident lifecycle lives elsewhere).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from doubles.telegram_api import TelegramApiDouble
from structlog.testing import capture_logs

from warner.core import Recipient
from warner.incidents.model import Incident, TopMention
from warner.notify.base import Page
from warner.notify.telegram.bot import build_application, start_polling, start_webhook, stop
from warner.notify.telegram.channel import TelegramChannel
from warner.notify.telegram.config import TelegramConfig
from warner.notify.telegram.drafts import ChosenDraft, DraftOption
from warner.notify.telegram.keyboard import CallbackSigner
from warner.notify.telegram.webhook import SECRET_HEADER, create_webhook_app

TOKEN = "123456:test-token"
KEY = b"callback-key-for-tests"
NOW = 1795287000
ANNA_ID, STRANGER_ID, GROUP_MEMBER_ID, GROUP_ID, BEN_EN_ID = 1001, 666, 777, -100200, 1003
ANNA = Recipient("anna", "Anna", telegram_id=ANNA_ID)
GROUP = Recipient(f"chat:{GROUP_ID}", "Krisenstab", telegram_id=GROUP_ID)
SIGNER = CallbackSigner(KEY, timedelta(days=7))


class RecordingActions:
    """IncidentActions that remember what was asked and answer with a state line."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, str]] = []

    async def act(self, incident_id: str, action: str, person: str, via: str) -> str:
        if not incident_id.startswith("kesselberg:"):
            raise LookupError(incident_id)
        if person == "ben":
            raise PermissionError("ben is not on this brand's team")
        self.calls.append((incident_id, action, person, via))
        return {"ack": "✅ Übernommen von Anna um 21:04", "resolve": "☑️ Gelöst von Anna um 22:30"}.get(
            action, f"{action} von {person}"
        )


class Backend:
    def __init__(self) -> None:
        self.tested: list[tuple[str, str]] = []

    def person_for_telegram(self, user_id: int) -> str | None:
        return {ANNA_ID: "anna", 1002: "ben", BEN_EN_ID: "ben_en"}.get(user_id)

    def language_for(self, person: str) -> str | None:
        return {"ben_en": "en"}.get(person)  # Anna set no language: her Telegram app's decides

    async def test_page(self, person: str, language: str) -> str:
        if person.startswith("telegram:"):
            raise LookupError(person)
        self.tested.append((person, language))
        return f"Testalarm an {person}:\ntelegram: zugestellt an {ANNA_ID}"

    async def oncall_text(self, language: str) -> str:
        return f"Bereitschaft: Anna ({language})"

    async def incidents_text(self, language: str) -> str:
        return "kesselberg:12 kritisch, offen"

    async def drafts(self, incident_id: str, language: str) -> list[DraftOption]:
        return [DraftOption("0", "Haltestatement", "Treffer: boykott")]

    async def choose_draft(self, incident_id: str, key: str, language: str, person: str) -> ChosenDraft:
        return ChosenDraft(f"Entwurf für {incident_id}: Es tut uns leid.")


def storm() -> Incident:
    return Incident(brand="kesselberg", number=12, status="open", severity="critical", started_at=NOW,
                    updated_at=NOW, mentions=1382, expected=51, negatives=442,
                    top=[TopMention("t1", "<script>Boykott</script> & 🍺", NOW, 5000, author="@wut",
                                    url="https://social.example/p?a=1&b=2")])  # fmt: skip


@pytest.fixture
async def api(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with TelegramApiDouble() as api:
        yield api


@pytest.fixture
def actions() -> RecordingActions:
    return RecordingActions()


@pytest.fixture
def clock() -> list[float]:
    return [NOW + 60]


@pytest.fixture
def backend() -> Backend:
    return Backend()


@pytest.fixture
async def bot(api, actions, clock, backend):
    config = TelegramConfig(base_url=api.base_url, allowed_chat_ids=[GROUP_ID])
    application = build_application(config, TOKEN, actions, backend, callback_key=KEY, clock=lambda: clock[0])
    await start_polling(application, poll_timeout_s=1)
    yield application
    await stop(application)


async def alert(api, application, recipient: Recipient = ANNA) -> dict:
    """Send the alert through the channel (on the application's bot); the message as Telegram keeps it."""
    channel = TelegramChannel(application.bot, SIGNER, clock=lambda: NOW)
    delivery = await channel.send(Page(storm(), recipient, "new", "4711"))
    assert delivery.ok
    chat_id, message_id = map(int, delivery.message_ref.rsplit(":", 1))
    return api.messages[(chat_id, message_id)]


def button(message: dict, label: str) -> str:
    return next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
                if b["text"].endswith(label))  # fmt: skip


async def test_acknowledge_button_acts_and_shows_who_acted(api, bot, actions):
    message = await alert(api, bot)
    await api.press(api.user(ANNA_ID), message, button(message, "Übernehmen"))
    (answer,) = await api.wait_for("answerCallbackQuery")
    assert actions.calls == [("kesselberg:12", "ack", "anna", "telegram")]
    assert answer["text"] == "✅ Übernommen von Anna um 21:04"
    (edit,) = api.calls_of("editMessageText")
    assert edit["text"].endswith("<code>kesselberg:12</code>\n\n✅ Übernommen von Anna um 21:04")
    (sent,) = api.calls_of("sendMessage")
    assert (
        edit["text"] == sent["text"] + "\n\n✅ Übernommen von Anna um 21:04"
    )  # the rest survives Telegram's round trip
    shown = api.messages[(ANNA_ID, message["message_id"])]
    assert shown["text"].endswith("✅ Übernommen von Anna um 21:04") and shown["reply_markup"]


async def test_resolve_removes_the_buttons_and_a_second_press_replaces_the_state_line(api, bot, actions):
    message = await alert(api, bot)
    await api.press(api.user(ANNA_ID), message, button(message, "Übernehmen"))
    await api.wait_for("answerCallbackQuery")
    await api.press(api.user(ANNA_ID), api.messages[(ANNA_ID, message["message_id"])], button(message, "Gelöst"))
    await api.wait_for("answerCallbackQuery", 2)
    shown = api.messages[(ANNA_ID, message["message_id"])]
    assert shown["text"].endswith("\n\n☑️ Gelöst von Anna um 22:30") and "Übernommen" not in shown["text"]
    assert "reply_markup" not in shown
    assert [c[1] for c in actions.calls] == ["ack", "resolve"]


async def test_drafts_button_replies_with_the_drafts(api, bot, actions):
    message = await alert(api, bot)
    await api.press(api.user(ANNA_ID), message, button(message, "Entwürfe"))
    await api.wait_for("answerCallbackQuery")
    assert actions.calls == [("kesselberg:12", "drafts", "anna", "telegram")]
    listed = api.calls_of("sendMessage")[-1]
    assert "Haltestatement" in listed["text"] and len(listed["reply_markup"]["inline_keyboard"]) == 1
    assert not api.calls_of("editMessageText")  # the alert keeps showing the incident's state


async def test_member_of_an_allowed_group_may_act(api, bot, actions):
    message = await alert(api, bot, GROUP)
    await api.press(api.user(GROUP_MEMBER_ID, "Carla"), message, button(message, "stumm"))
    await api.wait_for("answerCallbackQuery")
    assert actions.calls == [("kesselberg:12", "snooze", f"telegram:{GROUP_MEMBER_ID}", "telegram")]


async def test_stranger_is_refused_and_logged(api, bot, actions):
    message = await alert(api, bot)
    with capture_logs() as logs:
        await api.press(api.user(STRANGER_ID, "Mallory"), message, button(message, "Übernehmen"))
        (answer,) = await api.wait_for("answerCallbackQuery")
    assert actions.calls == [] and answer["show_alert"] in (True, "true", "True")
    assert "nicht berechtigt" in answer["text"]
    assert not api.calls_of("editMessageText")
    refused = [e for e in logs if e["event"] == "telegram_callback_refused"]
    assert refused and refused[0]["reason"] == "unauthorised" and refused[0]["user_id"] == STRANGER_ID
    assert refused[0]["log_level"] == "warning"


async def test_person_the_lifecycle_refuses_gets_no_state_change(api, bot, actions):
    message = await alert(api, bot)
    with capture_logs() as logs:
        await api.press(api.user(1002, "Ben"), message, button(message, "Übernehmen"))
        (answer,) = await api.wait_for("answerCallbackQuery")
    assert not api.calls_of("editMessageText") and "nicht berechtigt" in answer["text"]
    assert any(e["event"] == "telegram_action_refused" for e in logs)


async def test_button_for_an_unknown_incident_leaves_the_alert_alone(api, bot, actions):
    message = await alert(api, bot)
    await api.press(api.user(ANNA_ID), message, SIGNER.sign("ack", "gone:1", NOW))
    (answer,) = await api.wait_for("answerCallbackQuery")
    assert answer["text"] == "Unbekannter Vorfall: gone:1" and not api.calls_of("editMessageText")


async def test_forged_callback_is_refused_and_logged(api, bot, actions):
    message = await alert(api, bot)
    genuine = button(message, "Übernehmen")
    forged = genuine.replace("kesselberg:12", "kesselberg:13")
    with capture_logs() as logs:
        await api.press(api.user(ANNA_ID), message, forged)
        await api.press(api.user(ANNA_ID), message, "ack kesselberg:12")
        answers = await api.wait_for("answerCallbackQuery", 2)
    assert actions.calls == [] and all(a["text"] == "Ungültiger Knopf." for a in answers)
    reasons = [e["reason"] for e in logs if e["event"] == "telegram_callback_refused"]
    assert reasons == ["forged", "malformed"]


async def test_stale_callback_is_refused_and_logged(api, bot, actions, clock):
    message = await alert(api, bot)
    clock[0] = NOW + 8 * 86400
    with capture_logs() as logs:
        await api.press(api.user(ANNA_ID), message, button(message, "Übernehmen"))
        (answer,) = await api.wait_for("answerCallbackQuery")
    assert actions.calls == [] and "abgelaufen" in answer["text"]
    assert [e["reason"] for e in logs if e["event"] == "telegram_callback_refused"] == ["stale"]


async def test_ack_command(api, bot, actions):
    await api.command(api.user(ANNA_ID), "/ack kesselberg:12")
    (reply,) = await api.wait_for("sendMessage")
    assert actions.calls == [("kesselberg:12", "ack", "anna", "telegram")]
    assert reply["text"] == "✅ Übernommen von Anna um 21:04" and int(reply["chat_id"]) == ANNA_ID
    await api.command(api.user(ANNA_ID), "/ack")
    await api.command(api.user(ANNA_ID, language_code="en"), "/ack nowhere:1")
    replies = await api.wait_for("sendMessage", 3)
    assert replies[1]["text"].startswith("Bitte so: /ack")
    assert replies[2]["text"] == "Unknown incident: nowhere:1"


async def test_oncall_incidents_and_help_commands(api, bot):
    for command in ("/oncall", "/incidents", "/help"):
        await api.command(api.user(ANNA_ID), command)
    replies = [r["text"] for r in await api.wait_for("sendMessage", 3)]
    assert replies[0] == "Bereitschaft: Anna (de)"
    assert replies[1] == "kesselberg:12 kritisch, offen"
    assert "/ack <ID>" in replies[2]


async def test_commands_from_strangers_are_refused(api, bot, actions):
    with capture_logs() as logs:
        await api.command(api.user(STRANGER_ID), "/oncall")
        await api.command(api.user(STRANGER_ID), "/ack kesselberg:12")
        replies = await api.wait_for("sendMessage", 2)
    assert all("nicht berechtigt" in r["text"] for r in replies) and actions.calls == []
    refused = [e for e in logs if e["event"] == "telegram_command_refused"]
    assert [e["command"] for e in refused] == ["oncall", "ack"]


async def test_a_stranger_s_start_gets_their_user_id_the_chat_id_and_where_each_goes(api, bot):
    with capture_logs() as logs:
        await api.command(api.user(STRANGER_ID, "Mallory"), "/start")
        (reply,) = await api.wait_for("sendMessage")
    text = reply["text"]
    assert "nicht berechtigt" not in text and "kennt dich noch nicht" in text
    assert f"Deine Telegram-Nutzer-ID: {STRANGER_ID}" in text and f"Diese Chat-ID: {STRANGER_ID}" in text
    assert f"oncall.people[].telegram_id: {STRANGER_ID}" in text
    assert "notify.telegram.allowed_chat_ids" in text  # how a group gets in: add the bot there, /start there
    started = [e for e in logs if e["event"] == "telegram_stranger_started"]
    assert started and started[0]["user_id"] == STRANGER_ID


async def test_a_stranger_s_start_in_a_group_names_the_group_id_for_allowed_chat_ids_in_english(api, bot):
    other_group = -100300
    await api.command(api.user(STRANGER_ID, "Mallory", "en"), "/start", chat_id=other_group)
    (reply,) = await api.wait_for("sendMessage")
    text = reply["text"]
    assert "does not know you yet" in text and int(reply["chat_id"]) == other_group
    assert f"Your Telegram user id: {STRANGER_ID}" in text and f"This chat id: {other_group}" in text
    assert f"oncall.people[].telegram_id: {STRANGER_ID}" in text
    assert f"notify.telegram.allowed_chat_ids: [{other_group}]" in text


async def test_a_known_user_s_start_lists_the_commands(api, bot):
    await api.command(api.user(ANNA_ID), "/start")
    await api.command(api.user(GROUP_MEMBER_ID, "Carla", "en"), "/start", chat_id=GROUP_ID)
    de, en = (r["text"] for r in await api.wait_for("sendMessage", 2))
    assert all(command in de for command in ("/oncall", "/incidents", "/ack <ID>", "/test", "/help"))
    assert "bis wann" in de and "Nutzer-ID" not in de
    assert "/test – a test page to you" in en


async def test_the_command_menu_is_registered_in_german_and_english_when_the_bot_starts(api, bot):
    de, en = api.commands[""], api.commands["en"]
    menu = ["oncall", "incidents", "ack", "test", "login", "help"]
    assert [c["command"] for c in de] == [c["command"] for c in en] == menu
    assert de[0]["description"] == "Wer hat Bereitschaft, bis wann"
    assert en[0]["description"] == "Who is on call, until when"


async def test_a_menu_telegram_refuses_is_logged_and_the_bot_still_answers(api, actions, backend):
    api.fail("setMyCommands", status=400, description="Bad Request: BOT_COMMAND_INVALID")
    config = TelegramConfig(base_url=api.base_url)
    application = build_application(config, TOKEN, actions, backend, callback_key=KEY)
    with capture_logs() as logs:
        await start_polling(application, poll_timeout_s=1)
    try:
        (refused,) = [e for e in logs if e["event"] == "telegram_commands_not_registered"]
        assert "command_invalid" in refused["error"].lower() and refused["log_level"] == "warning"
        assert api.commands == {}
        await api.command(api.user(ANNA_ID), "/help")
        (reply,) = await api.wait_for("sendMessage")
        assert "/oncall" in reply["text"]
    finally:
        await stop(application)


async def test_test_command_pages_the_sender_s_person_and_replies_with_each_channel_s_answer(api, bot, backend):
    await api.command(api.user(ANNA_ID, language_code="en"), "/test")
    (reply,) = await api.wait_for("sendMessage")
    assert backend.tested == [("anna", "en")]  # Anna set no language: her app's English
    assert reply["text"] == f"Testalarm an anna:\ntelegram: zugestellt an {ANNA_ID}"


async def test_test_command_from_a_group_member_says_which_id_to_add_and_strangers_are_refused(api, bot, backend):
    await api.command(api.user(GROUP_MEMBER_ID, "Carla"), "/test", chat_id=GROUP_ID)
    await api.command(api.user(STRANGER_ID), "/test")
    member, stranger = (r["text"] for r in await api.wait_for("sendMessage", 2))
    assert f"telegram_id: {GROUP_MEMBER_ID}" in member and "oncall.people" in member
    assert "nicht berechtigt" in stranger and backend.tested == []


async def test_replies_follow_the_configured_language_over_the_telegram_app_s(api, bot):
    await api.command(api.user(BEN_EN_ID, "Ben", language_code="de"), "/ack")
    (reply,) = await api.wait_for("sendMessage")
    assert reply["text"].startswith("Usage: /ack")


async def test_webhook_checks_the_secret_header(api, actions, monkeypatch):
    config = TelegramConfig(base_url=api.base_url, mode="webhook", webhook_url="https://warner.example/tg",
                            secret_token_env="HOOK_SECRET")  # fmt: skip
    secrets = config.secrets({"TELEGRAM_BOT_TOKEN": TOKEN, "HOOK_SECRET": "hook-secret_1"})
    application = build_application(config, secrets.token, actions, Backend(), callback_key=KEY, clock=lambda: NOW)
    await start_webhook(application, config.webhook_url, secrets.webhook_secret)
    try:
        assert api.webhook["url"] == "https://warner.example/tg" and api.webhook["secret_token"] == "hook-secret_1"
        message = await alert(api, application)
        update = api.callback_update(api.user(ANNA_ID), message, button(message, "Übernehmen"))
        web_app = create_webhook_app(application, path=config.webhook_path, secret_token=secrets.webhook_secret)
        async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
            with capture_logs() as logs:
                missing = await client.post(config.webhook_path, json=update)
                wrong = await client.post(config.webhook_path, json=update, headers={SECRET_HEADER: "guess"})
            assert (missing.status, wrong.status) == (403, 403)
            assert [e["reason"] for e in logs if e["event"] == "telegram_webhook_refused"] == [
                "missing_secret",
                "wrong_secret",
            ]
            right = await client.post(config.webhook_path, json=update, headers={SECRET_HEADER: "hook-secret_1"})
            assert right.status == 200
            await api.wait_for("answerCallbackQuery")
        assert actions.calls == [("kesselberg:12", "ack", "anna", "telegram")]
    finally:
        await stop(application)


WRONG_SHAPES = [
    b"[]",
    b"5",
    b'"x"',
    b"null",
    b"{}",
    b'{"update_id": "x"}',
    b'{"update_id": 1, "message": 5}',
    b'{"update_id": 1, "message": {"chat": 5}}',
    b'{"update_id": 1, "callback_query": {"id": "1", "from": "x"}}',
    (
        b'{"update_id": 1, "message": {"message_id": 1, "date": 100000000000000000000, '
        b'"chat": {"id": 1, "type": "private"}}}'
    ),
    b"{not json",
    b"\xff\xfe",
]


async def test_webhook_updates_of_the_wrong_shape_are_400_not_500(api, actions):
    config = TelegramConfig(base_url=api.base_url, mode="webhook", webhook_url="https://warner.example/tg",
                            secret_token_env="HOOK_SECRET")  # fmt: skip
    secrets = config.secrets({"TELEGRAM_BOT_TOKEN": TOKEN, "HOOK_SECRET": "hook-secret_1"})
    application = build_application(config, secrets.token, actions, Backend(), callback_key=KEY, clock=lambda: NOW)
    web_app = create_webhook_app(application, path=config.webhook_path, secret_token=secrets.webhook_secret)
    async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
        for body in WRONG_SHAPES:
            response = await client.post(
                config.webhook_path,
                data=body,
                headers={SECRET_HEADER: "hook-secret_1", "Content-Type": "application/json"},
            )
            assert response.status == 400, body
    assert actions.calls == []


async def test_a_stranger_s_command_is_refused_with_the_way_to_their_ids(api, bot, actions):
    await api.command(api.user(STRANGER_ID), "/oncall")
    (reply,) = await api.wait_for("sendMessage", 1)
    assert "nicht berechtigt" in reply["text"] and "/start" in reply["text"]


async def test_a_webhook_secret_header_with_undecodable_bytes_is_403_not_500(api, actions):
    config = TelegramConfig(base_url=api.base_url, mode="webhook", webhook_url="https://warner.example/tg",
                            secret_token_env="HOOK_SECRET")  # fmt: skip
    secrets = config.secrets({"TELEGRAM_BOT_TOKEN": TOKEN, "HOOK_SECRET": "hook-secret_1"})
    application = build_application(config, secrets.token, actions, Backend(), callback_key=KEY, clock=lambda: NOW)
    web_app = create_webhook_app(application, path=config.webhook_path, secret_token=secrets.webhook_secret)
    async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        body = b'{"update_id": 1}'
        writer.write(b"POST " + config.webhook_path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     + SECRET_HEADER.encode() + b": hook-\xff\xfesecret\r\nContent-Type: application/json\r\n"
                     + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)  # fmt: skip
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        await writer.wait_closed()
    assert status_line.split()[1] == b"403"
