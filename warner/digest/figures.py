"""The figures of one week, read from what warner already keeps in Redis.

Which incidents: those whose ``started_at`` lies in the week (``INCIDENT_INDEX`` by score),
however long they lasted; everything about an incident (pages, drafts, its response) is
counted with it, even if it happened after the week ended. What each figure means:

- ``severity``: the highest the incident reached (the detector only raises it; the
  timeline's ``opened``/``escalated`` entries are taken into account too).
- ``off_hours``: its start was off-hours by the on-call config (``oncall.off_hours``:
  nights 20–08, weekends and German public holidays unless configured otherwise).
- ``state``, ``mtta_s``, ``mttr_s``: from the response (``incidents/lifecycle.py``); MTTA
  is opening to first acknowledgement, MTTR opening to resolution (``None`` for a false
  alarm, an open incident, or one resolved without anybody acknowledging it for MTTA).
- ``pages``: successful delivery attempts of new messages (the timeline's ``delivery``
  entries that are not edits of a message already sent); ``pages_by_channel`` and
  ``failures_by_channel`` count the same attempts by channel, ok and failed;
  ``undeliverable`` counts the escalation engine's ``undeliverable`` notes (a page that
  reached nobody on any channel).
- ``playbooks``: distinct playbooks whose drafts somebody chose for the incident;
  ``playbooks_used`` counts incidents per playbook.
- MTTA/MTTR ``Percentiles``: over incidents with a value; the median is the middle value
  (mean of the two middle ones for an even count), p90 is *nearest rank*: the value at
  rank ``ceil(0.9 * n)`` of the sorted values (n = 3 -> the largest; n = 10 -> the 9th).
- brand mentions/negatives: sums of the bucket counters whose bucket starts in the week
  (and in the week before), hour by hour for the chart; the top ten words of the week's
  negative mentions (``keys.negative_terms``, written by the count stage).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from warner.core import LEVELS, SystemClock
from warner.detect.counters import BucketCounter, BucketCounts
from warner.digest.config import DigestSettings
from warner.digest.model import (
    BrandWeek,
    HourPoint,
    IncidentSummary,
    Percentiles,
    WeekFigures,
)
from warner.incidents.lifecycle import IncidentLifecycle, Response
from warner.incidents.store import IncidentStore
from warner.oncall.schedule import Roster
from warner.store import keys
from warner.terms import brand_words
from warner.weeks import DEFAULT_TIME_ZONE, parse_week, previous_week

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

TOP_TERMS = 10
P90 = 0.9


async def week_figures(
    redis: RedisClient,
    config: DigestSettings,
    week: str,
    *,
    time_zone: str = DEFAULT_TIME_ZONE,
    brands: list[str] | None = None,
) -> WeekFigures:
    """Everything the digest says about ``week`` ("2026-W47", in ``time_zone``), optionally for some brands only.

    Raises ValueError for a malformed week.
    """
    start, end = parse_week(week, time_zone)
    zone = ZoneInfo(time_zone)
    wanted = set(brands) if brands is not None else None
    incidents, timelines = await _incidents(redis, config, start, end, zone, wanted)

    pages: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    undeliverable = 0
    playbooks: Counter[str] = Counter()
    for summary, timeline in zip(incidents, timelines, strict=True):
        for e in timeline:
            if _is_page_attempt(e):
                (pages if e.get("ok") else failures)[str(e.get("channel"))] += 1
            elif e.get("kind") == "escalation" and e.get("event") == "undeliverable":
                undeliverable += 1
        playbooks.update(summary.playbooks)

    counter = BucketCounter(redis, config.bucket, config.retention.buckets, terms_time_zone=time_zone)
    prev_start, prev_end = parse_week(previous_week(week), time_zone)
    brand_weeks = []
    for brand in config.brands:
        if wanted is not None and brand.name not in wanted:
            continue
        this = await counter.read(brand.name, start, end - 1)
        before = await counter.read(brand.name, prev_start, prev_end - 1)
        exclude = brand_words(brand.names)
        terms = await counter.negative_terms(brand.name, week, TOP_TERMS, exclude)
        brand_weeks.append(
            BrandWeek(
                brand=brand.name,
                label=brand.label,
                mentions=sum(b.mentions for b in this),
                negatives=sum(b.negatives for b in this),
                previous_mentions=sum(b.mentions for b in before),
                previous_negatives=sum(b.negatives for b in before),
                hourly=_hourly(this, start, end),
                negative_terms=tuple(terms),
            )
        )

    return WeekFigures(
        week=week,
        time_zone=time_zone,
        start=start,
        end=end,
        incidents=tuple(incidents),
        brands=tuple(brand_weeks),
        mtta=percentiles([i.mtta_s for i in incidents if i.mtta_s is not None]),
        mttr=percentiles([i.mttr_s for i in incidents if i.mttr_s is not None]),
        pages_by_channel=dict(sorted(pages.items())),
        failures_by_channel=dict(sorted(failures.items())),
        undeliverable=undeliverable,
        playbooks_used=dict(sorted(playbooks.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def percentiles(values: Sequence[float]) -> Percentiles:
    """Median and nearest-rank p90 of ``values`` (see the module docstring); ``None`` without values."""
    if not values:
        return Percentiles(0, None, None)
    ordered = sorted(values)
    rank = math.ceil(P90 * len(ordered))
    return Percentiles(len(ordered), float(statistics.median(ordered)), float(ordered[rank - 1]))


async def _incidents(
    redis: RedisClient, config: DigestSettings, start: int, end: int, zone: ZoneInfo, wanted: set[str] | None
) -> tuple[list[IncidentSummary], list[list[dict[str, Any]]]]:
    store = IncidentStore(redis)
    lifecycle = IncidentLifecycle(redis, SystemClock())  # only read here; the clock is never asked
    roster = Roster(config.oncall)
    summaries, timelines = [], []
    for raw_id in await redis.zrangebyscore(keys.INCIDENT_INDEX, start, f"({end}"):
        iid = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
        brand, _, number = iid.rpartition(":")
        if wanted is not None and brand not in wanted:
            continue
        incident = await store.get(brand, int(number))
        if incident is None:
            continue
        timeline = await store.timeline(brand, int(number))
        response = await lifecycle.get(iid)
        summaries.append(_summary(iid, incident.severity, incident.started_at, timeline, response, roster, zone))
        timelines.append(timeline)
    return summaries, timelines


def _summary(
    iid: str,
    severity: str,
    started_at: int,
    timeline: list[dict[str, Any]],
    response: Response | None,
    roster: Roster,
    zone: ZoneInfo,
) -> IncidentSummary:
    levels = [severity, *(e["severity"] for e in timeline if e.get("severity") in LEVELS)]
    chosen: dict[str, None] = {}
    for e in timeline:
        if e.get("kind") == "draft" and e.get("playbook"):
            chosen[str(e["playbook"])] = None
    return IncidentSummary(
        id=iid,
        brand=iid.rpartition(":")[0],
        severity=max(levels, key=lambda s: LEVELS.index(s) if s in LEVELS else -1),
        started_at=started_at,
        off_hours=roster.is_off_hours(datetime.fromtimestamp(started_at, zone)),
        state=response.state if response is not None else "open",
        mtta_s=response.mtta if response is not None else None,
        mttr_s=response.mttr if response is not None else None,
        pages=sum(1 for e in timeline if _is_page_attempt(e) and e.get("ok")),
        playbooks=tuple(chosen),
    )


def _is_page_attempt(entry: dict[str, Any]) -> bool:
    """A delivery attempt of a new message (edits of a sent message are not pages)."""
    return entry.get("kind") == "delivery" and not entry.get("edit", False)


def _hourly(buckets: list[BucketCounts], start: int, end: int) -> tuple[HourPoint, ...]:
    hours = (end - start) // 3600
    mentions, negatives = [0] * hours, [0] * hours
    for b in buckets:
        h = (b.start - start) // 3600
        if 0 <= h < hours:
            mentions[h] += b.mentions
            negatives[h] += b.negatives
    return tuple(HourPoint(start + h * 3600, mentions[h], negatives[h]) for h in range(hours))
