"""Each page gate on its own: when it lets a page through, holds it, suppresses it or skips it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from warner.core import ManualClock, Recipient, Severity
from warner.incidents.lifecycle import Response
from warner.incidents.model import Incident
from warner.oncall.escalation.gates import (
    FlappingGuard,
    HourlyCeiling,
    OncePerMark,
    PageRequest,
    QuietHours,
    StillOpen,
    Verdict,
)
from warner.oncall.escalation.store import EscalationStore
from warner.oncall.policy_config import EscalationStep
from warner.oncall.timers import TimerStore

NOW = 1_795_424_400.0
BERLIN = ZoneInfo("Europe/Berlin")
ANNA = Recipient("anna", "Anna", telegram_id=11)
CHAT = Recipient("chat:-100", "Team", telegram_id=-100)
STEP = EscalationStep.model_validate({"notify_persons": ["anna"]})


def request(
    severity: Severity = "warning",
    recipient: Recipient = ANNA,
    mark: str = "kb:1|1|step|0|0|0",
    reason: str = "first_page",
) -> PageRequest:
    inc = Incident("kb", 1, "open", severity, int(NOW) - 300, int(NOW))
    return PageRequest(inc, recipient, STEP, 1, "new", reason, 1, mark, not recipient.id.startswith("chat:"))


class Roster:
    """The Roster protocol; ``quiet`` people are in their quiet hours."""

    def __init__(self, *quiet: str) -> None:
        self.quiet = set(quiet)

    def recipient(self, person_id: str) -> Recipient:
        return ANNA

    def on_call(self, schedule_id: str, at: datetime) -> list[str]:
        return []

    def team_chat(self, team_id: str) -> Recipient | None:
        return None

    def is_off_hours(self, at: datetime) -> bool:
        return False

    def in_quiet_hours(self, person_id: str, at: datetime) -> bool:
        return person_id in self.quiet


def local(at: float) -> datetime:
    return datetime.fromtimestamp(at, BERLIN)


async def test_quiet_hours_hold_a_page_and_say_when_to_try_again() -> None:
    gate = QuietHours(Roster("anna"), local, timedelta(minutes=10))
    assert await gate.check(request(), NOW) == Verdict("quiet_hours", "hold", retry_at=NOW + 600)


async def test_quiet_hours_let_critical_pages_team_chats_and_awake_people_through() -> None:
    gate = QuietHours(Roster("anna", "chat:-100"), local, timedelta(minutes=10))
    assert await gate.check(request(severity="critical"), NOW) is None
    assert await gate.check(request(recipient=CHAT), NOW) is None
    assert await QuietHours(Roster(), local, timedelta(minutes=10)).check(request(), NOW) is None


def lookup(resp: Response | None) -> Any:
    async def response(incident_id: str) -> Response | None:
        return resp

    return response


async def test_a_page_of_an_incident_acknowledged_meanwhile_is_skipped() -> None:
    acked = Response("kb:1", "acknowledged", NOW - 60, acknowledged_at=NOW, acknowledged_by="ben")
    assert await StillOpen(lookup(acked)).check(request(), NOW) == Verdict("no_longer_open", "skip")
    assert await StillOpen(lookup(None)).check(request(), NOW) == Verdict("no_longer_open", "skip")


async def test_an_open_incident_and_a_rising_severity_page_anyway() -> None:
    assert await StillOpen(lookup(Response("kb:1", "open", NOW))).check(request(), NOW) is None
    acked = Response("kb:1", "acknowledged", NOW - 60, acknowledged_at=NOW, acknowledged_by="anna")
    assert await StillOpen(lookup(acked)).check(request(reason="severity_rose"), NOW) is None


async def test_the_hourly_ceiling_suppresses_pages_beyond_the_limit_for_an_hour(redis: Any) -> None:
    gate = HourlyCeiling(redis, limit=2)
    assert await gate.check(request(mark="m1"), NOW) is None
    assert await gate.check(request(mark="m2"), NOW + 1) is None
    assert await gate.check(request(mark="m3"), NOW + 2) == Verdict("ceiling", "suppress")
    assert await gate.check(request(mark="m4"), NOW + 3601) is None  # the first page left the window


async def test_team_chats_are_not_counted_against_the_ceiling(redis: Any) -> None:
    gate = HourlyCeiling(redis, limit=1)
    for n in range(3):
        assert await gate.check(request(recipient=CHAT, mark=f"m{n}"), NOW) is None


async def test_a_timer_pages_each_recipient_once_even_when_re_driven(redis: Any) -> None:
    clock = ManualClock(NOW)
    store = EscalationStore(redis, TimerStore(redis, clock), clock, poll=1.0, wake=asyncio.Event())
    gate = OncePerMark(store)
    assert await gate.check(request(mark="t1"), NOW) is None
    assert await gate.check(request(mark="t1"), NOW + 5) == Verdict("already_sent", "skip")
    assert await gate.check(request(mark="t2"), NOW + 5) is None
    assert (await store.load("kb:1")).sent == {"t1:anna": NOW, "t2:anna": NOW + 5}


async def test_an_incident_reopening_too_often_in_the_window_is_flapping() -> None:
    reopens_at = [NOW - 7200, NOW - 1800, NOW - 600, NOW - 60]

    async def reopens_since(incident_id: str, since: float) -> int:
        return sum(1 for at in reopens_at if at >= since)

    guard = FlappingGuard(reopens_since, max_reopens=2, window=timedelta(hours=1))
    assert await guard.reopens_if_flapping("kb:1", NOW) == 3
    assert await FlappingGuard(reopens_since, 3, timedelta(hours=1)).reopens_if_flapping("kb:1", NOW) is None
    short = FlappingGuard(reopens_since, max_reopens=2, window=timedelta(minutes=20))
    assert await short.reopens_if_flapping("kb:1", NOW) is None  # two re-opens in the last 20 minutes
