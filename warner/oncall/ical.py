"""On-call shifts as an iCalendar (RFC 5545) file, for people's own calendars.

One VEVENT per shift. Start and end carry the schedule's TZID (with its VTIMEZONE), so a
calendar shows the 09:00 handoff at 09:00 on both sides of a DST change. A shift's UID is
derived from schedule, person and start, so re-importing an export updates events instead
of duplicating them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event

from warner.oncall.schedule import Shift

PRODID = "-//warner//on-call schedule//EN"


def shift_calendar(shifts: Iterable[Shift], labels: dict[str, str], stamp: datetime) -> bytes:
    """The calendar of ``shifts``; ``labels`` maps schedule id to its display name, ``stamp`` is DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "On call: " + ", ".join(labels.values()))
    for shift in shifts:
        label = labels.get(shift.schedule, shift.schedule)
        event = Event()
        event.add("uid", shift.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {shift.person.name} ({label})")
        event.add("description", _description(shift))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()  # icalendar is untyped
    return ical


def _description(shift: Shift) -> str:
    if shift.layer is None:
        return "Override" + (f": {shift.reason}" if shift.reason else "")
    return f"Rotation layer {shift.layer}"
