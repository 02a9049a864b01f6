"""Drafts on Telegram: the alert's Drafts button lists the best drafts; choosing one sends it ready to copy.

The real python-telegram-bot Application against the Bot API double; the backend is an
in-test stand-in that records what the bot asked (the playbook engine lives elsewhere).
"""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from doubles.telegram_api import TelegramApiDouble
from structlog.testing import capture_logs

from warner.core import Recipient
from warner.incidents.model import Incident
from warner.notify.base import Page
from warner.notify.telegram.bot import build_application, start_polling, stop
from warner.notify.telegram.channel import TelegramChannel
from warner.notify.telegram.config import TelegramConfig
from warner.notify.telegram.drafts import ChosenDraft, DraftOption, render_chosen
from warner.notify.telegram.keyboard import MAX_CALLBACK_DATA, CallbackSigner, MalformedCallback, Press

TOKEN = "123456:test-token"
KEY = b"callback-key-for-tests"
NOW = 1795287000
ANNA_ID, BEN_ID, STRANGER_ID = 1001, 1002, 666
ANNA = Recipient("anna", "Anna", telegram_id=ANNA_ID)
SIGNER = CallbackSigner(KEY, timedelta(days=7))
TRICKY = 'Es tut uns leid: <b>nicht</b> "Glas" & Splitter – wir prüfen 100 % der Charge <3'
OPTIONS = [
    DraftOption("0", "Haltestatement · Produktmangel", "Treffer: rückruf, glassplitter"),
    DraftOption("1", "Entschuldigung · Kundendienst", "Treffer: <hotline> & warteschleife"),
    DraftOption("2", "Faktencheck", "Treffer: fake"),
    DraftOption("3", "Vierter Entwurf", "wird nicht gezeigt"),
]


