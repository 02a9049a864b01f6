"""When the brand answers again: business hours, weekends and German public holidays.

The rule behind ``next_business_time`` (what a holding statement promises, "we will report
back by …"):

- off-hours (outside the opening times, on a day not listed, or on a public holiday of the
  configured state): the next opening time strictly after ``now``;
- inside business hours: ``now + reply_within`` rounded up to the next quarter hour, but no
  later than today's closing time.

Opening times are local wall-clock times in the brand's zone, so 08:00 stays 08:00 across
DST changes. Nothing here reads the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from warner.core import Language
from warner.respond.config import BusinessHours

_MAX_DAYS = 60  # no schedule sensible for a company is closed longer than this
_QUARTER = 15 * 60

_DAYS: dict[Language, tuple[str, ...]] = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_DAY_ABBR: dict[Language, tuple[str, ...]] = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@lru_cache(maxsize=32)
def _holidays(state: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv=state, language="de")


def holiday(day: date, state: str | None) -> str | None:
    """The German public holiday on ``day`` (nationwide, plus ``state``'s own), by name."""
    return _holidays(state).get(day)


def is_business_day(day: date, hours: BusinessHours, state: str | None) -> bool:
    return day.weekday() in hours.weekdays and holiday(day, state) is None


def is_business_hours(now: datetime, hours: BusinessHours, tz: str, state: str | None = None) -> bool:
    local = _aware(now).astimezone(ZoneInfo(tz))
    return is_business_day(local.date(), hours, state) and hours.opens <= local.time() < hours.closes


def next_opening(now: datetime, hours: BusinessHours, tz: str, state: str | None = None) -> datetime:
    """The first opening time strictly after ``now``, in ``tz``."""
    zone = ZoneInfo(tz)
    local = _aware(now).astimezone(zone)
    day = local.date()
    for _ in range(_MAX_DAYS):
        if is_business_day(day, hours, state):
            opening = _at(day, hours.opens, zone)
            if opening > now:
                return opening
        day += timedelta(days=1)
    raise ValueError(f"no business day within {_MAX_DAYS} days after {local:%Y-%m-%d}: check respond.business_hours")


def next_business_time(
    now: datetime,
    hours: BusinessHours,
    tz: str,
    state: str | None = None,
    reply_within: timedelta = timedelta(hours=2),
) -> datetime:
    """What a holding statement promises (see the module docstring for the rule), in ``tz``."""
    zone = ZoneInfo(tz)
    local = _aware(now).astimezone(zone)
    if not is_business_hours(now, hours, tz, state):
        return next_opening(now, hours, tz, state)
    target = (local + reply_within).astimezone(zone)
    seconds = target.timestamp()
    rounded = datetime.fromtimestamp(-(-seconds // _QUARTER) * _QUARTER, zone)
    return min(rounded, _at(local.date(), hours.closes, zone))


def format_local(moment: datetime, lang: Language, tz: str) -> str:
    """'Montag, 23.11., 9:00 Uhr' / 'Monday 23 November, 9:00' in the brand's zone."""
    local = _aware(moment).astimezone(ZoneInfo(tz))
    clock = f"{local.hour}:{local.minute:02d}"
    if lang == "de":
        return f"{_DAYS['de'][local.weekday()]}, {local.day:02d}.{local.month:02d}., {clock} Uhr"
    return f"{_DAYS['en'][local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]}, {clock}"


def format_clock(moment: datetime, tz: str) -> str:
    """'19:50' in the brand's zone."""
    local = _aware(moment).astimezone(ZoneInfo(tz))
    return f"{local:%H:%M}"


def service_hours_text(hours: BusinessHours, lang: Language) -> str:
    """'Mo–Fr 8–18 Uhr' / 'Mon–Fri 8 am–6 pm'."""
    days = _day_ranges(sorted(hours.weekdays), _DAY_ABBR[lang])
    if lang == "de":
        return f"{days} {_clock_de(hours.opens)}–{_clock_de(hours.closes)} Uhr"
    return f"{days} {_clock_en(hours.opens)}–{_clock_en(hours.closes)}"


def _day_ranges(numbers: list[int], names: tuple[str, ...]) -> str:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][-1] == n - 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [names[r[0]] if len(r) == 1 else f"{names[r[0]]}–{names[r[-1]]}" for r in runs]
    return ", ".join(parts)


def _clock_de(moment: time) -> str:
    return f"{moment.hour}" if moment.minute == 0 else f"{moment.hour}:{moment.minute:02d}"


def _clock_en(moment: time) -> str:
    suffix = "am" if moment.hour < 12 else "pm"
    hour = moment.hour % 12 or 12
    return f"{hour} {suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d} {suffix}"


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """Local wall-clock time to an aware datetime; a time skipped by DST moves forward with it."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(ZoneInfo("UTC")).astimezone(zone)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
    return moment
