"""Who is on call when: rotations across DST, layers, overrides, off-hours and quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from warner.config.loading import ConfigError, parse_config
from warner.oncall.schedule import Roster, UnknownId

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")

PEOPLE = """
oncall:
  people:
    - {id: anna, name: Anna Schmidt, telegram_id: 1001, phone: "+4915111111111", quiet_hours: "22:00-07:00"}
    - {id: ben, name: Ben Yilmaz, telegram_id: 1002}
    - {id: cem, name: Cem Kaya, phone: "+49 151 2222 2222", language: en}
"""


def roster(schedules: str, off_hours: str = "") -> Roster:
    return Roster(parse_config(PEOPLE + schedules + off_hours, "warner.yaml").oncall)


def berlin(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=BERLIN)


def names(people) -> list[str]:
    return [p.id for p in people]


WEEKLY = """
  schedules:
    - id: support
      layers:
        - {id: base, type: weekly, handoff: "09:00", start: 2026-10-19, members: [anna, ben]}
"""


def test_weekly_handoff_is_at_nine_local_time_on_both_sides_of_the_october_change() -> None:
    r = roster(WEEKLY)
    assert names(r.on_call("support", berlin(2026, 10, 26, 8, 59))) == ["anna"]
    assert names(r.on_call("support", berlin(2026, 10, 26, 9, 0))) == ["ben"]
    shift = r.shift("support", berlin(2026, 10, 22, 3, 0))
    assert (shift.person.id, shift.start, shift.end) == ("anna", berlin(2026, 10, 19, 9), berlin(2026, 10, 26, 9))
    assert shift.start.utcoffset() == timedelta(hours=2) and shift.end.utcoffset() == timedelta(hours=1)
    assert shift.duration == timedelta(days=7, hours=1)  # the clocks went back inside it
    assert shift.end.astimezone(UTC) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_a_rotation_is_not_active_before_its_first_handoff() -> None:
    r = roster(WEEKLY)
    assert r.on_call("support", berlin(2026, 10, 19, 8, 59)) == []
    assert r.shift("support", berlin(2026, 10, 19, 8, 59)) is None
    assert names(r.on_call("support", berlin(2026, 10, 19, 9, 0))) == ["anna"]


def test_daily_turn_containing_the_march_change_lasts_23_hours() -> None:
    r = roster("""
  schedules:
    - id: support
      layers:
        - {id: base, type: daily, handoff: "09:00", start: 2026-03-27, members: [anna, ben, cem]}
""")
    shifts = r.shifts("support", berlin(2026, 3, 28, 12), berlin(2026, 3, 30, 12))
    assert [(s.person.id, s.start, s.duration) for s in shifts] == [
        ("ben", berlin(2026, 3, 28, 9), timedelta(hours=23)),
        ("cem", berlin(2026, 3, 29, 9), timedelta(hours=24)),
        ("anna", berlin(2026, 3, 30, 9), timedelta(hours=24)),
    ]
    assert [s.start.hour for s in shifts] == [9, 9, 9]


LAYERED = """
  schedules:
    - id: support
      name: Kundenservice
      layers:
        - {id: base, type: weekly, start: 2026-06-01, members: [anna, ben]}
        - id: office
          type: daily
          handoff: "08:00"
          start: 2026-06-01
          members: [cem]
          days: [monday, tuesday, wednesday, thursday, friday]
          hours: "08:00-18:00"
"""


def test_business_hours_layer_wins_over_the_base_layer_only_in_business_hours() -> None:
    r = roster(LAYERED)
    tuesday = (2026, 6, 2)
    assert names(r.on_call("support", berlin(*tuesday, 10, 0))) == ["cem"]
    assert names(r.on_call("support", berlin(*tuesday, 18, 0))) == ["anna"]
    assert names(r.on_call("support", berlin(*tuesday, 7, 59))) == ["anna"]
    assert names(r.on_call("support", berlin(2026, 6, 6, 10, 0))) == ["anna"]  # Saturday
    evening = r.shift("support", berlin(*tuesday, 19, 0))
    assert (evening.person.id, evening.layer, evening.start, evening.end) == (
        "anna",
        "base",
        berlin(*tuesday, 18),
        berlin(2026, 6, 3, 8),
    )


def test_base_layer_carries_the_weekend_in_one_shift() -> None:
    r = roster(LAYERED)
    weekend = r.shift("support", berlin(2026, 6, 6, 12))
    assert (weekend.person.id, weekend.start, weekend.end) == ("anna", berlin(2026, 6, 5, 18), berlin(2026, 6, 8, 8))
    week = r.shifts("support", berlin(2026, 6, 8, 0), berlin(2026, 6, 15, 0))
    assert [s.layer for s in week].count("office") == 5
    assert {s.person.id for s in week if s.layer == "base"} == {
        "anna",
        "ben",
    }  # handoff Monday 09:00 inside office hours
    assert all(a.end == b.start for a, b in pairwise(week))


def test_holiday_cover_override_wins_and_ends_on_time() -> None:
    r = roster(
        LAYERED
        + """
      overrides:
        - {person: ben, start: 2026-06-03T12:00, end: 2026-06-05T09:00, reason: Urlaubsvertretung}
