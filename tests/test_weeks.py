"""ISO weeks in Europe/Berlin: boundaries at local midnight, DST weeks, malformed names."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from warner.weeks import (
    hours_of,
    last_complete_week,
    next_week,
    parse_week,
    previous_week,
    week_of,
)

BERLIN = ZoneInfo("Europe/Berlin")


def local(*args: int) -> int:
    return int(datetime(*args, tzinfo=BERLIN).timestamp())


def test_a_week_runs_from_monday_midnight_to_the_next_monday_midnight_local_time():
    start, end = parse_week("2026-W47")
    assert (start, end) == (local(2026, 11, 16), local(2026, 11, 23))
    assert datetime.fromtimestamp(start, ZoneInfo("UTC")).isoformat() == "2026-11-15T23:00:00+00:00"
    assert (end - start) // 3600 == 168


def test_the_week_of_the_october_dst_change_has_169_hours_and_the_march_one_167():
    start, end = parse_week("2026-W43")  # Mon 19 Oct .. Sun 25 Oct 2026, clocks go back on the 25th
    assert start <= local(2026, 10, 25, 12) < end
    assert (end - start) // 3600 == 169
    assert len(hours_of("2026-W43")) == 169
    start, end = parse_week("2026-W13")  # clocks go forward on Sun 29 Mar 2026
    assert (end - start) // 3600 == 167


def test_another_zone_moves_the_boundaries():
    start, _ = parse_week("2026-W47", "UTC")
    assert start == local(2026, 11, 16) + 3600


def test_sunday_2359_belongs_to_the_week_and_monday_0000_to_the_next():
    assert week_of(local(2026, 11, 22, 23, 59, 59)) == "2026-W47"
    assert week_of(local(2026, 11, 23, 0, 0)) == "2026-W48"
    assert week_of(datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("UTC"))) == "2026-W48"  # 00:30 in Berlin
    assert week_of(datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("UTC")), "UTC") == "2026-W47"


def test_previous_and_next_week_cross_years_with_53_weeks():
    assert previous_week("2026-W47") == "2026-W46"
    assert previous_week("2027-W01") == "2026-W53"  # 2026 starts on a Thursday: it has 53 ISO weeks
    assert next_week("2026-W53") == "2027-W01"
    assert previous_week("2026-W01") == "2025-W52"


def test_last_complete_week_is_the_one_just_past():
    assert last_complete_week(local(2026, 11, 23, 8, 0)) == "2026-W47"
    assert last_complete_week(local(2026, 11, 23, 0, 0)) == "2026-W47"
    assert last_complete_week(local(2026, 11, 22, 23, 59)) == "2026-W46"
    assert last_complete_week(datetime(2027, 1, 4, 9, tzinfo=BERLIN)) == "2026-W53"


@pytest.mark.parametrize("week", ["2026-W54", "2025-W53", "2026-47", "2026-W7", "26-W47", "2026-W00", "", "W47"])
def test_a_malformed_or_missing_week_is_a_clear_error(week):
    with pytest.raises(ValueError, match="ISO week"):
        parse_week(week)


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="aware"):
        week_of(datetime(2026, 11, 16, 12))
