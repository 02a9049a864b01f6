"""Page gates: each reason not to send a page now is one small class with a name.

A page (``PageRequest``) passes the gates in order before it is delivered; the first gate
that stops it gives a ``Verdict``: skip it silently (already sent by this timer, nobody
needs it any more), hold it for later (quiet hours), or suppress it (too many pages for
that person this hour). The gate's name is the reason in the timeline. The flapping guard
is the one gate in front of a re-opened incident's new escalation, not of a single page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from warner.core import Recipient
from warner.incidents.lifecycle import Response
from warner.incidents.model import Incident
from warner.notify.base import PageKind
from warner.oncall.escalation.protocols import Directory
from warner.oncall.escalation.store import EscalationStore
from warner.oncall.policy_config import EscalationStep
from warner.store import keys

if TYPE_CHECKING:
    from warner.store.connection import RedisClient


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One page to one recipient, as a step, a reminder, a held page or a rising severity asks for it."""

    incident: Incident
    recipient: Recipient
    step: EscalationStep  # channels and delivery mode
    gen: int
    kind: PageKind
    reason: str  # why it pages, in the timeline: first_page, escalation_step, repeat_interval, ...
    level: int  # escalation level shown in the message
    mark: str  # the timer (or event) that pages: each mark pages each recipient at most once
    person: bool  # a person (quiet hours and the ceiling apply), not a team chat
    retry: int = 0  # re-tries of a page no channel delivered (redelivery.py); 0 = the first try
    origin: str = ""  # for a re-try: the mark that paged first


Outcome = Literal["skip", "hold", "suppress"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a page is not sent now: ``gate`` is the gate's name, the reason in the timeline."""

    gate: str
    outcome: Outcome
    retry_at: float | None = None  # a held page is tried again then


class PageGate(Protocol):
    name: str

    async def check(self, request: PageRequest, now: float) -> Verdict | None:
        """None: the page may go on."""
        ...


class OncePerMark:
    """A re-driven timer (its worker died after sending) does not page the same recipient twice."""

    name = "already_sent"

    def __init__(self, store: EscalationStore) -> None:
        self.store = store

    async def check(self, request: PageRequest, now: float) -> Verdict | None:
        if await self.store.mark_sent(request.incident.id, request.mark, request.recipient.id, now):
            return None
        return Verdict(self.name, "skip")


class QuietHours:
    """A person's quiet hours hold every page but a critical one; it is tried again later."""

    name = "quiet_hours"

    def __init__(self, roster: Directory, local: Callable[[float], datetime], recheck: timedelta) -> None:
        self.roster = roster
        self.local = local
        self.recheck_s = recheck.total_seconds()

    async def check(self, request: PageRequest, now: float) -> Verdict | None:
        if not request.person or request.incident.severity == "critical":
            return None
        if not self.roster.in_quiet_hours(request.recipient.id, self.local(now)):
            return None
        return Verdict(self.name, "hold", retry_at=now + self.recheck_s)


_CEILING = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - 3600)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], 3600)
return 1
"""


class HourlyCeiling:
    """At most ``limit`` pages per person in any hour (a sliding window in Redis, across incidents)."""

    name = "ceiling"

    def __init__(self, redis: RedisClient, limit: int) -> None:
        self.limit = limit
        self._take = redis.register_script(_CEILING)

    async def check(self, request: PageRequest, now: float) -> Verdict | None:
        if not request.person or request.retry:  # a re-try of an undelivered page passed the ceiling already
            return None
        rid = request.recipient.id
        if await self._take(keys=[keys.person_pages(rid)], args=[repr(now), self.limit, f"{request.mark}:{rid}"]):
            return None
        return Verdict(self.name, "suppress")


class StillOpen:
    """A page of an incident acknowledged (or resolved) meanwhile is not sent; a rising severity is."""

    name = "no_longer_open"

    def __init__(self, response: Callable[[str], Awaitable[Response | None]]) -> None:
        self.response = response

    async def check(self, request: PageRequest, now: float) -> Verdict | None:
        resp = await self.response(request.incident.id)
        if resp is None or (resp.state != "open" and request.reason != "severity_rose"):
            return Verdict(self.name, "skip")
        return None


class FlappingGuard:
    """An incident that re-opens more than ``max_reopens`` times within ``window`` gets updates only."""

    name = "flapping"

    def __init__(
        self, reopens_since: Callable[[str, float], Awaitable[int]], max_reopens: int, window: timedelta
    ) -> None:
        self.reopens_since = reopens_since
        self.max_reopens = max_reopens
        self.window_s = window.total_seconds()

    async def reopens_if_flapping(self, iid: str, now: float) -> int | None:
        """The number of re-opens within the window if that is too many, else None."""
        reopens = await self.reopens_since(iid, now - self.window_s)
        return reopens if reopens > self.max_reopens else None
