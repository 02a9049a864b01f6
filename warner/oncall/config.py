"""The ``oncall:`` section: people, teams, schedules and what counts as off-hours.

A schedule stacks rotation layers (later layers win while they are active, e.g. a
business-hours layer over a 24/7 base) and overrides (holiday cover, swaps) that win over
every layer. Times of day are local wall-clock times in the schedule's zone, so a 09:00
handoff stays at 09:00 across DST changes.

Cross-references (a rotation member, an override's person, a team's schedule) are checked
where they are written, so a config error names the exact field and line, e.g.
``oncall.schedules[0].layers[1].members[2]: unknown person 'bob'``.

This module only needs pydantic: warner.config.root imports it to type ``Config.oncall``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    field_validator,
    model_validator,
)

from warner.config.common import (
    ENV_NAME,
    WEEKDAYS,
    Duration,
    Section,
    Slug,
    TimeOfDay,
    TimeZoneName,
    Weekday,
    reject_repeated,
)
from warner.core import Language
from warner.ingest.config import BrandConfig
from warner.notify.config import NotifyConfig
from warner.oncall.person_config import ContactChannel, Email, LocalRange, Person, Phone, TimeRange

__all__ = [
    "ContactChannel",
    "Email",
    "Layer",
    "LocalRange",
    "OffHours",
    "OncallConfig",
    "Override",
    "PagingSettings",
    "Person",
    "Phone",
    "Schedule",
    "Team",
    "TimeRange",
]


def _whole_day_as_midnight(value: Any) -> Any:
    """An override written as a date (``start: 2026-12-24``) starts at that day's midnight."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    return value


LocalDateTime = Annotated[datetime, BeforeValidator(_whole_day_as_midnight)]


# -- references between sections ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Known:
    people: frozenset[str]
    schedules: frozenset[str]


_KNOWN: ContextVar[_Known | None] = ContextVar("oncall_known_ids", default=None)


@contextmanager
def _known_ids(data: Any) -> Iterator[None]:
    """While an OncallConfig validates, references can be checked against the ids it declares."""

    def ids(section: str) -> frozenset[str]:
        items = data.get(section) if isinstance(data, dict) else None
        if not isinstance(items, list):  # not a list: validation names the field; no ids to offer
            return frozenset()
        return frozenset(i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str))

    token = _KNOWN.set(_Known(ids("people"), ids("schedules")))
    try:
        yield
    finally:
        _KNOWN.reset(token)


def _listing(ids: frozenset[str]) -> str:
    return ", ".join(sorted(ids)) if ids else "none declared"


def _known_person(person_id: str) -> str:
    known = _KNOWN.get()
    if known is not None and person_id not in known.people:
        raise ValueError(f"unknown person {person_id!r} (oncall.people: {_listing(known.people)})")
    return person_id


def _known_schedule(schedule_id: str) -> str:
    known = _KNOWN.get()
    if known is not None and schedule_id not in known.schedules:
        raise ValueError(f"unknown schedule {schedule_id!r} (oncall.schedules: {_listing(known.schedules)})")
    return schedule_id


PersonRef = Annotated[Slug, AfterValidator(_known_person)]
ScheduleRef = Annotated[Slug, AfterValidator(_known_schedule)]


# -- sections ------------------------------------------------------------------------------


