"""``warner digest``: the weekly digest of one ISO week, as Markdown, HTML or Telegram messages."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    digest = subparsers.add_parser(
        "digest",
        help="the weekly digest: incidents, MTTA/MTTR, false alarms, pages, mentions, a chart",
        description="Figures of one ISO week from Redis (attaches to a running `warner run`).",
    )
    digest.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete week)")
    digest.add_argument("--format", choices=("md", "html", "telegram"), default="md")
    digest.add_argument("--out", type=Path, help="write here instead of stdout (md) or the data dir (html)")
    digest.add_argument("--lang", choices=("de", "en"), default="de")
    digest.set_defaults(func=run_digest)


def run_digest(args: argparse.Namespace) -> int:
    from warner.cli import _load
    from warner.digest.schedule import due_week
    from warner.digest.week import parse_week

    config = _load(args)
    week = args.week or due_week(time.time(), config.digest)
    try:
        parse_week(week, config.digest.time_zone)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, config, week))


async def _run(args: argparse.Namespace, config, week: str) -> int:  # type: ignore[no-untyped-def]
    from warner.digest.report import render_html, render_markdown
    from warner.digest.weekly import build_digest, send_weekly_digest
    from warner.store import open_redis

    async with open_redis(config, owner=False) as redis:
        if args.format == "telegram":
            if config.notify.telegram is None or not config.digest.recipients:
                print("error: needs notify.telegram and digest.recipients in the config", file=sys.stderr)
                return 2
            saved = await send_weekly_digest(redis, config, week)
            print(f"sent the digest of {week}; saved {', '.join(str(p) for p in saved.values())}")
            return 0
        digest = await build_digest(redis, config, week, args.lang)
    if args.format == "md":
        text = render_markdown(digest.figures, args.lang)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
            print(f"wrote {args.out}")
        else:
            print(text)
        return 0
    out = args.out or config.digest.directory(config.redis.data_dir) / f"digest-{week}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(digest.figures, args.lang, chart_png=digest.chart_png), encoding="utf-8")
    out.with_suffix(".png").write_bytes(digest.chart_png)
    print(f"wrote {out} and {out.with_suffix('.png')}")
    return 0
