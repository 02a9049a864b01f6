"""The step interpreter: given a frozen policy, where the escalation stands and the time, what next.

This is the part of escalation that is pure decision — which step runs, whether it pages and
at which level, when the next step is due, who a notify step targets — without Redis,
timers or delivery, so it can be tested with plain values. The engine carries the decision
out (``engine.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from warner.core import Recipient
from warner.notify.base import PageKind
from warner.oncall.escalation.protocols import Directory
from warner.oncall.policy_config import NOTIFY_KINDS, EscalationStep, OnlyIf, Policy


@dataclass(frozen=True, slots=True)
class ScheduleStep:
    """Run step ``pos`` of pass ``iteration`` at ``due`` (``k``: re-checks of a waiting only_if)."""

    pos: int
    iteration: int
    due: float
    k: int = 0


@dataclass(frozen=True, slots=True)
class StartReminders:
    """The policy ran out of steps: remind everyone paged at ``due``, and every repeat_interval after."""

    due: float


@dataclass(frozen=True, slots=True)
class StopOutsideTimeRange:
    """An only_if step with ``otherwise: stop`` found its condition false: the escalation ends here."""

    step: int
    reason: str = "outside_time_range"


@dataclass(frozen=True, slots=True)
class ResolveIncident:
    """A ``resolve`` step: the policy resolves the incident."""


@dataclass(frozen=True, slots=True)
class PageTargets:
    """A notify step: page its targets with this kind, reason and level, then go on with ``then``."""

    step: EscalationStep
    level: int
    kind: PageKind
    reason: str
    then: ScheduleStep


StepAction = ScheduleStep | StartReminders | StopOutsideTimeRange | ResolveIncident | PageTargets


def page_level(policy: Policy, pos: int) -> int:
    """How many notify steps there are up to and including ``pos`` (1 = the first one)."""
    return sum(1 for s in policy.steps[: pos + 1] if s.kind in NOTIFY_KINDS)


class StepInterpreter:
    """Decides what a step timer does; knows the time zone, business hours and the intervals."""

    def __init__(
        self,
        tz: ZoneInfo,
        is_off_hours: Callable[[datetime], bool],
        repeat_interval: timedelta,
        recheck: timedelta,
    ) -> None:
        self.tz = tz
        self.is_off_hours = is_off_hours
        self.repeat_s = repeat_interval.total_seconds()
        self.recheck_s = recheck.total_seconds()

    def decide(self, policy: Policy, pos: int, iteration: int, k: int, now: float) -> StepAction:
        if pos >= len(policy.steps):
            return StartReminders(now + self.repeat_s)
        step = policy.steps[pos]
        if step.wait is not None:
            return ScheduleStep(pos + 1, iteration, now + step.wait.total_seconds())
        if step.only_if is not None:
            if self.holds(step.only_if, now):
                return ScheduleStep(pos + 1, iteration, now)
            if step.only_if.otherwise == "wait":
                return ScheduleStep(pos, iteration, self.next_check(step.only_if, now), k=k + 1)
            return StopOutsideTimeRange(pos)
        if step.repeat is not None:
            if iteration < step.repeat:
                return ScheduleStep(0, iteration + 1, now)
            return ScheduleStep(len(policy.steps), iteration, now)
        if step.resolve:
            return ResolveIncident()
        level = page_level(policy, pos)
        first = iteration == 0 and level == 1
        kind: PageKind = "new" if first else "escalation"
        reason = "first_page" if first else "repeat" if iteration else "escalation_step"
        return PageTargets(step, level, kind, reason, ScheduleStep(pos + 1, iteration, now))

    def local(self, at: float) -> datetime:
        return datetime.fromtimestamp(at, self.tz)

    def holds(self, cond: OnlyIf, now: float) -> bool:
        """Whether an only_if condition is true at ``now`` (a ``between`` range may wrap midnight)."""
        local = self.local(now)
        if cond.off_hours is not None:
            return self.is_off_hours(local) == cond.off_hours
        window = cond.window()
        assert window is not None  # OnlyIf has exactly one of off_hours and between
        start, end, t = window[0], window[1], local.time()
        return start <= t < end if start <= end else (t >= start or t < end)

    def next_check(self, cond: OnlyIf, now: float) -> float:
        """When a waiting only_if looks again: the next start of its range, or after the recheck interval."""
        window = cond.window()
        if window is None:
            return now + self.recheck_s
        local = self.local(now)
        at = local.replace(hour=window[0].hour, minute=window[0].minute, second=0, microsecond=0)
        if at <= local:
            at = (at + timedelta(days=1)).replace(tzinfo=self.tz)
        return at.timestamp()


@dataclass(frozen=True, slots=True)
class Targets:
    """Whom a notify step addresses: people by id, a team chat, or one of a rotation (chosen in Redis)."""

    people: tuple[str, ...] = ()
    chat: Recipient | None = None
    rotation: tuple[str, ...] = ()


def targets_for(step: EscalationStep, roster: Directory, at: datetime) -> Targets:
    if step.notify_persons:
        return Targets(people=tuple(step.notify_persons))
    if step.notify_on_call:
        return Targets(people=tuple(roster.on_call(step.notify_on_call, at)))
    if step.call_persons:
        return Targets(people=tuple(step.call_persons))
    if step.call_on_call:
        return Targets(people=tuple(roster.on_call(step.call_on_call, at)))
    if step.notify_next_person:
        return Targets(rotation=tuple(step.notify_next_person))
    if step.notify_team_chat:
        return Targets(chat=roster.team_chat(step.notify_team_chat))
    return Targets()


def known_people(ids: tuple[str, ...] | list[str], roster: Directory) -> tuple[list[Recipient], list[str]]:
    """The recipients of ``ids`` the roster knows, and the ids it does not (in order)."""
    found: list[Recipient] = []
    unknown: list[str] = []
    for pid in ids:
        try:
            found.append(roster.recipient(pid))
        except LookupError:
            unknown.append(pid)
    return found, unknown
