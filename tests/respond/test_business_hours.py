"""What a holding statement promises: weekends, German public holidays (per state), DST."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from warner.respond.business_hours import (
    format_local,
    is_business_hours,
    next_business_time,
    service_hours_text,
)
from warner.respond.config import BusinessHours

BERLIN = ZoneInfo("Europe/Berlin")
TZ = "Europe/Berlin"
HOURS = BusinessHours()  # Mo-Fr 08:00-18:00


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_saturday_night_promises_monday_morning() -> None:
    promised = next_business_time(at(2026, 11, 21, 21, 0), HOURS, TZ)
    assert promised == at(2026, 11, 23, 8, 0)
    assert format_local(promised, "de", TZ) == "Montag, 23.11., 8:00 Uhr"
    assert format_local(promised, "en", TZ) == "Monday 23 November, 8:00"


def test_christmas_eve_evening_skips_both_holidays_and_the_weekend() -> None:
    # Thu 24 Dec 2026 evening; 25 and 26 Dec are holidays, then Sat/Sun
    assert next_business_time(at(2026, 12, 24, 19, 0), HOURS, TZ) == at(2026, 12, 28, 8, 0)


def test_pfingstmontag_is_skipped() -> None:
    assert next_business_time(at(2026, 5, 22, 18, 30), HOURS, TZ) == at(2026, 5, 26, 8, 0)


def test_fronleichnam_is_a_holiday_in_bavaria_only() -> None:
    evening = at(2026, 6, 3, 19, 0)
    assert next_business_time(evening, HOURS, TZ) == at(2026, 6, 4, 8, 0)
    assert next_business_time(evening, HOURS, TZ, state="BY") == at(2026, 6, 5, 8, 0)
    assert not is_business_hours(at(2026, 6, 4, 10, 0), HOURS, TZ, state="BY")
    assert is_business_hours(at(2026, 6, 4, 10, 0), HOURS, TZ, state=None)


def test_the_opening_time_stays_local_across_dst_changes() -> None:
    spring = next_business_time(at(2026, 3, 28, 21, 0), HOURS, TZ)  # clocks go forward on Sunday 29 March
    assert spring == at(2026, 3, 30, 8, 0) and spring.utcoffset() == timedelta(hours=2)
    autumn = next_business_time(at(2026, 10, 23, 19, 0), HOURS, TZ)  # back on Sunday 25 October
    assert autumn == at(2026, 10, 26, 8, 0) and autumn.utcoffset() == timedelta(hours=1)


def test_before_opening_promises_the_same_morning() -> None:
    assert next_business_time(at(2026, 11, 24, 6, 30), HOURS, TZ) == at(2026, 11, 24, 8, 0)


def test_inside_business_hours_promises_two_hours_rounded_to_the_quarter() -> None:
    assert next_business_time(at(2026, 11, 23, 11, 14), HOURS, TZ) == at(2026, 11, 23, 13, 15)
    assert next_business_time(at(2026, 11, 23, 11, 0), HOURS, TZ) == at(2026, 11, 23, 13, 0)


def test_inside_business_hours_never_beyond_closing() -> None:
    assert next_business_time(at(2026, 11, 23, 17, 10), HOURS, TZ) == at(2026, 11, 23, 18, 0)


def test_closing_time_itself_is_off_hours() -> None:
    assert not is_business_hours(at(2026, 11, 23, 18, 0), HOURS, TZ)
    assert next_business_time(at(2026, 11, 23, 18, 0), HOURS, TZ) == at(2026, 11, 24, 8, 0)


def test_an_instant_in_another_zone_is_answered_in_the_brands_zone() -> None:
    utc_saturday = datetime(2026, 11, 21, 20, 0, tzinfo=ZoneInfo("UTC"))
    promised = next_business_time(utc_saturday, HOURS, TZ)
    assert promised == at(2026, 11, 23, 8, 0) and promised.tzinfo == BERLIN


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_business_time(datetime(2026, 11, 21, 21, 0), HOURS, TZ)


def test_service_hours_text() -> None:
    assert service_hours_text(HOURS, "de") == "Mo–Fr 8–18 Uhr"
    assert service_hours_text(HOURS, "en") == "Mon–Fri 8 am–6 pm"
    odd = BusinessHours(days=["monday", "tuesday", "thursday", "saturday"], opens="09:30", closes="13:00")
    assert odd.opens == time(9, 30)
    assert service_hours_text(odd, "de") == "Mo–Di, Do, Sa 9:30–13 Uhr"
    assert service_hours_text(odd, "en") == "Mon–Tue, Thu, Sat 9:30 am–1 pm"
