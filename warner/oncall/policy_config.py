"""The ``escalation:`` section: policies of ordered steps, routes, and noise control.

The step vocabulary is Grafana OnCall's (wait, notify persons, notify whoever is on call,
notify the next person each time, continue only within a time range, repeat, resolve);
grouping is Alertmanager's (``group_wait``, ``group_interval``, ``repeat_interval``).
Persons, schedules and teams are plain ids here; the integrator checks them against the
on-call config. Example::

    escalation:
      timezone: Europe/Berlin
      group_wait: {critical: 0s, warning: 30s}
      group_interval: 2m
      repeat_interval: 15m
      max_pages_per_person_per_hour: 6
      flapping: {max_reopens: 3, window: 1h}
      policies:
        - id: storm
          steps:
            - notify_on_call: social-media
              channels: [telegram]
            - wait: 5m
            - notify_next_person: [anna, ben]
              channels: [telegram, sms]
            - wait: 10m
            - repeat: 2
        - id: night
          steps:
            - notify_on_call: social-media
              channels: [telegram, sms]
              delivery: all
            - wait: 5m
            - notify_persons: [chef]
              channels: [sms]
      routes:
        - {severity: [critical], when: off_hours, policy: night}
        - {severity: [critical, warning], when: any, policy: storm}
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from warner.config import Duration, TimeZoneName, _Section

# warner.detect.severity.Severity; importing it would load the detect package while
# warner.config (which embeds this section) is still loading.
Severity = Literal["info", "warning", "critical"]

StepKind = Literal[
    "wait", "notify_persons", "notify_on_call", "notify_next_person", "notify_team_chat", "only_if", "repeat", "resolve"
]
NOTIFY_KINDS: tuple[StepKind, ...] = ("notify_persons", "notify_on_call", "notify_next_person", "notify_team_chat")
_KINDS: tuple[StepKind, ...] = (
    "wait",
    "notify_persons",
    "notify_on_call",
    "notify_next_person",
    "notify_team_chat",
    "only_if",
    "repeat",
    "resolve",
)
_RANGE = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")


class OnlyIf(_Section):
    """Continue the escalation only at these times (local time of ``escalation.timezone``)."""

    between: str | None = Field(None, description='"HH:MM-HH:MM", may wrap midnight ("22:00-07:00").')
    off_hours: bool | None = Field(None, description="true: only outside business hours; false: only within.")
    otherwise: Literal["stop", "wait"] = Field(
        "stop", description="stop the escalation, or wait (durably) until the condition holds."
    )

    @field_validator("between")
    @classmethod
    def _range(cls, value: str | None) -> str | None:
        if value is not None and not _RANGE.match(value):
            raise ValueError(f'expected a time range "HH:MM-HH:MM", got {value!r}')
        return value

    @model_validator(mode="after")
    def _one_condition(self) -> OnlyIf:
        if (self.between is None) == (self.off_hours is None):
            raise ValueError("only_if needs exactly one of between or off_hours")
        return self

    def window(self) -> tuple[time, time] | None:
        if self.between is None:
            return None
        m = _RANGE.match(self.between)
        assert m is not None
        return time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))


class EscalationStep(_Section):
    """One step; exactly one of the action fields is set."""

    wait: Duration | None = Field(None, description="Wait this long before the next step.")
    notify_persons: list[str] | None = Field(
        None, min_length=1, description="Page these people (oncall.people ids), all at once."
    )
    notify_on_call: str | None = Field(None, description="Schedule id: whoever is on call when the step runs.")
    notify_next_person: list[str] | None = Field(None, min_length=1, description="One of these, in turn, each time.")
    notify_team_chat: str | None = Field(None, description="Team id: the team's Telegram group.")
    only_if: OnlyIf | None = Field(None, description="Go on only at these times.")
    repeat: int | None = Field(None, ge=1, le=10, description="Run the chain from the top again, at most N times.")
    resolve: Literal[True] | None = Field(None, description="true: resolve the incident (a last step).")
    channels: list[str] | None = Field(
        None, min_length=1, description="Channels of a notify step, in failover order (default [telegram])."
    )
    delivery: Literal["failover", "all"] = Field(
        "failover", description="failover: next channel only if one fails; all: every channel at once."
    )

    @model_validator(mode="after")
    def _one_action(self) -> EscalationStep:
        set_ = [k for k in _KINDS if getattr(self, k) is not None]
        if len(set_) != 1:
            found = ", ".join(set_) or "none"
            raise ValueError(f"a step needs exactly one of {', '.join(_KINDS)} (found: {found})")
        if self.channels is not None:
            if set_[0] not in NOTIFY_KINDS:
                raise ValueError(f"channels only apply to notify steps, not to {set_[0]}")
            if len(set(self.channels)) != len(self.channels):
                raise ValueError("channels must not repeat")
        if self.wait is not None and self.wait.total_seconds() <= 0:
            raise ValueError("wait must be positive")
        return self

    @property
    def kind(self) -> StepKind:
        return next(k for k in _KINDS if getattr(self, k) is not None)

    @property
    def order(self) -> list[str]:
        return list(self.channels or ["telegram"])


class Policy(_Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Name that routes use.")
    steps: list[EscalationStep] = Field(min_length=1, description="Run in order; at least one notifies somebody.")

    @model_validator(mode="after")
    def _reachable(self) -> Policy:
        for i, step in enumerate(self.steps[:-1]):
            if step.kind in ("repeat", "resolve"):
                raise ValueError(f"steps[{i}]: {step.kind} must be the last step (the steps after it never run)")
        if not any(s.kind in NOTIFY_KINDS for s in self.steps):
            raise ValueError("a policy needs at least one notify step")
        return self


class Route(_Section):
    """Which policy an incident follows; the first matching route wins."""

    severity: list[Severity] = Field(min_length=1, description="Severities this route takes.")
    when: Literal["any", "business_hours", "off_hours"] = Field(
        "any", description="When it applies (off-hours as in oncall.off_hours)."
    )
    policy: str = Field(description="Id of the policy to follow.")

    def matches(self, severity: Severity, off_hours: bool) -> bool:
        if severity not in self.severity:
            return False
        return self.when == "any" or (self.when == "off_hours") == off_hours


class Flapping(_Section):
    max_reopens: int = Field(3, ge=1, description="More re-openings than this within window: updates only.")
    window: Duration = Field(timedelta(hours=1), description="Re-openings are counted over this long.")


class EscalationConfig(_Section):
    timezone: TimeZoneName = Field("Europe/Berlin", description="Local time of only_if ranges and state lines.")
    policies: list[Policy] = Field(default_factory=list, description="Named chains of steps; routes choose one.")
    routes: list[Route] = Field(default_factory=list, description="No route for a severity = digest only.")
    group_wait: dict[Severity, Duration] = Field(
        default_factory=lambda: {"critical": timedelta(0), "warning": timedelta(seconds=30)},
        description="Wait this long after an incident opens before the first page (per severity).",
    )
    group_interval: Duration = Field(timedelta(minutes=2), description="At least this long between message updates.")
    repeat_interval: Duration = Field(
        timedelta(minutes=15), description="Remind everyone paged this often while nobody acknowledges."
    )
    max_pages_per_person_per_hour: int = Field(
        10, ge=1, description="Pages to one person beyond this within an hour are suppressed (noted on the incident)."
    )
    flapping: Flapping = Field(
        Flapping(), description="An incident that keeps re-opening updates its messages instead of paging again."
    )
    update_channels: list[str] = Field(
        default_factory=lambda: ["telegram", "console"],
        description="Channels whose sent messages are edited on updates and acknowledgements (not SMS).",
    )
    quiet_hours_recheck: Duration = Field(
        timedelta(minutes=5), description="How often a page held by quiet hours is tried again."
    )
    snooze: Duration = Field(timedelta(hours=1), description="Default snooze.")

    @model_validator(mode="after")
    def _cross_check(self) -> EscalationConfig:
        ids = [p.id for p in self.policies]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"policies: ids must be unique, repeated: {', '.join(repeated)}")
        for i, route in enumerate(self.routes):
            if route.policy not in ids:
                known = ", ".join(ids) or "none defined"
                raise ValueError(f"routes[{i}].policy: unknown policy {route.policy!r} (known: {known})")
        return self

    def policy(self, policy_id: str) -> Policy | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def route_for(self, severity: Severity, off_hours: bool) -> Policy | None:
        """The policy of the first route matching; None = no pages (digest only)."""
        for route in self.routes:
            if route.matches(severity, off_hours):
                return self.policy(route.policy)
        return None

    def wait_before_first_page(self, severity: Severity) -> float:
        return self.group_wait.get(severity, timedelta(0)).total_seconds()

    def referenced(self) -> dict[str, set[str]]:
        """Persons, schedules and teams the policies name — for the integrator to validate."""
        out: dict[str, set[str]] = {"persons": set(), "schedules": set(), "teams": set()}
        for p in self.policies:
            for s in p.steps:
                out["persons"].update(s.notify_persons or [], s.notify_next_person or [])
                if s.notify_on_call:
                    out["schedules"].add(s.notify_on_call)
                if s.notify_team_chat:
                    out["teams"].add(s.notify_team_chat)
        return out