"""
    )
    assert names(r.on_call("support", berlin(2026, 6, 3, 11, 59))) == ["cem"]
    assert names(r.on_call("support", berlin(2026, 6, 3, 12, 0))) == ["ben"]
    assert names(r.on_call("support", berlin(2026, 6, 4, 3, 0))) == ["ben"]
    cover = r.shift("support", berlin(2026, 6, 4, 3, 0))
    assert (cover.start, cover.end, cover.layer, cover.reason) == (
        berlin(2026, 6, 3, 12),
        berlin(2026, 6, 5, 9),
        None,
        "Urlaubsvertretung",
    )
    assert names(r.on_call("support", berlin(2026, 6, 5, 9, 0))) == ["cem"]


def test_override_with_an_offset_is_taken_as_that_instant() -> None:
    r = roster(
        WEEKLY
        + """
      overrides:
        - {person: cem, start: "2026-10-20T06:00:00Z", end: "2026-10-20T07:00:00Z"}
"""
    )
    assert names(r.on_call("support", berlin(2026, 10, 20, 8, 30))) == ["cem"]
    assert names(r.on_call("support", berlin(2026, 10, 20, 9, 0))) == ["anna"]


def test_nobody_on_call_outside_a_business_hours_only_schedule() -> None:
    r = roster("""
  schedules:
    - id: office
      layers:
        - {id: day, type: daily, handoff: "08:00", start: 2026-06-01, members: [anna, ben], hours: "08:00-17:00"}
""")
    assert r.on_call("office", berlin(2026, 6, 2, 20)) == []
    assert r.shift("office", berlin(2026, 6, 2, 20)) is None
    shifts = r.shifts("office", berlin(2026, 6, 2, 20), berlin(2026, 6, 4, 20))
    assert [(s.person.id, s.start, s.end) for s in shifts] == [
        ("anna", berlin(2026, 6, 3, 8), berlin(2026, 6, 3, 17)),
        ("ben", berlin(2026, 6, 4, 8), berlin(2026, 6, 4, 17)),
    ]


def test_team_follows_its_schedule_and_a_team_without_one_pages_everybody() -> None:
    r = roster(
        WEEKLY
        + """
  teams:
    - {id: social, members: [anna, ben], schedule: support, telegram_chat_id: -100123}
    - {id: pr, members: [ben, cem]}