class Team(Section):
    """People paged together: by their schedule, or all members when the team has none."""

    id: Slug = Field(description="Stable id that notify_team_chat steps use.")
    name: str | None = Field(None, description="Name shown (default: id).")
    members: list[PersonRef] = Field(
        default_factory=list, description="People (oncall.people ids) paged together when the team has no schedule."
    )
    schedule: ScheduleRef | None = Field(None, description="Schedule (id) whose on-call person is paged for the team.")
    telegram_chat_id: int | None = Field(None, description="The team's Telegram group.")
    language: Language = Field("de", description="Language of the team's announcements and of its digest post.")
    teams_webhook_env: str | None = Field(
        None, pattern=ENV_NAME, description="Variable holding the team's Microsoft Teams (Workflows) webhook URL."
    )
    slack_webhook_env: str | None = Field(
        None, pattern=ENV_NAME, description="Variable holding the team's Slack incoming-webhook URL."
    )
    announce: list[Literal["telegram", "teams", "slack", "email"]] | None = Field(
        None,
        min_length=1,
        description="Channels of the team's announcements (notify_team_chat steps, the digest), all at once; "
        "default: each of telegram, teams, slack the team has.",
    )

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def announcement_channels(self) -> list[str]:
        """Where the team's announcements go: ``announce``, or every chat the team has."""
        if self.announce is not None:
            return list(self.announce)
        have = {"telegram": self.telegram_chat_id, "teams": self.teams_webhook_env, "slack": self.slack_webhook_env}
        return [name for name, value in have.items() if value is not None]

    @model_validator(mode="after")
    def _somebody_to_page(self) -> Team:
        if not self.members and self.schedule is None:
            raise ValueError("a team needs members or a schedule")
        return self


class Layer(Section):
    """A rotation: members take turns of one day, one week or a custom length, handing over at a local time.

    Turn 0 (``members[0]``) starts on ``start`` at ``handoff``; before that the layer is not
    active. With ``days`` and/or ``hours`` the layer is only active then, e.g. a
    business-hours layer over a 24/7 base layer. A range over midnight belongs to the day it
    starts on (``days: [friday]``, ``hours: 18:00-08:00`` is Friday evening to Saturday morning).
    """

    id: Slug = Field(description="Stable id, unique within its schedule.")
    type: Literal["daily", "weekly", "custom"] = Field(
        "weekly", description="Turn length: one day, one week, or `length` (custom)."
    )
    length: Duration | None = Field(None, description="Turn length of a custom rotation, e.g. 12h or 3d.")
    handoff: TimeOfDay = Field(time(9, 0), description="Local time at which the next member takes over.")
    handoff_day: Weekday = Field("monday", description="Weekday of the handoff (weekly rotations).")
    start: date = Field(description="Date of the first handoff (to members[0]).")
    members: list[PersonRef] = Field(
        min_length=1, description="People (oncall.people ids) in turn order; members[0] has the first turn."
    )
    days: list[Weekday] | None = Field(None, min_length=1, description="Only active on these weekdays.")
    hours: LocalRange | None = Field(None, description="Only active in this local time range.")

    @property
    def turn(self) -> timedelta:
        if self.type == "daily":
            return timedelta(days=1)
        if self.type == "weekly":
            return timedelta(weeks=1)
        assert self.length is not None
        return self.length

    @property
    def first_handoff(self) -> datetime:
        """Local wall-clock time (naive) at which turn 0 starts."""
        return datetime.combine(self.start, self.handoff)

    @model_validator(mode="after")
    def _consistent_rotation(self) -> Layer:
        if self.type == "custom":
            if self.length is None:
                raise ValueError("a custom rotation needs a length, e.g. length: 12h")
            if self.length < timedelta(minutes=1) or self.length.total_seconds() % 60:
                raise ValueError("length must be a whole number of minutes, at least 1m")
        elif self.length is not None:
            raise ValueError(f"length only applies to custom rotations; a {self.type} turn is one {self.type[:-2]}")
        if self.type == "weekly" and WEEKDAYS[self.start.weekday()] != self.handoff_day:
            raise ValueError(
                f"start {self.start} is a {WEEKDAYS[self.start.weekday()]}, but this weekly rotation hands over "
                f"on {self.handoff_day} (handoff_day): start on a {self.handoff_day}"
            )
        if self.type != "weekly" and "handoff_day" in self.model_fields_set:
            raise ValueError("handoff_day only applies to weekly rotations")
        return self


