"""``warner incidents list|show``: the console's incident list and one incident, on the command line.

Reads the running warner's Redis (``open_redis(owner=False)`` attaches to the embedded server a
``warner run`` owns). ``list`` picks as ``/incidents`` does (``--open``: not ended and not
resolved); ``show`` prints the numbers, the timeline, the top mentions and the response.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

if TYPE_CHECKING:
    from warner.config.root import Config
    from warner.incidents.lifecycle import Response
    from warner.incidents.model import Incident
    from warner.web.pages.incidents import Row


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    incidents = subparsers.add_parser("incidents", help="the incidents in the running warner's Redis")
    commands = incidents.add_subparsers(dest="incidents_command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="incidents, newest first")
    listing.add_argument("--open", action="store_true", help="only incidents not ended and not resolved")
    listing.add_argument("--brand", help="only this brand (its name in brands:)")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    listing.set_defaults(func=run_list)

    show = commands.add_parser("show", help="one incident: numbers, timeline, top mentions, response")
    show.add_argument("id", metavar="ID", help="incident id, BRAND:NUMBER, e.g. kesselberg:3")
    show.add_argument("--json", action="store_true", help="as JSON")
    show.set_defaults(func=run_show)


def run_list(args: argparse.Namespace) -> int:
    from warner.commands.loading import load_for_command

    config = load_for_command(args)
    if args.brand and config.brand(args.brand) is None:
        known = ", ".join(b.name for b in config.brands) or "none"
        print(f"error: no brand {args.brand!r} in the config (brands: {known})", file=sys.stderr)
        return 2
    rows = asyncio.run(_rows(config, open_only=args.open, brand=args.brand or ""))[: max(args.limit, 0)]
    zone = ZoneInfo(config.escalation.time_zone)
    if args.json:
        print(orjson.dumps([_row_json(r.incident, r.response) for r in rows], option=orjson.OPT_INDENT_2).decode())
        return 0
    _print_table(config, rows, zone)
    return 0


async def _rows(config: Config, *, open_only: bool, brand: str) -> list[Row]:
    from warner.core import SystemClock
    from warner.incidents.lifecycle import IncidentLifecycle
    from warner.incidents.store import IncidentStore
    from warner.store.connection import open_redis
    from warner.web.pages.incidents import Filters, incident_rows

    filters = Filters(state="open" if open_only else "all", brand=brand)
    clock = SystemClock()
    async with open_redis(config.redis, owner=False) as redis:
        return await incident_rows(
            IncidentStore(redis),
            IncidentLifecycle(redis, clock),
            filters,
            now=clock.now(),
            time_zone=config.escalation.time_zone,
        )


def _row_json(incident: Incident, response: Response | None) -> dict[str, Any]:
    return {
        "id": incident.id,
        "brand": incident.brand,
        "number": incident.number,
        "status": incident.status,
        "response": response.state if response else None,
        "severity": incident.severity,
        "started_at": incident.started_at,
        "ended_at": incident.ended_at,
        "mentions": incident.mentions,
        "expected": round(incident.expected, 1),
        "negative_share": round(incident.negative_share, 3),
        "acknowledged_by": response.acknowledged_by if response else None,
        "acknowledged_at": response.acknowledged_at if response else None,
    }


def _when(at: float | None, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M") if at else "–"


def _print_table(config: Config, rows: list[Row], zone: ZoneInfo) -> None:
    from rich.console import Console
    from rich.table import Table

    from warner.directory import ConfigDirectory

    if not rows:
        print("no incidents")
        return
    directory = ConfigDirectory(config.oncall)

    def name(person_id: str) -> str:
        person = directory.recipient_or_none(person_id)
        return person.name if person else person_id

    table = Table(title=f"Incidents, newest first ({zone.key})")
    for column in ("id", "state", "severity", "brand", "started", "mentions / expected", "negative", "acknowledged"):
        table.add_column(column, no_wrap=column not in ("brand", "acknowledged"))
    for row in rows:
        i, r = row.incident, row.response
        brand = config.brand(i.brand)
        acknowledged = "–"
        if r and r.acknowledged_by:
            acknowledged = f"{name(r.acknowledged_by)}, {_when(r.acknowledged_at, zone)}"
        table.add_row(
            i.id,
            i.status + (f" · {RESPONSE_WORDS[r.state]}" if r else ""),
            i.severity,
            brand.label if brand else i.brand,
            _when(i.started_at, zone),
            f"{i.mentions} / {i.expected:.0f} ({i.volume_ratio:.1f}x)",
            f"{i.negative_share:.0%}",
            acknowledged,
        )
    console = Console()
    if not console.is_terminal:  # piped or captured: rows whole rather than wrapped at 80 columns
        console = Console(width=200)
    console.print(table)


RESPONSE_WORDS = {
    "open": "unacknowledged",
    "acknowledged": "acknowledged",
    "snoozed": "snoozed",
    "resolved": "resolved",
    "false_alarm": "false alarm",
}


def run_show(args: argparse.Namespace) -> int:
    from warner.commands.loading import load_for_command
    from warner.incidents.lifecycle import split_id

    config = load_for_command(args)
    try:
        brand, number = split_id(args.id)
    except ValueError:
        print(f"error: ID is BRAND:NUMBER, e.g. kesselberg:3, got {args.id!r}", file=sys.stderr)
        return 2
    found = asyncio.run(_one(config, brand, number))
    if found is None:
        print(f"error: no incident {args.id}", file=sys.stderr)
        return 1
    incident, timeline, response = found
    if args.json:
        body = {**incident.to_json(), "id": incident.id, "timeline": timeline, "response": _response_json(response)}
        print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return 0
    _print_incident(config, incident, timeline, response)
    return 0


Found = tuple["Incident", list[dict[str, Any]], "Response | None"]


async def _one(config: Config, brand: str, number: int) -> Found | None:
    from warner.core import SystemClock
    from warner.incidents.lifecycle import IncidentLifecycle
    from warner.incidents.store import IncidentStore
    from warner.store.connection import open_redis

    async with open_redis(config.redis, owner=False) as redis:
        store = IncidentStore(redis)
        incident = await store.get(brand, number)
        if incident is None:
            return None
        return incident, await store.timeline(brand, number), await IncidentLifecycle(redis, SystemClock()).get(
            incident.id
        )


def _response_json(response: Response | None) -> dict[str, Any] | None:
    if response is None:
        return None
    from dataclasses import asdict

    return asdict(response)


def _print_incident(
    config: Config, incident: Incident, timeline: list[dict[str, Any]], response: Response | None
) -> None:
    from rich.console import Console
    from rich.table import Table

    from warner.directory import ConfigDirectory
    from warner.incidents.lifecycle import state_line

    zone = ZoneInfo(config.escalation.time_zone)
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    brand = config.brand(incident.brand)
    i = incident
    print(f"{i.id} · {brand.label if brand else i.brand} · {i.status} · {i.severity}")
    print(
        f"started {_when(i.started_at, zone)}, ended {_when(i.ended_at, zone)} ({zone.key}); "
        f"{i.mentions} mentions against {i.expected:.0f} expected ({i.volume_ratio:.1f}x), "
        f"{i.negative_share:.0%} negative, reach {i.reach}, peak {i.peak_count} at {_when(i.peak_at, zone)}"
    )
    directory = ConfigDirectory(config.oncall)
    if response is None:
        print("response: nobody paged yet")
    else:
        print(f"response: {state_line(response, 'en', directory.recipient_or_none, zone)}")

    events = Table(title="Timeline")
    for column in ("at", "what", "details"):
        events.add_column(column, overflow="fold")
    for entry in timeline:
        details = {k: v for k, v in entry.items() if k not in ("kind", "at")}
        what = entry.get("kind", "?")
        if what == "response":
            what = f"response: {entry.get('state', '?')}"
        events.add_row(_when(entry.get("at"), zone), str(what), ", ".join(f"{k} {v}" for k, v in details.items()))
    console.print(events)

    top = Table(title="Top mentions")
    for column in ("reach", "author", "text"):
        top.add_column(column, overflow="fold")
    for m in i.top:
        top.add_row(str(m.reach), m.author or "–", m.text + (f"\n{m.url}" if m.url else ""))
    console.print(top if i.top else "top mentions: none kept")
