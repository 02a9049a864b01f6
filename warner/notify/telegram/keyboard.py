"""The five buttons under an alert, the draft buttons under a drafts list, and their signed callback data.

Anyone who can write to the bot can send any callback data, so the data is opaque and
signed: ``1|<action>|<incident id>|<issued, epoch base36>|<HMAC-SHA256, 12 bytes base64url>``,
at most 64 bytes (Telegram's limit). ``verify`` refuses forged, malformed and stale data
with a specific error whose ``reason`` goes into the log.

Choosing a draft is the drafts button with the draft's key appended to its code: the signed
body is ``1|d<key>|<incident id>|<issued>``. So that every incident id that fits under an
alert also fits under a drafts list, the constant ``1|d`` is not sent: the data is
``<key>|<incident id>|<issued>|<mac>`` (four fields, where a button has five).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import get_args

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from warner.core import Action, Language
from warner.notify.telegram import texts
from warner.notify.telegram.drafts import DraftOption
from warner.notify.telegram.render import shorten

VERSION = "1"
MAX_CALLBACK_DATA = 64
SIGNATURE_BYTES = 12
CLOCK_SKEW_S = 300  # data "issued" further in the future than this is refused
LAYOUT: tuple[tuple[Action, ...], ...] = (("ack", "drafts"), ("resolve", "false_alarm"), ("snooze",))
CODES: dict[Action, str] = {"ack": "a", "drafts": "d", "resolve": "r", "false_alarm": "f", "snooze": "s"}
ACTIONS: dict[str, Action] = {code: action for action, code in CODES.items()}
assert set(CODES) == set(get_args(Action))
_CHOICE_PREFIX = f"{VERSION}|{CODES['drafts']}"  # signed but not sent with a draft choice
DRAFT_KEY = re.compile(r"^[A-Za-z0-9_-]{1,3}$")
DRAFT_LABEL_CHARS = 40


@dataclass(frozen=True, slots=True)
class Press:
    """What a genuine, fresh button press asks for; ``draft`` is the chosen draft's key, if any."""

    action: Action
    incident_id: str
    draft: str | None = None


class CallbackRefused(Exception):
    """Callback data that must not be acted on; ``reason`` is a short word for logs."""

    reason = "refused"


class MalformedCallback(CallbackRefused):
    reason = "malformed"


class ForgedCallback(CallbackRefused):
    reason = "forged"


class StaleCallback(CallbackRefused):
    reason = "stale"


class CallbackSigner:
    """Signs and checks callback data with one HMAC key."""

    __slots__ = ("_key", "_stale_after_s")

    def __init__(self, key: bytes, stale_after: timedelta):
        if not key:
            raise ValueError("the callback signing key must not be empty")
        self._key = key
        self._stale_after_s = stale_after.total_seconds()

    def sign(self, action: Action, incident_id: str, now: float) -> str:
        """Callback data for pressing ``action`` on ``incident_id``; ValueError if it exceeds 64 bytes."""
        if "|" in incident_id:
            raise ValueError(f"incident id must not contain '|': {incident_id!r}")
        body = f"{VERSION}|{CODES[action]}|{incident_id}|{_base36(int(now))}"
        data = f"{body}|{self._mac(body)}"
        if len(data.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(f"callback data for {incident_id!r} exceeds {MAX_CALLBACK_DATA} bytes")
        return data

    def sign_draft(self, incident_id: str, key: str, now: float) -> str:
        """Callback data for choosing draft ``key`` of ``incident_id``; ValueError if it exceeds 64 bytes."""
        if not DRAFT_KEY.match(key):
            raise ValueError(f"draft key must be 1-3 characters of [A-Za-z0-9_-]: {key!r}")
        if "|" in incident_id:
            raise ValueError(f"incident id must not contain '|': {incident_id!r}")
        sent = f"{key}|{incident_id}|{_base36(int(now))}"
        data = f"{sent}|{self._mac(f'{_CHOICE_PREFIX}{sent}')}"
        if len(data.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(f"callback data for draft {key!r} of {incident_id!r} exceeds {MAX_CALLBACK_DATA} bytes")
        return data

    def verify(self, data: str | None, now: float) -> tuple[Action, str]:
        """``(action, incident_id)`` from a genuine, fresh alert button; raise a CallbackRefused subclass otherwise."""
        press = self.verify_press(data, now)
        if press.draft is not None:
            raise MalformedCallback(f"a draft choice, not an alert button: {data!r}")
        return press.action, press.incident_id

    def verify_press(self, data: str | None, now: float) -> Press:
        """The ``Press`` from genuine, fresh data (alert button or draft choice); CallbackRefused otherwise."""
        parts = (data or "").split("|")
        if len(parts) == 5 and parts[0] == VERSION:
            _, code, incident_id, issued36, mac = parts
            body, draft = "|".join(parts[:4]), None
        elif len(parts) == 4 and DRAFT_KEY.match(parts[0]):
            draft, incident_id, issued36, mac = parts
            body, code = _CHOICE_PREFIX + "|".join(parts[:3]), CODES["drafts"]
        else:
            raise MalformedCallback(f"not warner callback data: {data!r}")
        if not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            raise ForgedCallback(f"bad signature on {data!r}")
        action = ACTIONS.get(code)
        try:
            issued = int(issued36, 36)
        except ValueError:
            issued = None
        if action is None or issued is None or not incident_id:
            raise MalformedCallback(f"signed but unreadable: {data!r}")
        age = now - issued
        if age > self._stale_after_s or age < -CLOCK_SKEW_S:
            raise StaleCallback(f"issued {age:.0f} s ago")
        return Press(action, incident_id, draft)

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(digest).decode()


def incident_keyboard(signer: CallbackSigner, incident_id: str, language: Language, now: float) -> InlineKeyboardMarkup:
    """The five buttons in ``language``; ValueError if the incident id is too long for callback data."""
    labels = texts.BUTTONS[language]
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(labels[action], callback_data=signer.sign(action, incident_id, now))
                for action in row
            ]
            for row in LAYOUT
        ]
    )


def drafts_keyboard(
    signer: CallbackSigner, incident_id: str, options: Sequence[DraftOption], now: float
) -> InlineKeyboardMarkup:
    """One button per draft, numbered as in the list; ValueError if the data does not fit in 64 bytes."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"{n}. {shorten(option.title, DRAFT_LABEL_CHARS)}",
                    callback_data=signer.sign_draft(incident_id, option.key, now),
                )
            ]
            for n, option in enumerate(options, 1)
        ]
    )


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
