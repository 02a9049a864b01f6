"""ISO weeks in a time zone: "2026-W47" <-> [Monday 00:00, next Monday 00:00) local, as epochs.

A week is wall-clock weeks in the digest's zone, so it lasts 168 hours except the weeks
of a DST change (167 in late March, 169 in late October in Europe/Berlin). Everything
takes the instant or the zone explicitly; nothing reads the clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Europe/Berlin"

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _monday(week: str) -> date:
    match = _WEEK.match(week.strip()) if isinstance(week, str) else None
    if match is None:
        raise ValueError(f"not an ISO week: {week!r} (expected e.g. 2026-W47)")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"not an ISO week: {week!r} ({year} has no week {number})") from None


def _local_midnight(day: date, zone: ZoneInfo) -> int:
    # Midnight exists on every Monday in every zone warner is meant for (DST changes happen at night, not at 00:00
    # in Europe); fold=0 picks the first occurrence should a zone ever repeat it.
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())


def parse_week(week: str, tz: str | ZoneInfo = DEFAULT_TIME_ZONE) -> tuple[int, int]:
    """``(start, end)`` epochs of the week: Monday 00:00 local up to (excluding) the next Monday 00:00.

    Raises ValueError for anything but ``YYYY-Www`` naming a week that exists ("2026-W54", "2026-47").
    """
    monday, zone = _monday(week), _zone(tz)
    return _local_midnight(monday, zone), _local_midnight(monday + timedelta(days=7), zone)


def week_of(moment: datetime | float, tz: str | ZoneInfo = DEFAULT_TIME_ZONE) -> str:
    """The ISO week containing ``moment`` (an aware datetime or epoch seconds) in zone ``tz``."""
    zone = _zone(tz)
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
        local = moment.astimezone(zone)
    else:
        local = datetime.fromtimestamp(moment, zone)
    year, number, _ = local.isocalendar()
    return f"{year}-W{number:02d}"


def previous_week(week: str) -> str:
    """The ISO week before ``week`` ("2027-W01" -> "2026-W53")."""
    year, number, _ = (_monday(week) - timedelta(days=7)).isocalendar()
    return f"{year}-W{number:02d}"


def next_week(week: str) -> str:
    year, number, _ = (_monday(week) + timedelta(days=7)).isocalendar()
    return f"{year}-W{number:02d}"


def last_complete_week(now: datetime | float, tz: str | ZoneInfo = DEFAULT_TIME_ZONE) -> str:
    """The latest week that has fully ended at ``now``: on Monday 08:00 that is the week just past."""
    return previous_week(week_of(now, tz))


def hours_of(week: str, tz: str | ZoneInfo = DEFAULT_TIME_ZONE) -> list[int]:
    """Epoch of every hour of the week (168, or 167/169 in a DST week); hours are UTC hours, which
    coincide with local hours in zones with whole-hour offsets."""
    start, end = parse_week(week, tz)
    return list(range(start, end, 3600))
