"""``warner playbooks``: check the playbook files; draft first answers for an incident or for texts."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from warner.core import Language

if TYPE_CHECKING:
    from warner.config.root import Config
    from warner.incidents.model import Incident
    from warner.respond.render import Draft


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    playbooks = subparsers.add_parser("playbooks", help="check crisis playbooks; draft first public answers")
    commands = playbooks.add_subparsers(dest="playbooks_command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate every playbook: schema, templates, lengths, both languages")
    check.add_argument("--dir", type=Path, help="playbooks directory (default: respond.playbooks_dir, else the repo's)")
    check.set_defaults(func=run_check)

    draft = commands.add_parser("draft", help="print ranked drafts with reasons and checklist")
    source = draft.add_mutually_exclusive_group(required=True)
    source.add_argument("--incident", metavar="BRAND:N", help="an incident in Redis, e.g. kesselberg:7")
    source.add_argument("--text", action="append", metavar="TEXT", help="a mention text (repeat for several)")
    draft.add_argument("--lang", choices=["de", "en"], help="draft language (default: the mentions' language)")
    draft.add_argument("--at", type=_instant, help="as if now were this ISO time (no offset = respond.time_zone)")
    draft.add_argument("--brand", help="brand for --text (default: the only configured brand)")
    draft.add_argument("--top", type=int, default=3, help="how many drafts (default 3)")
    draft.add_argument("--dir", type=Path, help="playbooks directory (default: respond.playbooks_dir, else the repo's)")
    draft.set_defaults(func=run_draft)


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-11-21T20:14)") from None


def _config(args: argparse.Namespace) -> Config:
    """``--config`` (or $WARNER_CONFIG, ./warner.yaml) when there is one, else the defaults."""
    from warner.commands.loading import load_for_command

    return load_for_command(args, optional=True)


def _directory(args: argparse.Namespace, config: Config) -> Path | None:
    from warner.respond.loader import playbooks_dir

    return args.dir or playbooks_dir(config.respond.playbooks_dir)


def run_check(args: argparse.Namespace) -> int:
    from warner.respond.check import check_playbooks

    config = _config(args)
    directory = _directory(args, config)
    if directory is None or not directory.is_dir():
        print(f"error: no playbooks directory ({directory or 'set respond.playbooks_dir or pass --dir'})")
        return 1
    report = check_playbooks(directory)
    for warning in report.warnings:
        print(f"warning: {warning}")
    for error in report.errors:
        print(f"error: {error}")
    if not report.ok:
        print(f"{len(report.errors)} error(s) in {directory}")
        return 1
    crisis = [p for p in report.playbooks if p != "generic"]
    print(f"OK: {len(crisis)} playbooks (+ generic) in {directory}")
    return 0


def run_draft(args: argparse.Namespace) -> int:
    from warner.respond.loader import load_playbooks
    from warner.respond.render import Responder
    from warner.respond.schema import PlaybookError

    config = _config(args)
    try:
        playbooks = load_playbooks(_directory(args, config))
    except PlaybookError as exc:
        for issue in exc.issues:
            print(f"error: {issue}", file=sys.stderr)
        print("run `warner playbooks check` for details", file=sys.stderr)
        return 1
    zone = ZoneInfo(config.respond.time_zone)
    now = args.at if args.at is not None else datetime.now(UTC)
    now = (now if now.tzinfo is not None else now.replace(tzinfo=zone)).astimezone(zone)

    incident = None
    if args.incident:
        incident = _read_incident(config, args.incident)
        if incident is None:
            return 1
        texts = [m.text for m in incident.top]
        brand = incident.brand
    else:
        texts = args.text
        brand = args.brand or (config.brands[0].name if len(config.brands) == 1 else "")
    brand_config = config.brand(brand)
    language = args.lang or _language(texts, brand_config.language if brand_config else "de")
    responder = Responder(playbooks, config.respond, config.brands)
    drafts = responder.rank_drafts(incident, texts, language, now, top=args.top, brand=brand)
    _print_drafts(drafts, language)
    return 0


def _read_incident(config: Config, wanted: str) -> Incident | None:
    from warner.incidents.store import IncidentStore
    from warner.store.connection import open_redis

    brand, _, number = wanted.rpartition(":")
    if not brand or not number.isdigit():
        print(f"error: --incident wants BRAND:NUMBER, e.g. kesselberg:7, got {wanted!r}", file=sys.stderr)
        return None

    async def read() -> Incident | None:
        async with open_redis(config.redis, owner=False) as redis:
            return await IncidentStore(redis).get(brand, int(number))

    incident = asyncio.run(read())
    if incident is None:
        print(f"error: no incident {wanted}", file=sys.stderr)
    return incident


def _language(texts: Sequence[str], fallback: Language) -> Language:
    """The mentions' majority language (de/en) by warner's scorer; ``fallback`` when unclear."""
    if not texts:
        return fallback
    from warner.scoring.models import default_scorer

    counts = Counter(s.lang for s in default_scorer().score(list(texts)) if s.lang in ("de", "en"))
    if not counts or counts["de"] == counts["en"]:
        return fallback
    return "de" if counts["de"] > counts["en"] else "en"


def _print_drafts(drafts: Sequence[Draft], language: Language) -> None:
    de = language == "de"
    shown_checklists: set[str] = set()
    for number, draft in enumerate(drafts, 1):
        print(f"{number}. {draft.title} · {draft.purpose} ({draft.language})")
        print(f"   {'Grund' if de else 'why'}: {draft.reason}")
        print()
        for line in draft.text.splitlines():
            print(f"   {line}")
        if draft.exceeds:
            limits = ", ".join(draft.exceeds)
            print()
            print(
                f"   {'zu lang für' if de else 'too long for'}: {limits}"
                f" ({len(draft.text)} {'Zeichen' if de else 'chars'})"
            )
            if draft.short_text:
                print(f"   {'Kurzfassung' if de else 'short'}: {draft.short_text}")
        if draft.playbook_id not in shown_checklists:
            shown_checklists.add(draft.playbook_id)
            print()
            print(f"   {'Checkliste' if de else 'checklist'}:")
            for step, item in enumerate(draft.checklist, 1):
                print(f"     {step}. {item}")
        print()
