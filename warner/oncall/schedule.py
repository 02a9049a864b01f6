"""Who is on call at an instant, until when, and whether it is off-hours.

Every question takes the instant as an aware datetime: nothing here reads the clock, so
Saturday night, Christmas and DST changes can be asked about directly. Handoffs happen at
local wall-clock time: a 09:00 handoff in Europe/Berlin is at 09:00 on both sides of a DST
change, and the daily turn that contains the change lasts 23 or 25 hours.

A ``Shift`` is one person's stretch from one source — an override, or one turn of one layer.
When a business-hours layer takes over at 08:00, the base layer's shift ends then, even if
the same person is on both.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

from warner.config.common import WEEKDAYS
from warner.oncall.config import Layer, OncallConfig, Person, Schedule, Team

UTC = ZoneInfo("UTC")
OffHoursReason = Literal["holiday", "weekend", "night"]


class UnknownId(LookupError):
    """A team, schedule or person id that the on-call config does not declare."""

    def __init__(self, kind: str, wanted: str, known: list[str]):
        self.kind, self.wanted, self.known = kind, wanted, known
        listing = ", ".join(known) if known else "none configured"
        super().__init__(f"unknown {kind} {wanted!r} (known: {listing})")


@dataclass(frozen=True, slots=True)
class Shift:
    """``person`` is on call for ``schedule`` from ``start`` until ``end`` (aware, schedule's zone)."""

    schedule: str
    person: Person
    start: datetime
    end: datetime
    layer: str | None  # None: an override
    reason: str | None = None  # the override's reason

    @property
    def duration(self) -> timedelta:
        """Elapsed time (``end - start`` on datetimes in one zone would give wall-clock time)."""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    @property
    def uid(self) -> str:
        """Stable per shift, for calendars: the same shift exported twice is the same event."""
        return f"{self.schedule}-{self.person.id}-{self.start.astimezone(UTC):%Y%m%dT%H%MZ}@warner"


# Who is on call and why: (person id, "override" | "layer", index in its list, turn number)
_Key = tuple[str, str, int, int]


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {at.isoformat()}")
    return at


def _localize(local: datetime, zone: ZoneInfo) -> datetime:
    """Wall-clock time to an instant; a time skipped by a DST change moves forward with it (02:30 -> 03:30)."""
    return local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


class _Timeline:
    """One schedule's layers and overrides, evaluated at instants."""

    def __init__(self, schedule: Schedule):
        self.schedule = schedule
        self.zone = ZoneInfo(schedule.time_zone)
        self.overrides = [
            (self._instant(o.start), self._instant(o.end), o.person, o.reason) for o in schedule.overrides
        ]

    def _instant(self, moment: datetime) -> datetime:
        return moment if moment.tzinfo is not None else _localize(moment, self.zone)

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone).replace(tzinfo=None)

    def key(self, at: datetime) -> _Key | None:
        """The override active at ``at`` (the last listed wins), else the last active layer's member."""
        for index in reversed(range(len(self.overrides))):
            start, end, person, _ = self.overrides[index]
            if start <= at < end:
                return (person, "override", index, 0)
        local = self._local(at)
        for index in reversed(range(len(self.schedule.layers))):
            layer = self.schedule.layers[index]
            turn = _turn(layer, local)
            if turn is not None and _within_restriction(layer, local):
                return (layer.members[turn % len(layer.members)], "layer", index, turn)
        return None

    def span(self, key: _Key) -> tuple[datetime, datetime]:
        """The stretch the key's source could supply it: the override, or the layer's turn."""
        _, kind, index, turn = key
        if kind == "override":
            start, end, _, _ = self.overrides[index]
            return start, end
        layer = self.schedule.layers[index]
        return self._turn_start(layer, turn), self._turn_start(layer, turn + 1)

    def _turn_start(self, layer: Layer, turn: int) -> datetime:
        return _localize(layer.first_handoff + turn * layer.turn, self.zone)

    def changes(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Every instant strictly between lo and hi at which who is on call may change, sorted."""
        points: set[datetime] = set()
        for start, end, _, _ in self.overrides:
            points.update((start, end))
        first_day = self._local(lo).date() - timedelta(days=1)
        last_day = self._local(hi).date() + timedelta(days=1)
        for layer in self.schedule.layers:
            first = max(_turn_number(layer, self._local(lo)), 0)
            last = _turn_number(layer, self._local(hi))
            points.update(self._turn_start(layer, turn) for turn in range(first, last + 2))
            for day in _days(first_day, last_day):
                if layer.days is not None:
                    points.add(_localize(datetime.combine(day, time()), self.zone))
                if layer.hours is not None:
                    points.add(_localize(datetime.combine(day, layer.hours.start), self.zone))
                    points.add(_localize(datetime.combine(day, layer.hours.end), self.zone))
        return sorted(p for p in points if lo < p < hi)

    def shift_at(self, at: datetime) -> tuple[_Key, datetime, datetime] | None:
        key = self.key(at)
        if key is None:
            return None
        lo, hi = self.span(key)
        points = [lo, *self.changes(lo, hi)]
        keys = [self.key(p) for p in points]
        first = last = max(bisect.bisect_right(points, at) - 1, 0)
        while first > 0 and keys[first - 1] == key:
            first -= 1
        while last + 1 < len(points) and keys[last + 1] == key:
            last += 1
        end = points[last + 1] if last + 1 < len(points) else hi
        return key, points[first], end

    def next_on_call(self, after: datetime, until: datetime) -> datetime | None:
        """The first instant in (after, until) at which somebody is on call."""
        for point in self.changes(after, until):
            if self.key(point) is not None:
                return point
        return None


def _turn_number(layer: Layer, local: datetime) -> int:
    """Turns since the layer's first handoff at a local wall-clock time (negative before it)."""
    return (local - layer.first_handoff) // layer.turn


def _turn(layer: Layer, local: datetime) -> int | None:
    """The layer's turn at a local wall-clock time; None before its first handoff."""
    turn = _turn_number(layer, local)
    return turn if turn >= 0 else None


def _within_restriction(layer: Layer, local: datetime) -> bool:
    day = local.date()
    if layer.hours is not None:
        if not layer.hours.contains(local.time()):
            return False
        if layer.hours.spans_midnight and local.time() < layer.hours.end:
            day -= timedelta(days=1)  # the small hours belong to the evening before
    return layer.days is None or WEEKDAYS[day.weekday()] in layer.days


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class Roster:
    """The on-call config, answerable: who is on call, until when, and is it off-hours."""

    def __init__(self, config: OncallConfig):
        self.config = config
        self._people = {p.id: p for p in config.people}
        self._teams = {t.id: t for t in config.teams}
        self._timelines = {s.id: _Timeline(s) for s in config.schedules}
        off = config.off_hours
        self._zone = ZoneInfo(off.time_zone)
        self._holidays = holidays.country_holidays("DE", subdiv=off.state, language="de")

    # -- lookups

    def person(self, person_id: str) -> Person:
        try:
            return self._people[person_id]
        except KeyError:
            raise UnknownId("person", person_id, list(self._people)) from None

    def team(self, team_id: str) -> Team:
        try:
            return self._teams[team_id]
        except KeyError:
            raise UnknownId("team", team_id, list(self._teams)) from None

    def schedule(self, schedule_id: str) -> Schedule:
        return self._timeline(schedule_id).schedule

    @property
    def schedules(self) -> list[Schedule]:
        return list(self.config.schedules)

    def _timeline(self, schedule_id: str) -> _Timeline:
        try:
            return self._timelines[schedule_id]
        except KeyError:
            raise UnknownId("schedule", schedule_id, list(self._timelines)) from None

    # -- who

    def on_call(self, schedule_id: str, at: datetime) -> list[Person]:
        """The active override's person, else the top active layer's member; [] if nobody."""
        key = self._timeline(schedule_id).key(_aware(at))
        return [] if key is None else [self.person(key[0])]

    def shift(self, schedule_id: str, at: datetime) -> Shift | None:
        """The shift going on at ``at`` (when it started, when it ends); None if nobody is on call."""
        timeline = self._timeline(schedule_id)
        found = timeline.shift_at(_aware(at))
        return None if found is None else self._shift(timeline, *found)

    def shifts(self, schedule_id: str, start: datetime, end: datetime) -> list[Shift]:
        """Every shift overlapping [start, end), whole (the first may start before ``start``)."""
        timeline = self._timeline(schedule_id)
        out: list[Shift] = []
        at: datetime | None = _aware(start)
        while at is not None and at < _aware(end):
            found = timeline.shift_at(at)
            if found is None:
                at = timeline.next_on_call(at, end)
                continue
            out.append(self._shift(timeline, *found))
            at = out[-1].end
        return out

    def _shift(self, timeline: _Timeline, key: _Key, start: datetime, end: datetime) -> Shift:
        person_id, kind, index, _ = key
        layer = timeline.schedule.layers[index].id if kind == "layer" else None
        reason = timeline.overrides[index][3] if kind == "override" else None
        return Shift(
            schedule=timeline.schedule.id,
            person=self.person(person_id),
            start=start.astimezone(timeline.zone),
            end=end.astimezone(timeline.zone),
            layer=layer,
            reason=reason,
        )

    def team_on_call(self, team_id: str, at: datetime) -> list[Person]:
        """Who is on call for the team's schedule; every member of a team without one."""
        team = self.team(team_id)
        if team.schedule is not None:
            return self.on_call(team.schedule, at)
        return [self.person(p) for p in team.members]

    # -- when

    def holiday(self, at: datetime) -> str | None:
        """The German public holiday (in the configured state) on the local date of ``at``, by name."""
        return self._holidays.get(_aware(at).astimezone(self._zone).date())

    def off_hours_reason(self, at: datetime) -> OffHoursReason | None:
        """Why ``at`` is off-hours (holiday before weekend before night), or None in working time."""
        off = self.config.off_hours
        local = _aware(at).astimezone(self._zone)
        if off.public_holidays and self.holiday(at) is not None:
            return "holiday"
        if off.weekends and local.weekday() >= 5:
            return "weekend"
        if off.nights is not None and off.nights.contains(local.time().replace(tzinfo=None)):
            return "night"
        return None

    def is_off_hours(self, at: datetime) -> bool:
        return self.off_hours_reason(at) is not None

    def in_quiet_hours(self, person: Person | str, at: datetime) -> bool:
        """Whether only critical pages may reach this person now (their quiet_hours, in their zone)."""
        who = self.person(person) if isinstance(person, str) else person
        if who.quiet_hours is None:
            return False
        return who.quiet_hours.contains(_aware(at).astimezone(ZoneInfo(who.time_zone)).time().replace(tzinfo=None))
