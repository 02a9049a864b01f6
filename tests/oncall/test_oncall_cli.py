"""`warner oncall who` and `warner oncall export` as a person runs them, against a config file."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from warner.cli import main

BERLIN = ZoneInfo("Europe/Berlin")

ONCALL_YAML = """
brands:
  - name: kesselberg
oncall:
  people:
    - {id: anna, name: Anna Schmidt, telegram_id: 1001, phone: "+4915111111111", quiet_hours: "22:00-07:00"}
    - {id: ben, name: Ben Yilmaz, telegram_id: 1002}
    - {id: cem, name: Cem Kaya}
  teams:
    - {id: social, name: Social Media, members: [anna, ben], schedule: support}
    - {id: pr, members: [ben, cem]}
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
    - id: office
      layers:
        - {id: day, type: daily, handoff: "08:00", start: 2026-06-01, members: [anna, ben], hours: "08:00-17:00"}
  off_hours: {state: BY, nights: "20:00-08:00"}
"""


@pytest.fixture
def oncall_config(config_file) -> Path:
    return config_file(ONCALL_YAML)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_who_on_a_bavarian_holiday_night_names_the_holiday_the_person_and_until_when(oncall_config, capsys) -> None:
    code, out, _ = run(capsys, "--config", str(oncall_config), "oncall", "who", "--at", "2026-06-04T23:30")
    assert code == 0
    assert out.splitlines() == [
        "Thu 04.06.2026 23:30 CEST: off-hours: public holiday (Fronleichnam)",
        "  Kundenservice: Anna Schmidt until Fri 05.06. 08:00 (base) — Telegram ✓ SMS ✓, quiet hours (critical only)",
        "  office: nobody on call, next: Anna Schmidt from Fri 05.06. 08:00",
    ]


def test_who_for_a_team_answers_from_its_schedule_at_an_instant_with_offset(oncall_config, capsys) -> None:
    code, out, _ = run(
        capsys, "--config", str(oncall_config), "oncall", "who", "--team", "social", "--at", "2026-06-09T08:30:00Z"
    )  # Tuesday 10:30 in Berlin
    assert code == 0
    assert out.splitlines() == [
        "Tue 09.06.2026 10:30 CEST: working hours",
        "  Kundenservice: Cem Kaya until Tue 09.06. 18:00 (office) — Telegram ✗ SMS ✗ UNREACHABLE",
    ]


def test_who_for_a_team_without_schedule_pages_every_member(oncall_config, capsys) -> None:
    code, out, _ = run(
        capsys, "--config", str(oncall_config), "oncall", "who", "--team", "pr", "--at", "2026-06-06T12:00"
    )
    assert code == 0
    assert out.splitlines() == [
        "Sat 06.06.2026 12:00 CEST: off-hours (weekend)",
        (
            "pr: no schedule, every member is paged: Ben Yilmaz (Telegram ✓ SMS ✗), "
            "Cem Kaya (Telegram ✗ SMS ✗ UNREACHABLE)"
        ),
    ]


@pytest.mark.parametrize(
    ("option", "name", "message"),
    [
        ("--team", "legal", "error: unknown team 'legal' (known: social, pr)"),
        ("--schedule", "nights", "error: unknown schedule 'nights' (known: support, office)"),
    ],
)
def test_unknown_team_or_schedule_exits_2(oncall_config, capsys, option, name, message) -> None:
    code, out, err = run(capsys, "--config", str(oncall_config), "oncall", "who", option, name)
    assert (code, out, err.strip()) == (2, "", message)


def test_export_of_an_unknown_schedule_exits_2(oncall_config, capsys) -> None:
    code, _, err = run(capsys, "--config", str(oncall_config), "oncall", "export", "--schedule", "nights")
    assert code == 2 and "unknown schedule 'nights'" in err


def test_a_config_without_oncall_section_says_so(config_file, capsys) -> None:
    path = config_file("brands:\n  - name: kesselberg\n")
    code, _, err = run(capsys, "--config", str(path), "oncall", "who")
    assert code == 1
    assert f"error: {path} has no on-call schedules: add an `oncall:` section" in err


def test_an_oncall_config_error_names_file_field_and_line(config_file, capsys) -> None:
    path = config_file(ONCALL_YAML.replace("members: [anna, ben], hours", "members: [anna, bob], hours"))
    code, _, err = run(capsys, "--config", str(path), "oncall", "who")
    line = (
        ONCALL_YAML.splitlines().index(
            '        - {id: day, type: daily, handoff: "08:00", start: 2026-06-01, members: [anna, ben], '
            'hours: "08:00-17:00"}'
        )
        + 1
    )
    assert code == 1
    assert f"config error: {path}:{line}: oncall.schedules[1].layers[0].members[1]: unknown person 'bob'" in err


def events(ical: bytes) -> list:
    return list(Calendar.from_ical(ical).walk("VEVENT"))


def test_export_writes_one_event_per_shift_at_local_handoff_times(oncall_config, tmp_path, capsys) -> None:
    out = tmp_path / "office.ics"
    code, _, err = run(
        capsys,
        "--config",
        str(oncall_config),
        "oncall",
        "export",
        "--schedule",
        "office",
        "--start",
        "2026-10-12T00:00",
        "--days",
        "28",
        "--out",
        str(out),
    )
    assert code == 0 and "wrote 28 shifts of 1 schedule(s)" in err
    shifts = events(out.read_bytes())
    assert len(shifts) == 28
    assert len({str(e["UID"]) for e in shifts}) == 28
    starts = [e.decoded("DTSTART") for e in shifts]
    assert {(s.hour, s.minute, str(s.tzinfo)) for s in starts} == {(8, 0, "Europe/Berlin")}  # CEST and CET alike
    assert {s.utcoffset() for s in starts} == {timedelta(hours=2), timedelta(hours=1)}
    first = shifts[0]
    assert str(first["SUMMARY"]) == "On call: Ben Yilmaz (office)"  # day 133 of a two-person daily rotation
    assert first.decoded("DTSTART") == datetime(2026, 10, 12, 8, tzinfo=BERLIN)
    assert first.decoded("DTEND") == datetime(2026, 10, 12, 17, tzinfo=BERLIN)


def test_export_to_stdout_holds_every_schedule_and_is_stable(oncall_config) -> None:
    def export() -> bytes:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "warner",
                "--config",
                str(oncall_config),
                "oncall",
                "export",
                "--start",
                "2026-06-01T00:00",
                "--days",
                "7",
            ],
            capture_output=True,
            check=False,
            timeout=60,
            env=os.environ.copy(),
        )
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout

    first, again = events(export()), events(export())
    summaries = [str(e["SUMMARY"]) for e in first]
    # the rotations' first week: office has a shift a day; Kundenservice has Cem in office hours on five
    # weekdays and Anna (the base layer's first turn) on four evenings and the weekend
    assert sum(s.endswith("(office)") for s in summaries) == 7
    assert summaries.count("On call: Cem Kaya (Kundenservice)") == 5
    assert summaries.count("On call: Anna Schmidt (Kundenservice)") == 5
    assert len(summaries) == 17
    assert [str(e["UID"]) for e in first] == [str(e["UID"]) for e in again]
