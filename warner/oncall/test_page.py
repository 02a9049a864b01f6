"""A test page: does warner reach this person, over each channel, right now?

Set-up is only done when a page has arrived: a bot token that works, a Telegram id the bot
may write to (the person must have sent the bot /start once), an SMS gateway that takes the
number, a phone that rings (a test call says it is a test and asks for no key).
``send_test_page`` sends one clearly marked message ("Testalarm – kein Vorfall") to one
person over every configured channel at once and reports what each channel answered.

It touches nothing but the channels: no incident, no escalation, no Redis, no ack code, no
digest entry, no page metrics — and no retries, so the answer is the channel's first word.
Used by ``warner page --test PERSON`` (``commands/oncall.py``) and the bot's ``/test``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from rich.console import Console

from warner.core import Language, Recipient
from warner.incidents.model import Incident
from warner.notify.base import Delivery, Page
from warner.oncall.config import PagingSettings
from warner.oncall.schedule import Roster

if TYPE_CHECKING:
    from warner.notify.sms.channels import HttpSmsChannel, TwilioSmsChannel

log = structlog.get_logger(__name__)

TEXT: dict[Language, dict[str, str]] = {
    "de": {
        "message": (
            "🧪 Testalarm – kein Vorfall\n"
            "warner prüft nur, ob es {name} über {channel} erreicht. Nichts zu tun."
        ),
        "sms": "warner Testalarm – kein Vorfall. warner prüft nur, ob es {name} per SMS erreicht. Nichts zu tun.",
        "title": "Testalarm an {name}:",
        "delivered": "{channel}: zugestellt an {target}",
        "failed": "{channel}: nicht zugestellt – {error}",
        "no_channels": "Kein Kanal eingerichtet "
        "(notify.telegram, notify.sms, notify.voice, notify.email oder notify.console).",
    },
    "en": {
        "message": (
            "🧪 Test page – no incident\n"
            "warner only checks that it reaches {name} via {channel}. Nothing to do."
        ),
        "sms": "warner test page – no incident. warner only checks that it reaches {name} by SMS. Nothing to do.",
        "title": "Test page to {name}:",
        "delivered": "{channel}: delivered to {target}",
        "failed": "{channel}: not delivered – {error}",
        "no_channels": "No channel set up (notify.telegram, notify.sms, notify.voice, notify.email or notify.console).",
    },
}

CHANNEL_NAMES: dict[Language, dict[str, str]] = {
    "de": {"telegram": "Telegram", "sms": "SMS", "call": "Anruf", "email": "E-Mail", "console": "die Konsole"},
    "en": {"telegram": "Telegram", "sms": "SMS", "call": "phone call", "email": "e-mail", "console": "the console"},
}


class NoChannels(RuntimeError):
    """The config sets up no channel a page could go over."""


@dataclass(frozen=True, slots=True)
class ChannelAnswer:
    """What one channel answered to the test page."""

    channel: str
    delivered: bool
    target: str = ""  # chat id or phone number, as the channel saw it
    error: str | None = None

    def describe(self, language: Language) -> str:
        """One line: 'telegram: delivered to 1001' or 'sms: not delivered – HTTP 500: …'."""
        if self.delivered:
            return TEXT[language]["delivered"].format(channel=self.channel, target=self.target or "-")
        return TEXT[language]["failed"].format(channel=self.channel, error=self.error or "?")


class SendsTestPages(Protocol):
    """A channel that can send a message outside any incident (Telegram, console, SMS through ``_SmsTestPage``)."""

    name: str

    async def send_test(self, recipient: Recipient, text: str) -> Delivery: ...

    async def close(self) -> None: ...


def report(recipient: Recipient, answers: list[ChannelAnswer], language: Language) -> str:
    """The title and one line per channel, for a person to read."""
    lines = [TEXT[language]["title"].format(name=recipient.name)]
    return "\n".join(lines + [answer.describe(language) for answer in answers])


async def send_test_page(
    config: PagingSettings,
    person_id: str,
    *,
    reuse: Mapping[str, Any] | None = None,
    console: Console | None = None,
) -> tuple[Recipient, list[ChannelAnswer]]:
    """Send the test page to ``person_id`` over every configured channel; who it went to, and each answer.

    ``reuse``: channels already running (the pager's), used when they can send a test page
    (Telegram, console) and left open; the others are built from the config and closed here.
    Raises ``UnknownId`` (a ``LookupError`` listing the known ids) and ``NoChannels``.
    """
    person = Roster(config.oncall).person(person_id)
    recipient = Recipient(person.id, person.name, person.language, person.telegram_id, person.phone, person.email)
    channels, broken = _channels(config, reuse or {}, console)
    if not channels and not broken:
        raise NoChannels(TEXT["en"]["no_channels"])
    built = [c for name, c in channels.items() if (reuse or {}).get(name) is not c]
    try:
        sent = await asyncio.gather(*(_send(channel, name, recipient) for name, channel in channels.items()))
    finally:
        for channel in built:
            await channel.close()
    answers = [ChannelAnswer(name, False, error=error) for name, error in broken.items()] + list(sent)
    order = {name: n for n, name in enumerate(("telegram", "sms", "call", "email", "console"))}
    answers.sort(key=lambda a: order.get(a.channel, len(order)))
    for a in answers:
        log.info("test_page_sent", person=person.id, channel=a.channel, delivered=a.delivered, error=a.error)
    return recipient, answers


async def _send(channel: SendsTestPages, name: str, recipient: Recipient) -> ChannelAnswer:
    shown = CHANNEL_NAMES[recipient.language].get(name, name)
    text = TEXT[recipient.language]["message"].format(name=recipient.name, channel=shown)
    try:
        delivery = await channel.send_test(recipient, text)
    except Exception as exc:
        log.exception("test_page_channel_crashed", channel=name, person=recipient.id)
        return ChannelAnswer(name, False, error=f"{type(exc).__name__}: {exc}")
    return ChannelAnswer(name, delivery.ok, delivery.target, None if delivery.ok else delivery.error)


def _channels(
    config: PagingSettings, reuse: Mapping[str, Any], console: Console | None
) -> tuple[dict[str, SendsTestPages], dict[str, str]]:
    """The configured channels able to send a test page, and per channel that could not be built, why."""
    channels: dict[str, SendsTestPages] = {}
    broken: dict[str, str] = {}
    notify = config.notify
    labels = {b.name: b.label for b in config.brands}
    if notify.telegram is not None:
        if hasattr(reuse.get("telegram"), "send_test"):
            channels["telegram"] = reuse["telegram"]
        else:
            from warner.notify.telegram.channel import TelegramChannel
            from warner.notify.telegram.config import TelegramSecretError

            try:
                secrets = notify.telegram.secrets()
            except TelegramSecretError as exc:
                broken["telegram"] = str(exc)
            else:
                channels["telegram"] = TelegramChannel.create(notify.telegram, secrets.token, secrets.callback_key)
    if notify.sms is not None:
        from warner.notify.secrets import MissingSecretError
        from warner.notify.sms.channels import sms_channel

        try:
            channels["sms"] = _SmsTestPage(sms_channel(notify.sms, labels=labels))
        except MissingSecretError as exc:  # the answer of this channel; the others still get their test
            broken["sms"] = str(exc)
    if notify.voice is not None:
        from warner.notify.secrets import MissingSecretError
        from warner.notify.voice.channel import voice_channel

        try:  # never the pager's: a test call says the test text, not a page
            channels["call"] = voice_channel(notify.voice, labels=labels, console=console)
        except MissingSecretError as exc:
            broken["call"] = str(exc)
    if notify.email is not None:
        from warner.notify.email.channel import email_channel
        from warner.notify.secrets import MissingSecretError

        try:  # its own channel even in the pager: a mail channel holds no connection worth reusing
            channels["email"] = email_channel(notify.email, labels=labels)
        except MissingSecretError as exc:
            broken["email"] = str(exc)
    if notify.console:
        if hasattr(reuse.get("console"), "send_test"):
            channels["console"] = reuse["console"]
        else:
            from warner.notify.console import ConsoleChannel

            channels["console"] = ConsoleChannel(console or Console(), labels=labels)
    return channels, broken


class _SmsTestPage:
    """An SMS channel of its own whose text is the test text; the request, secrets and verdicts are the real ones.

    The SMS channels word a page from its incident (``sms_text``); a test page has none, so
    this instance — built for the test page only, never the pager's — says the test text.
    """

    def __init__(self, channel: HttpSmsChannel | TwilioSmsChannel) -> None:
        self._channel = channel
        self.name = channel.name

    async def send_test(self, recipient: Recipient, text: str) -> Delivery:
        """``text`` is for chat apps; an SMS says it in its own words, one GSM-7 segment."""
        from warner.notify.sms.text import SMS_LIMIT, to_gsm7, truncate_gsm7

        words = TEXT[recipient.language]["sms"].format(name=recipient.name)
        self._channel.text = lambda page: truncate_gsm7(to_gsm7(words), SMS_LIMIT)  # type: ignore[method-assign]  # this instance only sends the test text
        return await self._channel.send(_carrier(recipient))

    async def close(self) -> None:
        await self._channel.close()


def _carrier(recipient: Recipient) -> Page:
    """A page that only carries the recipient to the SMS channel: never stored, its text replaced."""
    nothing = Incident(brand="test", number=0, status="closed", severity="info", started_at=0, updated_at=0)
    return Page(nothing, recipient, "new", ack_code="")
