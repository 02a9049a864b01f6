"""The words every stage shares: languages, severities, the clock, a text's score.

A stage imports these from here, not from the stage that first needed them, so that the stages
depend on this module and ``store/`` only, never on each other for a type. Nothing here imports
anything of warner's, and nothing here is heavy to import.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

Language = Literal["de", "en"]
"""A language people read warner's texts in: pages, drafts, the digest. German is the default."""

LANGUAGES: tuple[Language, ...] = ("de", "en")

TextLanguage = Literal["de", "en", "other"]
"""The language a mention is written in, as scoring sees it: ``other`` is scored by volume only."""

Sentiment = Literal["positive", "negative", "neutral"]

Severity = Literal["info", "warning", "critical"]
"""Who must be woken: nobody (info), the on-call person (warning), everybody the policy names (critical)."""

LEVELS: tuple[Severity, ...] = ("info", "warning", "critical")

Action = Literal["ack", "drafts", "resolve", "false_alarm", "snooze"]
"""What a person can do about an incident, by button, command, SMS reply or the console."""

BERLIN = ZoneInfo("Europe/Berlin")
"""The default zone of a German company's week (schedules, digest, demo and scenarios)."""


@dataclass(frozen=True, slots=True)
class TextScore:
    """The judgment about one text: language, polarity and offensiveness."""

    lang: TextLanguage
    sentiment: Sentiment
    p_negative: float
    toxicity: float
    offensive: bool


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person (from the on-call config) or a Telegram group chat."""

    id: str  # person id from config, "chat:<chat id>" for a team's Telegram group, "team:<team id>" without one
    name: str
    language: Language = "de"
    telegram_id: int | None = None  # user id (private chat) or group chat id
    phone: str | None = None  # E.164, e.g. +4915112345678 (SMS and calls)
    email: str | None = None  # pages by e-mail, and the digest
    team: str | None = None  # a team's announcement target: team chat channels (Teams, Slack) post to its webhook


class Clock(Protocol):
    """Time, injected: escalation, timers and the lifecycle read ``clock.now()``, never the wall clock.

    Tests drive a ``ManualClock`` through Saturday nights and DST changes in microseconds.
    """

    def now(self) -> float:
        """Epoch seconds."""
        ...


class SystemClock:
    """The wall clock."""

    __slots__ = ()

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to."""

    __slots__ = ("_now",)

    def __init__(self, start: float) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        self._now += seconds
        return self._now

    def set(self, at: float) -> None:
        self._now = float(at)