class Override(Section):
    """Somebody else is on call for a while (holiday cover, a swap): wins over every layer.

    ``start`` and ``end`` are ISO date-times with an offset, or local time in the schedule's
    zone when they have none; a bare date means midnight.
    """

    person: PersonRef = Field(description="Who is on call instead (an oncall.people id).")
    start: LocalDateTime = Field(
        description="From: ISO date-time, with an offset or local to the schedule's zone; a bare date is midnight."
    )
    end: LocalDateTime = Field(description="Until (written like start); after start.")
    reason: str | None = Field(None, description="Why, for people reading the schedule (holiday cover, swap).")

    @model_validator(mode="after")
    def _ends_after_start(self) -> Override:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("give start and end both with an offset or both as local time")
        if self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} is not after start {self.start.isoformat()}")
        return self


class Schedule(Section):
    """Who is on call when: layers (later ones win while active), then overrides (win over layers)."""

    id: Slug = Field(description="Stable id that notify_on_call steps and teams use.")
    name: str | None = Field(None, description="Name shown (default: id).")
    time_zone: TimeZoneName = Field(
        "Europe/Berlin", description="Zone of the layers' times and of overrides written without an offset."
    )
    layers: list[Layer] = Field(min_length=1)
    overrides: list[Override] = Field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or self.id

    @field_validator("layers")
    @classmethod
    def _unique_layers(cls, layers: list[Layer]) -> list[Layer]:
        reject_repeated("layer", [layer.id for layer in layers])
        return layers


class OffHours(Section):
    """When a page reaches people outside working time: nights, weekends, German public holidays."""

    nights: LocalRange | None = Field(TimeRange(time(20), time(8)), description="e.g. 20:00-08:00; empty = none.")
    weekends: bool = Field(True, description="Saturdays and Sundays are off-hours all day.")
    public_holidays: bool = Field(
        True, description="German public holidays (nationwide, and of `state`) are off-hours."
    )
    state: str | None = Field(
        None, description="German federal state for regional holidays, e.g. BY; none = nationwide only."
    )
    time_zone: TimeZoneName = Field("Europe/Berlin", description="Zone of nights, weekends and holidays.")

    @field_validator("state")
    @classmethod
    def _german_state(cls, state: str | None) -> str | None:
        if state is None:
            return None
        from holidays.countries.germany import Germany

        states = Germany.subdivisions
        for known in states:
            if known.upper() == state.strip().upper():
                return known
        raise ValueError(f"unknown German federal state {state!r}; one of {', '.join(states)}")


class OncallConfig(Section):
    """The ``oncall:`` section."""

    people: list[Person] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    schedules: list[Schedule] = Field(default_factory=list)
    off_hours: OffHours = OffHours()

    @property
    def configured(self) -> bool:
        return bool(self.schedules or self.teams)

    @model_validator(mode="wrap")
    @classmethod
    def _check_references(cls, data: Any, handler: ModelWrapValidatorHandler[OncallConfig]) -> OncallConfig:
        with _known_ids(data):
            return handler(data)

    @field_validator("people")
    @classmethod
    def _unique_people(cls, people: list[Person]) -> list[Person]:
        reject_repeated("person", [p.id for p in people])
        return people

    @field_validator("teams")
    @classmethod
    def _unique_teams(cls, teams: list[Team]) -> list[Team]:
        reject_repeated("team", [t.id for t in teams])
        return teams

    @field_validator("schedules")
    @classmethod
    def _unique_schedules(cls, schedules: list[Schedule]) -> list[Schedule]:
        reject_repeated("schedule", [s.id for s in schedules])
        return schedules


class PagingSettings(Protocol):
    """What paging reads of warner's config: who is on call, how they are reached, and the brands' names. The root
    ``Config`` is one; declared here so that oncall never imports the root."""

    @property
    def oncall(self) -> OncallConfig: ...

    @property
    def notify(self) -> NotifyConfig: ...

    @property
    def brands(self) -> list[BrandConfig]: ...
