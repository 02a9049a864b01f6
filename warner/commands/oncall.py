"""``warner oncall``: who is on call right now (or at any time), and the schedule as iCal.

``warner page --test PERSON``: a test page to one person through each of their channels,
with what each channel answered — the last step of setting up paging.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from warner.config.root import Config
    from warner.oncall.config import Person, Schedule
    from warner.oncall.schedule import Roster

LOOKAHEAD = timedelta(days=14)  # how far `who` looks for the next shift when nobody is on call


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    oncall = subparsers.add_parser("oncall", help="who is on call; the on-call schedule as iCal")
    commands = oncall.add_subparsers(dest="oncall_command", required=True, metavar="COMMAND")

    who = commands.add_parser("who", help="who is on call now (or --at a time), until when, and how to reach them")
    target = who.add_mutually_exclusive_group()
    target.add_argument("--team", help="only this team's schedule (or members)")
    target.add_argument("--schedule", help="only this schedule")
    who.add_argument("--at", type=_instant, help=_AT_HELP)
    who.set_defaults(func=run_who)

    export = commands.add_parser("export", help="write the shifts ahead as an iCalendar file")
    export.add_argument("--schedule", help="only this schedule (default: all)")
    export.add_argument("--days", type=_days, default=28, help="how many days ahead (default 28)")
    export.add_argument("--start", type=_instant, help="from this time instead of now; " + _AT_HELP)
    export.add_argument("--out", type=Path, help="file to write (default: stdout)")
    export.set_defaults(func=run_export)

    page = subparsers.add_parser("page", help="send a test page to a person through each of their channels")
    page.add_argument(
        "--test",
        metavar="PERSON",
        required=True,
        help=(
            "person id from oncall.people; prints what each channel answered "
            "(exit 0 only if every channel but the console delivered)"
        ),
    )
    page.set_defaults(func=run_page_test)


_AT_HELP = (
    "ISO 8601, e.g. 2026-12-24T22:00 or 2026-12-24T22:00+01:00 (default now; no offset = oncall.off_hours.time_zone)"
)


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-12-24T22:00)") from None


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 366:
        raise argparse.ArgumentTypeError(f"expected a number of days from 1 to 366, got {text!r}")
    return int(text)


def _config(args: argparse.Namespace) -> Config | None:
    from warner.commands.loading import load_for_command
    from warner.config.loading import resolve_config_path

    config = load_for_command(args)
    if not config.oncall.schedules and not config.oncall.teams:
        print(
            f"error: {resolve_config_path(args.config)} has no on-call schedules: add an `oncall:` section "
            "with people and schedules",
            file=sys.stderr,
        )
        return None
    return config


def _when(given: datetime | None, config: Config) -> datetime:
    """The time asked about; a time without offset is local time of the off-hours zone."""
    if given is None:
        return datetime.now(UTC)
    return given if given.tzinfo is not None else given.replace(tzinfo=ZoneInfo(config.oncall.off_hours.time_zone))


def run_who(args: argparse.Namespace) -> int:
    from warner.oncall.schedule import Roster, UnknownId

    config = _config(args)
    if config is None:
        return 1
    roster = Roster(config.oncall)
    at = _when(args.at, config)
    try:
        lines = _who(roster, at, team=args.team, schedule=args.schedule)
    except UnknownId as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def _who(roster: Roster, at: datetime, team: str | None, schedule: str | None) -> list[str]:
    lines = [_moment(roster, at)]
    if team is not None:
        found = roster.team(team)
        if found.schedule is None:
            people = ", ".join(f"{p.name} ({_reach(roster, p, at)})" for p in roster.team_on_call(team, at))
            return [*lines, f"{found.label}: no schedule, every member is paged: {people}"]
        schedule = found.schedule
    schedules = [roster.schedule(schedule)] if schedule is not None else roster.schedules
    return lines + [_on_call_line(roster, s, at) for s in schedules]


def _moment(roster: Roster, at: datetime) -> str:
    zone = ZoneInfo(roster.config.off_hours.time_zone)
    local = at.astimezone(zone)
    reason = roster.off_hours_reason(at)
    holiday = roster.holiday(at)
    if reason == "holiday":
        status = f"off-hours: public holiday ({holiday})"
    elif reason is not None:
        status = f"off-hours ({reason})" + (f", public holiday {holiday} (a working day here)" if holiday else "")
    else:
        status = "working hours" + (f", public holiday {holiday} (a working day here)" if holiday else "")
    return f"{local:%a %d.%m.%Y %H:%M %Z}: {status}"


def _on_call_line(roster: Roster, schedule: Schedule, at: datetime) -> str:
    zone = ZoneInfo(schedule.time_zone)
    shift = roster.shift(schedule.id, at)
    if shift is None:
        upcoming = roster.shifts(schedule.id, at, at + LOOKAHEAD)
        then = (
            f", next: {upcoming[0].person.name} from {upcoming[0].start.astimezone(zone):%a %d.%m. %H:%M}"
            if upcoming
            else f", nobody in the next {LOOKAHEAD.days} days"
        )
        return f"  {schedule.label}: nobody on call{then}"
    source = f"override: {shift.reason}" if shift.layer is None and shift.reason else shift.layer or "override"
    return (
        f"  {schedule.label}: {shift.person.name} until {shift.end.astimezone(zone):%a %d.%m. %H:%M} "
        f"({source}) — {_reach(roster, shift.person, at)}"
    )


def _reach(roster: Roster, person: Person, at: datetime) -> str:
    marks = f"Telegram {'✓' if person.telegram_id else '✗'} SMS {'✓' if person.phone else '✗'}"
    if not person.telegram_id and not person.phone:
        marks += " UNREACHABLE"
    if roster.in_quiet_hours(person, at):
        marks += ", quiet hours (critical only)"
    return marks


def run_export(args: argparse.Namespace) -> int:
    from warner.oncall.ical import shift_calendar
    from warner.oncall.schedule import Roster, UnknownId

    config = _config(args)
    if config is None:
        return 1
    roster = Roster(config.oncall)
    start = _when(args.start, config)
    end = start + timedelta(days=args.days)
    try:
        schedules = [roster.schedule(args.schedule)] if args.schedule else roster.schedules
    except UnknownId as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shifts = [shift for s in schedules for shift in roster.shifts(s.id, start, end)]
    ical = shift_calendar(shifts, {s.id: s.label for s in schedules}, stamp=datetime.now(UTC))
    if args.out is None:
        sys.stdout.buffer.write(ical)
        sys.stdout.flush()
    else:
        args.out.write_bytes(ical)
        print(f"wrote {len(shifts)} shifts of {len(schedules)} schedule(s) to {args.out}", file=sys.stderr)
    return 0


def run_page_test(args: argparse.Namespace) -> int:
    """One line per channel: delivered to whom, or the channel's error. No Redis, no incident."""
    import asyncio
    import logging

    import structlog

    from warner.commands.loading import load_for_command
    from warner.oncall.schedule import UnknownId
    from warner.oncall.test_page import NoChannels, send_test_page

    config = load_for_command(args)
    if not args.log_level:  # the lines below say what happened; python-telegram-bot's own tracebacks do not help
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
        logging.getLogger("telegram").setLevel(logging.CRITICAL)
    try:
        _, answers = asyncio.run(send_test_page(config, args.test))
    except UnknownId as exc:
        print(f"error: {exc} — person ids are set in oncall.people", file=sys.stderr)
        return 1
    except NoChannels as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for answer in answers:
        print(answer.describe("en"))
    # The console always "delivers": it proves nothing about reaching a phone, so it does not count.
    real = [a for a in answers if a.channel != "console"] or answers
    return 0 if all(a.delivered for a in real) else 1
