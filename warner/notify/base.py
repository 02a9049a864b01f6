"""What every notification channel shares: who to reach, what to say, what happened.

A ``Page`` is one message about one incident to one recipient; a ``Channel`` (Telegram,
SMS, console) turns it into a request and reports a ``Delivery``. Retries, backoff,
failover and recording attempts live in one place (``notify/delivery.py``), never in a
channel — as in Alertmanager's notify pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from warner.core import Action, Recipient
from warner.incidents.model import Incident

PageKind = Literal["new", "update", "escalation", "reminder", "acknowledged", "resolved"]


@dataclass(frozen=True, slots=True)
class Page:
    """One message about one incident to one recipient."""

    incident: Incident
    recipient: Recipient
    kind: PageKind
    ack_code: str  # short code a person can text back to acknowledge (SMS)
    message_ref: str | None = None  # a channel's id of the message sent before: edit it, don't send anew
    state_line: str | None = None  # e.g. "Übernommen von Anna, 21:04" — shown when the message is edited
    escalation_level: int = 0


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one attempt to deliver a page over one channel."""

    channel: str
    target: str  # chat id or phone number, as the channel saw it
    ok: bool
    latency_s: float
    error: str | None = None
    retry_after: float | None = None  # the remote side asked to wait this long (Telegram 429)
    permanent: bool = False  # retrying cannot help (unknown chat, bad number, no target)
    message_ref: str | None = None  # to edit this message later


class Channel(Protocol):
    """One way to reach people. ``send`` never raises for remote failures: it reports them."""

    name: str

    def can_reach(self, recipient: Recipient) -> bool: ...

    async def send(self, page: Page) -> Delivery: ...

    async def close(self) -> None: ...


class IncidentActions(Protocol):
    """What a button, a command or an SMS reply can do to an incident (see incidents/lifecycle.py)."""

    async def act(self, incident_id: str, action: Action, person: str, via: str) -> str:
        """Apply ``action`` by ``person`` (config person id) via a channel; return the new state line.

        Raises ``LookupError`` for an unknown incident and ``PermissionError`` for a person
        who may not act on it.
        """
        ...
