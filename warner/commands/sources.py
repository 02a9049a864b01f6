"""``warner sources status``: the health of every pulled source, read from Redis."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warner.config.root import Config
    from warner.store.connection import RedisClient


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sources = subparsers.add_parser("sources", help="pulled sources (RSS/Atom, Mastodon, Bluesky)")
    sub = sources.add_subparsers(dest="sources_command", required=True, metavar="SUBCOMMAND")
    status = sub.add_parser(
        "status",
        help="last success, last error, failures in a row, lag, mentions and polling worker of each source",
        description="Reads the sources' state from Redis (attaches to a running `warner run`).",
    )
    status.set_defaults(func=run_status)


def run_status(args: argparse.Namespace) -> int:
    from warner.commands.loading import load_for_command
    from warner.store.connection import open_redis

    config = load_for_command(args)

    async def main() -> list[str]:
        async with open_redis(config.redis, owner=False) as redis:
            return await status_lines(redis, config, time.time())

    for line in asyncio.run(main()):
        print(line)
    return 0


async def status_lines(redis: RedisClient, config: Config, now: float) -> list[str]:
    """A table, one row per configured pulled source."""
    from warner.ingest.sources.state import SourceState
    from warner.store import keys
    from warner.store.values import as_text

    kinds = {f.name: "rss" for f in config.sources.rss}
    kinds |= {c.name: "mastodon" for c in config.sources.mastodon}
    kinds |= {c.name: "bluesky" for c in config.sources.bluesky}
    if not kinds:
        return ["no pulled sources configured (sources: in the config)"]
    state = SourceState(redis)
    rows = [("SOURCE", "KIND", "LAST SUCCESS", "FAILURES", "LAG", "MENTIONS", "POLLED BY", "LAST ERROR")]
    for name, kind in kinds.items():
        h = await state.health(name)
        error = f"{_age(now, h.last_error_at)}: {h.last_error}" if h.last_error else "-"
        holder = await redis.get(keys.source_lease(name))  # the worker holding its lease (lease.py)
        rows.append(
            (
                name,
                h.kind or kind,
                _age(now, h.last_success) if h.last_success else "never",
                str(h.failures),
                _span(h.lag_s) if h.lag_s is not None else "-",
                str(h.mentions),
                as_text(holder) if holder else "nobody",
                error,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1] for r in rows]


def _age(now: float, then: float | None) -> str:
    return f"{_span(now - then)} ago" if then is not None else "-"


def _span(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"
