"""The ``escalation:`` section: policies of ordered steps, routes, and noise control.

The step vocabulary is Grafana OnCall's (wait, notify persons, notify whoever is on call,
notify the next person each time, continue only within a time range, repeat, resolve), plus
``call`` — a phone call that ends an escalation as PagerDuty's and Opsgenie's do ("press 1");
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
            - wait: 5m
            - call: social-media      # whoever is on call, by phone; or a list of people: call: [chef]
      routes:
        - {severity: [critical], when: off_hours, policy: night}
        - {severity: [critical, warning], when: any, policy: storm}
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from warner.config.common import CHECKED_BY_CONFIG, Duration, Loc, Section, TimeZoneName, format_loc
from warner.core import Severity

StepKind = Literal[
    "wait",
    "notify_persons",
    "notify_on_call",
    "notify_next_person",
    "notify_team_chat",
    "call",
    "only_if",
    "repeat",
    "resolve",
]
NOTIFY_KINDS: tuple[StepKind, ...] = (
    "notify_persons",
    "notify_on_call",
    "notify_next_person",
    "notify_team_chat",
    "call",
)
_KINDS: tuple[StepKind, ...] = (
    "wait",
    "notify_persons",
    "notify_on_call",
    "notify_next_person",
    "notify_team_chat",
    "call",
    "only_if",
    "repeat",
    "resolve",
)
_RANGE = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")


class OnlyIf(Section):
    """Continue the escalation only at these times (local time of ``escalation.time_zone``)."""

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


class EscalationStep(Section):
    """One step; exactly one of the action fields is set."""

    wait: Duration | None = Field(None, description="Wait this long before the next step.")
    notify_persons: list[str] | None = Field(
        None, min_length=1, description="Page these people (oncall.people ids), all at once."
    )
    notify_on_call: str | None = Field(None, description="Schedule id: whoever is on call when the step runs.")
    notify_next_person: list[str] | None = Field(None, min_length=1, description="One of these, in turn, each time.")
    notify_team_chat: str | None = Field(
        None, description="Team id: the team's announcement channels (its Telegram group, Teams or Slack channel)."
    )
    call: str | list[str] | None = Field(
        None,
        description="Phone call (press 1 to acknowledge): a schedule id (whoever is on call) or a list of people ids.",
    )
    only_if: OnlyIf | None = Field(None, description="Go on only at these times.")
    repeat: int | None = Field(None, ge=1, le=10, description="Run the chain from the top again, at most N times.")
    resolve: Literal[True] | None = Field(None, description="true: resolve the incident (a last step).")
    channels: list[str] | None = Field(
        None,
        min_length=1,
        description="Channels of a notify step, in failover order (default: each person's contact order, "
        "else [telegram]; [call] for a call step; a team's announce channels).",
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
        """The step's own channel order; a person's ``contact`` replaces the default (escalation/channels.py)."""
        if self.channels:
            return list(self.channels)
        return ["call"] if self.call is not None else ["telegram"]

    @property
    def call_persons(self) -> list[str]:
        return self.call if isinstance(self.call, list) else []

    @property
    def call_on_call(self) -> str | None:
        return self.call if isinstance(self.call, str) else None




def _deferred(info: ValidationInfo) -> bool:
    """Whether the root config checks this section as part of a whole config, each problem at its own key and line
    (a ValueError raised here could name one key only, the section's, and would hide every problem after it)."""
    return bool(info.context and info.context.get(CHECKED_BY_CONFIG))




def _as_one_error(problems: list[tuple[Loc, str]]) -> ValueError:
    """The problems as one message, each with its key, for a section validated on its own."""
    return ValueError("; ".join(f"{format_loc(loc)}: {message}" for loc, message in problems))


class Policy(Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Name that routes use.")
    steps: list[EscalationStep] = Field(min_length=1, description="Run in order; at least one notifies somebody.")

    @model_validator(mode="after")
    def _reachable(self, info: ValidationInfo) -> Policy:
        problems = policy_problems(self)
        if problems and not _deferred(info):
            raise _as_one_error(problems)
        return self


def policy_problems(policy: Policy, at: Loc = ()) -> list[tuple[Loc, str]]:
    """Every step that can never run, and a policy that pages nobody; located below ``at`` (the policy's key)."""
    problems: list[tuple[Loc, str]] = [
        ((*at, "steps", i), f"{step.kind} must be the last step (the steps after it never run)")
        for i, step in enumerate(policy.steps[:-1])
        if step.kind in ("repeat", "resolve")
    ]
    if not any(s.kind in NOTIFY_KINDS for s in policy.steps):
        problems.append(((*at, "steps"), "a policy needs at least one notify step"))
    return problems


def _default_group_wait() -> dict[Severity, timedelta]:
    return {"critical": timedelta(0), "warning": timedelta(seconds=30)}


class Route(Section):
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


class Flapping(Section):
    max_reopens: int = Field(3, ge=1, description="More re-openings than this within window: updates only.")
    window: Duration = Field(timedelta(hours=1), description="Re-openings are counted over this long.")


class EscalationConfig(Section):
    renamed_keys = {"timezone": "time_zone"}  # read until 0.3; check-config warns
    time_zone: TimeZoneName = Field("Europe/Berlin", description="Local time of only_if ranges and state lines.")
    policies: list[Policy] = Field(default_factory=list, description="Named chains of steps; routes choose one.")
    routes: list[Route] = Field(default_factory=list, description="No route for a severity = digest only.")
    group_wait: dict[Severity, Duration] = Field(
        default_factory=_default_group_wait,
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
        default_factory=lambda: ["telegram", "console", "teams", "slack"],
        description="Channels told of updates and acknowledgements: Telegram edits its message; team chats post "
        "who acknowledged or resolved (not every figure update); e-mail would send a mail per update (not SMS).",
    )
    quiet_hours_recheck: Duration = Field(
        timedelta(minutes=5), description="How often a page held by quiet hours is tried again."
    )
    snooze: Duration = Field(timedelta(hours=1), description="Default snooze.")
    redeliver_after: Duration = Field(
        timedelta(seconds=30),
        description="A page no channel delivered (a revoked bot token, a gateway down) is tried again after this, "
        "doubling each time, until someone is reached or the incident is acknowledged or resolved.",
    )
    redeliver_max_interval: Duration = Field(
        timedelta(minutes=5), description="The longest wait between two tries of an undelivered page."
    )

    @model_validator(mode="after")
    def _cross_check(self, info: ValidationInfo) -> EscalationConfig:
        problems = escalation_problems(self)
        if problems and not _deferred(info):
            raise _as_one_error(problems)
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
                out["persons"].update(s.notify_persons or [], s.notify_next_person or [], s.call_persons)
                for schedule in (s.notify_on_call, s.call_on_call):
                    if schedule:
                        out["schedules"].add(schedule)
                if s.notify_team_chat:
                    out["teams"].add(s.notify_team_chat)
        return out


def escalation_problems(escalation: EscalationConfig, at: Loc = ()) -> list[tuple[Loc, str]]:
    """Every repeated policy id and every route to a policy that does not exist, each at its own key below ``at``
    (the section's key), so that one look at the config finds them all."""
    problems: list[tuple[Loc, str]] = []
    first: dict[str, int] = {}
    for i, policy in enumerate(escalation.policies):
        if policy.id in first:
            where = format_loc((*at, "policies", first[policy.id]))
            problems.append(((*at, "policies", i, "id"), f"policy id {policy.id!r} is already used by {where}"))
        first.setdefault(policy.id, i)
    known = ", ".join(first) or "none defined"
    problems += [
        ((*at, "routes", i, "policy"), f"unknown policy {route.policy!r} (known: {known})")
        for i, route in enumerate(escalation.routes)
        if route.policy not in first
    ]
    return problems
