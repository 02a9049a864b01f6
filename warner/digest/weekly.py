"""One week's digest end to end: figures from Redis, the chart, the saved reports, the Telegram messages.

Used by the scheduler inside ``warner run`` and by ``warner digest``; the parts it combines
live in ``figures.py`` (numbers), ``chart.py`` (PNG), ``report.py`` (Markdown/HTML/Telegram
text) and ``telegram.py`` (sending).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis
import structlog

from warner.config import Config
from warner.digest.model import WeekFigures

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Digest:
    figures: WeekFigures
    chart_png: bytes


async def build_digest(redis: aioredis.Redis, config: Config, week: str, language: str = "de") -> Digest:
    from warner.digest.chart import render_chart
    from warner.digest.figures import week_figures

    figures = await week_figures(redis, config, week, time_zone=config.digest.time_zone)
    return Digest(figures, render_chart(figures, language=language))


def recipients(config: Config) -> list[tuple[int, str]]:
    """(Telegram chat id, language) of every digest recipient who can be reached there."""
    people = {p.id: p for p in config.oncall.people}
    return [
        (people[r].telegram_id, people[r].language)  # type: ignore[misc]
        for r in config.digest.recipients
        if r in people and people[r].telegram_id is not None
    ]


async def send_weekly_digest(redis: aioredis.Redis, config: Config, week: str) -> dict[str, Path]:
    """Build, save (Markdown, HTML, PNG) and send to the recipients on Telegram; returns the saved files."""
    from warner.digest.report import save_reports

    digest = await build_digest(redis, config, week)
    saved = save_reports(digest.figures, config.digest.directory(config.redis.data_dir), digest.chart_png)
    to = recipients(config)
    if to and config.notify.telegram is not None:
        from warner.digest.telegram import digest_bot, send_digest

        async with digest_bot(config.notify.telegram, config.notify.telegram.secrets()) as bot:
            results = await send_digest(bot, to, digest.figures, digest.chart_png)
        failed = [r for r in results if not r.ok]
        if failed:
            # The scheduler retries the whole week on an exception; a partial failure is logged loudly.
            log.error("digest_delivery_failed", week=week, failed=[str(r) for r in failed])
            if len(failed) == len(results):
                raise ConnectionError(f"the digest of {week} reached none of its {len(results)} recipients")
    log.info("digest_ready", week=week, files=sorted(str(p) for p in saved.values()), telegram=len(to))
    return saved
