"""Run the detector over randomised scenario families and summarise the outcome.

Each draw (``warner.scenarios.family``) is fed bucket by bucket to the service's
``Detector`` exactly as the counters would deliver it. A **page** is an episode at
``warning`` or ``critical``; the time to page is counted from the onset to the close of
the bucket whose decision first made it one — the earliest the service could have sent it.

As in the service, each bucket is also judged early (``warner.detect.early``), on its first
half — the posts of a bucket split at random — before its close; a page raised that way counts
from the middle of its bucket. With ``minutes`` the draws' five-minute buckets are split into
the service's default one-minute buckets first (posts at random within their five minutes,
an author's fresh first post before the rest), and the detector runs on those.

Used by ``bench/detect_eval.py``; draws run in a process pool (2 cores here).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from warner.detect.config import DetectConfig
from warner.detect.detector import BrandDetector, Decision, Detector, Observation, vouched_negatives
from warner.detect.early import judge_early
from warner.scenarios.family import BENIGN_FAMILIES, FAMILIES, STORM_FAMILIES, FamilyDraw, draw

PAGES = ("warning", "critical")


@dataclass(frozen=True, slots=True)
class DrawOutcome:
    family: str
    seed: int
    per_day: float
    params: dict[str, float]
    page_after_s: float | None  # onset → first page in the event (storms)
    critical_after_s: float | None
    alert_after_s: float | None  # onset → first episode of any severity in the event
    false_pages: int  # pages in the judged part outside the event (a benign event is outside)
    episodes: int  # every episode opened in the judged part (info included)
    ten_x_after_s: float | None  # onset → first bucket at ×10 normal (storms)


def observations(d: FamilyDraw) -> Iterable[Observation]:
    for i in range(len(d.mentions)):
        yield Observation(
            d.start + i * d.bucket_s,
            int(d.mentions[i]),
            int(d.negatives[i]),
            int(d.toxic[i]),
            int(d.reach[i]),
            int(d.authors[i]),
        )


def split(o: Observation, parts: int, width: int, rng: np.random.Generator) -> list[Observation]:
    """One bucket as ``parts`` shorter ones: its posts at random times within it, negatives and
    toxic posts at random among them, reach in proportion, fresh authors first (an author's
    first post in the bucket is the fresh one: a flood's new accounts all show at its start)."""
    step = width // parts
    if o.mentions == 0:
        return [Observation(o.start + j * step, 0, 0, 0, 0, 0) for j in range(parts)]
    counts = rng.multinomial(o.mentions, [1 / parts] * parts)
    negatives = rng.multivariate_hypergeometric(counts, o.negatives or 0)
    toxic = rng.multivariate_hypergeometric(counts, o.toxic or 0)
    reach = rng.multinomial(o.reach or 0, counts / o.mentions)
    out, fresh = [], o.authors or 0
    for j in range(parts):
        authors = min(int(counts[j]), fresh)
        fresh -= authors
        out.append(Observation(o.start + j * step, int(counts[j]), int(negatives[j]), int(toxic[j]),
                               int(reach[j]), authors))
    return out


def first_half(o: Observation, rng: np.random.Generator) -> Observation:
    """What an early look half way through a bucket sees (fresh authors first, as in ``split``)."""
    m = int(rng.binomial(o.mentions, 0.5))
    negatives = int(rng.hypergeometric(o.negatives or 0, o.mentions - (o.negatives or 0), m)) if m else 0
    toxic = int(rng.hypergeometric(o.toxic or 0, o.mentions - (o.toxic or 0), m)) if m else 0
    reach = int(round((o.reach or 0) * m / o.mentions)) if o.mentions else 0
    return Observation(o.start, m, negatives, toxic, reach, min(m, o.authors or 0))


def buckets(d: FamilyDraw, minutes: bool) -> tuple[int, Iterable[Observation]]:
    """The draw's bucket width and its buckets, split into minutes when asked."""
    if not minutes:
        return d.bucket_s, observations(d)
    rng = np.random.default_rng([d.seed, 60])
    parts = d.bucket_s // 60
    return 60, (m for o in observations(d) for m in split(o, parts, d.bucket_s, rng))


def judged(detector: Detector, state: BrandDetector, o: Observation, width: int, rng: np.random.Generator
           ) -> list[tuple[Decision, int]]:
    """Each decision about bucket ``o`` with the moment the service could send it: early ones
    (half way through, ``judge_early``) first, then the close's."""
    early: list[tuple[Decision, int]] = []
    least = detector.at_once_least
    if least is not None and vouched_negatives(o) >= least:  # else no half of it can be
        early = [(d, o.start + width // 2) for d in judge_early(detector, state, [first_half(o, rng)])]
    return early + [(d, d.start + width) for d in detector.observe(state, o)]


def run_draw(d: FamilyDraw, settings: DetectConfig, minutes: bool = False) -> DrawOutcome:
    width, series = buckets(d, minutes)
    detector = Detector(settings, timedelta(seconds=width))
    # A brand is configured with its expected volume (the set-up guide asks for it).
    state = detector.new_state(d.per_day)
    rng = np.random.default_rng([d.seed, 2])
    onset = d.onset
    event_to = (d.event_end or d.end) + 3600 if onset is not None else None
    page_at = critical_at = alert_at = None
    false_pages: set[int] = set()
    episodes: set[int] = set()
    for o in series:
        for dec, sent in judged(detector, state, o, width, rng):
            ep = dec.episode
            if ep is None or dec.start < d.judged_from:
                continue
            episodes.add(ep.number)
            # A storm may turn an episode that was already open (info) into a page: the
            # page is the decision that made it one, whenever the episode began.
            in_event = onset is not None and d.kind == "storm" and onset - width <= dec.start <= (event_to or 0)
            if in_event:
                alert_at = alert_at if alert_at is not None else sent
                if ep.severity in PAGES and page_at is None:
                    page_at = sent
                if ep.severity == "critical" and critical_at is None:
                    critical_at = sent
            elif ep.severity in PAGES and (onset is None or dec.start < onset or d.kind == "benign"):
                false_pages.add(ep.number)

    def after(t: int | None) -> float | None:
        return None if t is None or onset is None else float(t - onset)

    return DrawOutcome(
        d.family,
        d.seed,
        d.per_day,
        {**d.params, "per_hour_at_onset": d.normal_per_hour_at_onset},
        after(page_at),
        after(critical_at),
        after(alert_at),
        len(false_pages),
        len(episodes),
        d.time_to_multiple(10) if d.kind == "storm" else None,
    )


def _one(job: tuple[str, int, DetectConfig, bool]) -> DrawOutcome:
    family, seed, settings, minutes = job
    return run_draw(draw(family, seed), settings, minutes)


def run_families(
    seed: int,
    per_family: int,
    settings: DetectConfig,
    families: Iterable[str] = FAMILIES,
    processes: int = 2,
    minutes: bool = False,
) -> list[DrawOutcome]:
    """``per_family`` draws of every family, seeds ``seed``, ``seed+1``, … (``minutes``: one-minute buckets)"""
    jobs = [(f, seed + i, settings, minutes) for f in families for i in range(per_family)]
    if processes <= 1:
        return [_one(j) for j in jobs]
    with ProcessPoolExecutor(processes) as pool:
        return list(pool.map(_one, jobs, chunksize=4))


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _minutes(x: float | None) -> str:
    return "-" if x is None or math.isnan(x) else f"{x / 60:.0f}"


SHIFT_MIN_PER_HOUR = 100  # the shift goal counts brands with at least this many mentions an hour at onset


def fast_and_angry(ten_x_after_s: float | None, params: dict[str, float]) -> bool:
    """The fast-storm goal's storms: x10 normal within 30 minutes, at least half of the posts angry."""
    return ten_x_after_s is not None and ten_x_after_s <= 1800 and params.get("angry", 0) >= 0.5


def goals(outcomes: list[DrawOutcome]) -> dict[str, tuple[str, bool]]:
    """The issue's goals, each as (figure, met)."""
    by = defaultdict(list)
    for o in outcomes:
        by[o.family].append(o)
    out: dict[str, tuple[str, bool]] = {}

    def within(rows: list[DrawOutcome], attr: str, limit_min: float, q: float) -> tuple[str, bool]:
        times = [getattr(o, attr) if getattr(o, attr) is not None else float("inf") for o in rows]
        if not times:
            return "no draws", False
        p = float(np.percentile(times, q))
        share = sum(t <= limit_min * 60 for t in times) / len(times)
        return (
            f"p{q:.0f} {_minutes(p) if p != float('inf') else 'never'} min, {share:.0%} within {limit_min:.0f}",
            p <= limit_min * 60,
        )

    fast = [o for o in by["fast_storm"] + by["any_storm"] if fast_and_angry(o.ten_x_after_s, o.params)]
    out["fast storms (×10 in 30 min, angry) paged ≤ 15 min (p90)"] = within(fast, "page_after_s", 15, 90)
    out["slow storms (small brand, ×20–60 over 1.5–3 h) paged ≤ 30 min (p90)"] = within(
        by["slow_storm"], "page_after_s", 30, 90
    )
    shifts = [o for o in by["shift"] if o.params["per_hour_at_onset"] >= SHIFT_MIN_PER_HOUR]
    out["negativity shifts at ≥ 100 mentions/h paged ≤ 45 min (p90)"] = within(shifts, "page_after_s", 45, 90)
    out["pile-ons paged ≤ 30 min (p90)"] = within(by["pile_on"], "page_after_s", 30, 90)
    storms = fast + by["slow_storm"] + by["pile_on"]
    crit = sum(o.critical_after_s is not None and o.critical_after_s <= 3600 for o in storms)
    out["storms critical within their first hour ≥ 95 %"] = (
        f"{crit}/{len(storms)} = {crit / max(1, len(storms)):.0%}",
        crit >= 0.95 * len(storms),
    )
    benign = [o for f in BENIGN_FAMILIES for o in by[f]]
    clean = sum(o.false_pages == 0 for o in benign)
    out["benign brand-weeks with no page ≥ 99 %"] = (
        f"{clean}/{len(benign)} = {clean / max(1, len(benign)):.1%}",
        clean >= 0.99 * len(benign),
    )
    return out


def print_families(outcomes: list[DrawOutcome]) -> None:
    by = defaultdict(list)
    for o in outcomes:
        by[o.family].append(o)
    print(
        f"{'family':12} {'draws':>5} {'paged':>6} {'page p50':>8} {'p90':>5} {'critical≤1h':>11} "
        f"{'any alert p50':>13} {'false pages/brand-week':>22} {'episodes/draw':>13}"
    )
    for family in list(STORM_FAMILIES) + list(BENIGN_FAMILIES):
        rows = by.get(family, [])
        if not rows:
            continue
        paged = [o.page_after_s for o in rows if o.page_after_s is not None]
        alerts = [o.alert_after_s for o in rows if o.alert_after_s is not None]
        crit = sum(o.critical_after_s is not None and o.critical_after_s <= 3600 for o in rows)
        weeks = len(rows) * (1.0 if FAMILIES[family].kind == "benign" else 2 / 7)
        storm = FAMILIES[family].kind == "storm"
        print(
            f"{family:12} {len(rows):>5} {(f'{len(paged) / len(rows):.0%}' if storm else '-'):>6} "
            f"{(_minutes(statistics.median(paged)) if paged else '-'):>8} "
            f"{(_minutes(_pct(paged, 90)) if paged else '-'):>5} "
            f"{(f'{crit / len(rows):.0%}' if storm else '-'):>11} "
            f"{(_minutes(statistics.median(alerts)) if alerts else '-'):>13} "
            f"{sum(o.false_pages for o in rows) / weeks:>22.3f} {statistics.mean(o.episodes for o in rows):>13.2f}"
        )
    print("\ngoals:")
    for name, (figure, met) in goals(outcomes).items():
        print(f"  {'met ' if met else 'MISS'} {name}: {figure}")


def misses(outcomes: list[DrawOutcome], limit: int = 8) -> None:
    """The worst cases, to look at: storms never paged, benign weeks that paged."""
    bad = [o for o in outcomes if (FAMILIES[o.family].kind == "storm" and o.page_after_s is None) or o.false_pages]
    for o in bad[:limit]:
        p = ", ".join(f"{k} {v:.2f}" for k, v in o.params.items())
        print(
            f"  {o.family} seed {o.seed}: {o.per_day:.0f}/day, {p};"
            f" paged {_minutes(o.page_after_s)}, false {o.false_pages}"
        )