"""
    )
    assert names(r.team_on_call("social", berlin(2026, 10, 27, 12))) == ["ben"]
    assert names(r.team_on_call("pr", berlin(2026, 10, 27, 12))) == ["ben", "cem"]
    with pytest.raises(UnknownId, match="unknown team 'legal'"):
        r.team_on_call("legal", berlin(2026, 10, 27, 12))


def test_nights_weekends_and_nationwide_holidays_are_off_hours() -> None:
    r = roster(WEEKLY, "  off_hours: {nights: '20:00-08:00'}\n")
    assert r.off_hours_reason(berlin(2026, 12, 22, 10)) is None  # a Tuesday morning
    assert r.off_hours_reason(berlin(2026, 12, 22, 20)) == "night"
    assert r.off_hours_reason(berlin(2026, 12, 23, 7, 59)) == "night"
    assert r.off_hours_reason(berlin(2026, 12, 19, 14)) == "weekend"
    assert r.off_hours_reason(berlin(2026, 12, 25, 14)) == "holiday"  # a Friday
    assert r.holiday(berlin(2026, 12, 25, 14)) == "Erster Weihnachtstag"
    assert r.is_off_hours(datetime(2026, 12, 24, 23, 30, tzinfo=UTC))  # already the 25th in Berlin
    assert not r.is_off_hours(datetime(2026, 12, 22, 9, 0, tzinfo=UTC))


def test_corpus_christi_is_a_holiday_in_bavaria_but_not_in_hamburg() -> None:
    fronleichnam = berlin(2026, 6, 4, 11)  # a Thursday
    bavaria = roster(WEEKLY, "  off_hours: {state: BY}\n")
    hamburg = roster(WEEKLY, "  off_hours: {state: HH}\n")
    assert bavaria.holiday(fronleichnam) == "Fronleichnam" and bavaria.is_off_hours(fronleichnam)
    assert hamburg.holiday(fronleichnam) is None and not hamburg.is_off_hours(fronleichnam)


def test_holidays_can_be_working_days() -> None:
    r = roster(WEEKLY, "  off_hours: {public_holidays: false}\n")
    assert r.holiday(berlin(2026, 12, 25, 14)) == "Erster Weihnachtstag"
    assert not r.is_off_hours(berlin(2026, 12, 25, 14))


def test_quiet_hours_span_midnight_in_the_persons_zone() -> None:
    r = roster(WEEKLY)
    anna = r.person("anna")
    assert r.in_quiet_hours(anna, berlin(2026, 6, 2, 23, 30))
    assert r.in_quiet_hours(anna, berlin(2026, 6, 3, 6, 59))
    assert not r.in_quiet_hours(anna, berlin(2026, 6, 3, 7, 0))
    assert not r.in_quiet_hours(anna, berlin(2026, 6, 2, 21, 59))
    assert r.in_quiet_hours("anna", datetime(2026, 6, 2, 21, 0, tzinfo=UTC))  # 23:00 in Berlin
    assert not r.in_quiet_hours("ben", berlin(2026, 6, 2, 23, 30))  # no quiet hours


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        roster(WEEKLY).on_call("support", datetime(2026, 6, 2, 12))


def config_issues(oncall: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_config(PEOPLE + oncall, "warner.yaml")
    return [(i.field, i.line, i.message) for i in caught.value.issues]


def line_of(text: str, oncall: str) -> int:
    return (PEOPLE + oncall).splitlines().index(text) + 1


def test_unknown_member_in_a_rotation_names_the_member_and_its_line() -> None:
    oncall = """
  schedules:
    - id: support
      layers:
        - id: base
          start: 2026-10-19
          members: [anna, bob]
"""
    assert config_issues(oncall) == [
        (
            "oncall.schedules[0].layers[0].members[1]",
            line_of("          members: [anna, bob]", oncall),
            "unknown person 'bob' (oncall.people: anna, ben, cem)",
        )
    ]


def test_config_errors_name_the_field() -> None:
    issues = config_issues("""
  teams:
    - {id: social, schedule: night-shift}
  schedules:
    - id: support
      layers:
        - {id: base, start: 2026-10-20, members: [anna]}
        - {id: late, type: daily, handoff: 18:30, start: 2026-10-20, members: [ben]}
      overrides:
        - {person: carl, start: 2026-10-21T09:00, end: 2026-10-21T10:00}
        - {person: ben, start: 2026-10-21T09:00, end: 2026-10-21T08:00}
  off_hours: {state: XY, nights: "20:00"}
""")
    fields = {field: message for field, _, message in issues}
    assert "unknown schedule 'night-shift'" in fields["oncall.teams[0].schedule"]
    assert "start 2026-10-20 is a tuesday" in fields["oncall.schedules[0].layers[0]"]
    assert "write clock times in quotes" in fields["oncall.schedules[0].layers[1].handoff"]
    assert "unknown person 'carl'" in fields["oncall.schedules[0].overrides[0].person"]
    assert "is not after start" in fields["oncall.schedules[0].overrides[1]"]
    assert "unknown German federal state 'XY'" in fields["oncall.off_hours.state"]
    assert "HH:MM-HH:MM" in fields["oncall.off_hours.nights"]


def test_people_errors_name_the_field() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            """
oncall:
  people:
    - {id: anna, name: Anna, phone: "0151 1234567", pager: yes}
    - {id: anna, name: Anna Zwei, language: fr}
""",
            "warner.yaml",
        )
    fields = {i.field: i.message for i in caught.value.issues}
    assert "E.164" in fields["oncall.people[0].phone"]
    assert fields["oncall.people[0].pager"] == "Extra inputs are not permitted"
    assert "'de' or 'en'" in fields["oncall.people[1].language"]


def test_repeated_ids_are_refused() -> None:
    oncall = (
        WEEKLY
        + """
    - id: support
      layers:
        - {id: base, start: 2026-10-19, members: [ben]}
"""
    )
    assert config_issues(oncall) == [
        ("oncall.schedules", line_of("  schedules:", oncall), "schedule names must be unique, repeated: support")
    ]