class Actions:
    """IncidentActions: "drafts" only checks that the person may act (as the lifecycle does)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    async def act(self, incident_id: str, action: str, person: str, via: str) -> str:
        if person == "ben":
            raise PermissionError("ben is not on this brand's team")
        self.calls.append((incident_id, action, person))
        return "Offen"


class Backend:
    """Records ``drafts`` and ``choose_draft`` calls; answers with ``options`` and ``chosen``."""

    def __init__(self) -> None:
        self.options = list(OPTIONS)
        self.chosen = ChosenDraft(
            TRICKY,
            short_text="Wir prüfen das <sofort> & melden uns.",
            checklist=["Rechtsabteilung informiert?", "Chargennummer geprüft & korrekt?"],
            warnings=["länger als 280 Zeichen (312)"],
        )
        self.listed: list[tuple[str, str]] = []
        self.choices: list[tuple[str, str, str, str]] = []

    def person_for_telegram(self, user_id: int) -> str | None:
        return {ANNA_ID: "anna", BEN_ID: "ben"}.get(user_id)

    def language_for(self, person: str) -> str | None:
        return None  # as if nobody set a language: the Telegram app's language decides

    async def test_page(self, person: str, language: str) -> str:
        return f"Testalarm an {person}"

    async def oncall_text(self, language: str) -> str:
        return "Bereitschaft: Anna"

    async def incidents_text(self, language: str) -> str:
        return "kesselberg:12"

    async def drafts(self, incident_id: str, language: str) -> list[DraftOption]:
        self.listed.append((incident_id, language))
        return self.options

    async def choose_draft(self, incident_id: str, key: str, language: str, person: str) -> ChosenDraft:
        self.choices.append((incident_id, key, language, person))
        return self.chosen


@pytest.fixture
async def api(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with TelegramApiDouble() as api:
        yield api


@pytest.fixture
def actions() -> Actions:
    return Actions()


@pytest.fixture
def backend() -> Backend:
    return Backend()


@pytest.fixture
async def bot(api, actions, backend):
    config = TelegramConfig(base_url=api.base_url)
    application = build_application(config, TOKEN, actions, backend, callback_key=KEY, clock=lambda: NOW + 60)
    await start_polling(application, poll_timeout_s=1)
    yield application
    await stop(application)


async def alert(api, application, recipient: Recipient = ANNA) -> dict:
    incident = Incident(brand="kesselberg", number=12, status="open", severity="critical", started_at=NOW,
                        updated_at=NOW, mentions=1382, expected=51, negatives=442)  # fmt: skip
    delivery = await TelegramChannel(application.bot, SIGNER, clock=lambda: NOW).send(
        Page(incident, recipient, "new", "4711")
    )
    chat_id, message_id = map(int, delivery.message_ref.rsplit(":", 1))
    return api.messages[(chat_id, message_id)]


def buttons(message: dict) -> list[dict]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


def button(message: dict, label: str) -> str:
    return next(b["callback_data"] for b in buttons(message) if label in b["text"])


async def drafts_list(api, bot, language_code: str = "de") -> dict:
    """Press Drafts under a fresh alert; the drafts list as Telegram keeps it."""
    message = await alert(api, bot)
    await api.press(api.user(ANNA_ID, language_code=language_code), message, button(message, "📝"))
    await api.wait_for("answerCallbackQuery")
    listed = api.calls_of("sendMessage")[-1]
    return next(m for m in api.messages.values() if m["text"] == html.unescape(_strip_tags(listed["text"])))


def _strip_tags(markup: str) -> str:
    for tag in ("b", "code", "pre"):
        markup = markup.replace(f"<{tag}>", "").replace(f"</{tag}>", "")
    return markup


def pre_blocks(message: dict) -> list[str]:
    """The texts of the message's <pre> entities, as a reader copies them."""
    text16 = message["text"].encode("utf-16-le")
    return [
        text16[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == "pre"
    ]


async def test_drafts_button_lists_the_top_three_with_reasons_in_german(api, bot, backend, actions):
    listed = await drafts_list(api, bot)
    assert backend.listed == [("kesselberg:12", "de")]
    assert actions.calls == [("kesselberg:12", "drafts", "anna")]
    assert listed["text"].startswith("📝 Entwürfe für Vorfall kesselberg:12:")
    assert "1. Haltestatement · Produktmangel\n    Treffer: rückruf, glassplitter" in listed["text"]
    assert "2. Entschuldigung · Kundendienst\n    Treffer: <hotline> & warteschleife" in listed["text"]
    assert "Faktencheck" in listed["text"] and "Vierter" not in listed["text"]
    assert [b["text"] for b in buttons(listed)] == [
        "1. Haltestatement · Produktmangel",
        "2. Entschuldigung · Kundendienst",
        "3. Faktencheck",
    ]
    assert all(len(b["callback_data"].encode()) <= MAX_CALLBACK_DATA for b in buttons(listed))
    assert not api.calls_of("editMessageText")  # the alert keeps its state line


async def test_drafts_list_speaks_english_to_an_english_user(api, bot, backend):
    listed = await drafts_list(api, bot, language_code="en-GB")
    assert backend.listed == [("kesselberg:12", "en")]
    assert listed["text"].startswith("📝 Drafts for incident kesselberg:12:")
    assert "Tap a draft to get its text to copy." in listed["text"]
    assert len(buttons(listed)) == 3


async def test_choosing_the_second_draft_sends_its_exact_text_and_checklist(api, bot, backend):
    listed = await drafts_list(api, bot)
    with capture_logs() as logs:
        await api.press(api.user(ANNA_ID), listed, buttons(listed)[1]["callback_data"])
        answers = await api.wait_for("answerCallbackQuery", 2)
    assert backend.choices == [("kesselberg:12", "1", "de", "anna")]
    assert answers[1]["text"] == "Entwurf gesendet."
    sent = api.calls_of("sendMessage")[-1]
    assert f"<pre>{html.escape(TRICKY, quote=False)}</pre>" in sent["text"]
    shown = next(m for m in api.messages.values() if "Kurzfassung" in m["text"])
    assert pre_blocks(shown) == [TRICKY, "Wir prüfen das <sofort> & melden uns."]  # copied exactly
    assert "Kurzfassung:\nWir prüfen das <sofort> & melden uns." in shown["text"]
    checklist = "Vor dem Posten prüfen:\n1. Rechtsabteilung informiert?\n2. Chargennummer geprüft & korrekt?"
    assert checklist in shown["text"]
    assert "⚠️ Hinweise:\n• länger als 280 Zeichen (312)" in shown["text"]
    chosen = [e for e in logs if e["event"] == "telegram_draft_chosen"]
    assert chosen and chosen[0]["draft"] == "1" and chosen[0]["person"] == "anna"


async def test_forged_and_stale_draft_buttons_are_refused_and_logged(api, bot, backend):
    listed = await drafts_list(api, bot)
    genuine = buttons(listed)[1]["callback_data"]
    other_key = "2" + genuine[1:]
    other_incident = genuine.replace("kesselberg:12", "kesselberg:13")
    stale = SIGNER.sign_draft("kesselberg:12", "1", NOW - 8 * 86400)
    with capture_logs() as logs:
        for data in (other_key, other_incident, stale):
            await api.press(api.user(ANNA_ID), listed, data)
        answers = await api.wait_for("answerCallbackQuery", 4)
    assert backend.choices == []
    assert [a["text"] for a in answers[1:]] == ["Ungültiger Knopf.", "Ungültiger Knopf.", answers[3]["text"]]
    assert "abgelaufen" in answers[3]["text"]
    reasons = [e["reason"] for e in logs if e["event"] == "telegram_callback_refused"]
    assert reasons == ["forged", "forged", "stale"]


async def test_unauthorised_people_cannot_choose_a_draft(api, bot, backend):
    listed = await drafts_list(api, bot)
    with capture_logs() as logs:
        await api.press(api.user(STRANGER_ID, "Mallory"), listed, buttons(listed)[0]["callback_data"])
        await api.press(api.user(BEN_ID, "Ben"), listed, buttons(listed)[0]["callback_data"])
        answers = await api.wait_for("answerCallbackQuery", 3)
    assert backend.choices == []
    assert all("nicht berechtigt" in a["text"] for a in answers[1:])
    refused = [e for e in logs if e["event"] == "telegram_callback_refused"]
    assert len(refused) == 1 and refused[0]["reason"] == "unauthorised" and refused[0]["draft"] == "0"
    assert refused[0]["user_id"] == STRANGER_ID
    assert [e["reason"] for e in logs if e["event"] == "telegram_action_refused"] == ["forbidden"]  # Ben


async def test_no_drafts_says_so_without_buttons(api, bot, backend):
    backend.options = []
    message = await alert(api, bot)
    await api.press(api.user(ANNA_ID), message, button(message, "📝"))
    await api.wait_for("answerCallbackQuery")
    sent = api.calls_of("sendMessage")[-1]
    assert "passt kein Entwurf aus den Playbooks" in sent["text"] and "reply_markup" not in sent


def test_a_long_draft_is_split_into_messages_under_the_limit_and_copies_back_exactly():
    text = ('Liebe Community, <wir> & "ihr" – ' * 400).strip()  # ~13,000 characters, many to escape
    draft = ChosenDraft(text, short_text="kurz & gut", checklist=[f"Punkt {n}" for n in range(1, 40)])
    messages = render_chosen("kesselberg:12", draft, "de")
    assert len(messages) > 3 and all(len(m) <= 4096 for m in messages)
    pres = [html.unescape(p.split("</pre>")[0]) for m in messages for p in m.split("<pre>")[1:]]
    assert "".join(pres[:-1]) == text and pres[-1] == "kurz & gut"
    assert "39. Punkt 39" in messages[-1]


def test_draft_data_fits_the_longest_incident_id_an_alert_button_takes():
    longest = "b" * 33 + ":12"  # 36 bytes: the most an alert button fits today
    SIGNER.sign("drafts", longest, NOW)
    data = SIGNER.sign_draft(longest, "abc", NOW)
    assert len(data.encode()) <= MAX_CALLBACK_DATA
    assert SIGNER.verify_press(data, NOW) == Press("drafts", longest, "abc")
    with pytest.raises(MalformedCallback):
        SIGNER.verify(data, NOW)  # an alert button reader never mistakes a choice for a plain press
    with pytest.raises(ValueError, match="draft key"):
        SIGNER.sign_draft("kesselberg:12", "a|b", NOW)
