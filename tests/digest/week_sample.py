"""Hand-made WeekFigures for the digest tests: a realistic week, a DST week, a week of many brands."""

from __future__ import annotations

import math
import random
from datetime import datetime
from zoneinfo import ZoneInfo

from warner.digest.model import BrandWeek, HourPoint, IncidentSummary, Percentiles, WeekFigures

BERLIN = ZoneInfo("Europe/Berlin")
W47_START = int(datetime(2026, 11, 16, tzinfo=BERLIN).timestamp())  # Monday 16 Nov 2026 00:00
W47_END = int(datetime(2026, 11, 23, tzinfo=BERLIN).timestamp())
W43_START = int(datetime(2026, 10, 19, tzinfo=BERLIN).timestamp())  # clocks go back on Sunday 25 Oct
W43_END = int(datetime(2026, 10, 26, tzinfo=BERLIN).timestamp())
SATURDAY_2040 = int(datetime(2026, 11, 21, 20, 40, tzinfo=BERLIN).timestamp())


def hourly(start: int, end: int, *, base: float, storm_at: int | None = None, seed: int = 1) -> tuple[HourPoint, ...]:
    """A day-and-night rhythm of mentions, ~10 % negative, with a storm of 400/h at ``storm_at``."""
    rng = random.Random(seed)
    points = []
    for t in range(start, end, 3600):
        hour = datetime.fromtimestamp(t, BERLIN).hour
        mentions = max(0, round(base * (0.15 + max(0.0, math.sin((hour - 6) / 16 * math.pi))) * rng.uniform(0.7, 1.3)))
        negatives = round(mentions * rng.uniform(0.05, 0.15))
        if storm_at is not None and 0 <= t - (storm_at - storm_at % 3600) < 5 * 3600:
            mentions = 420 - 70 * ((t - storm_at) // 3600)
            negatives = round(mentions * 0.62)
        points.append(HourPoint(t, mentions, negatives))
    return tuple(points)


def brand(name: str, label: str, points: tuple[HourPoint, ...], previous: tuple[int, int], terms=()) -> BrandWeek:
    return BrandWeek(
        brand=name,
        label=label,
        mentions=sum(p.mentions for p in points),
        negatives=sum(p.negatives for p in points),
        previous_mentions=previous[0],
        previous_negatives=previous[1],
        hourly=points,
        negative_terms=tuple(terms),
    )


def incident(id: str, severity: str, started_at: int, **changes) -> IncidentSummary:
    fields = {
        "id": id,
        "brand": id.split(":")[0],
        "severity": severity,
        "started_at": started_at,
        "off_hours": False,
        "state": "resolved",
        "mtta_s": 240.0,
        "mttr_s": 4800.0,
        "pages": 2,
    }
    fields.update(changes)
    return IncidentSummary(**fields)


def realistic_week() -> WeekFigures:
    """Kesselberg's Saturday-night storm and a quiet second brand."""
    kesselberg = brand(
        "kesselberg",
        "Brauerei Kesselberg",
        hourly(W47_START, W47_END, base=30, storm_at=SATURDAY_2040),
        previous=(3400, 310),
        terms=[("glas", 212), ("splitter", 180), ("rückruf", 95), ("<script>alert(1)</script>", 3)],
    )
    alpenblick = brand(
        "alpenblick",
        "Gasthof Alpenblick",
        hourly(W47_START, W47_END, base=6, seed=2),
        previous=(600, 40),
        terms=[("kalt", 9), ("wartezeit", 7)],
    )
    incidents = (
        incident(
            "kesselberg:3",
            "critical",
            SATURDAY_2040,
            off_hours=True,
            mtta_s=252.0,
            mttr_s=7380.0,
            pages=5,
            playbooks=("product_defect",),
        ),
        incident(
            "kesselberg:2",
            "warning",
            W47_START + 2 * 86400 + 10 * 3600,
            state="false_alarm",
            mtta_s=600.0,
            mttr_s=None,
            pages=1,
        ),
        incident(
            "alpenblick:1",
            "info",
            W47_START + 86400 + 15 * 3600,
            state="acknowledged",
            mtta_s=95.0,
            mttr_s=None,
            pages=1,
        ),
    )
    return WeekFigures(
        week="2026-W47",
        time_zone="Europe/Berlin",
        start=W47_START,
        end=W47_END,
        incidents=incidents,
        brands=(kesselberg, alpenblick),
        mtta=Percentiles(count=3, median_s=252.0, p90_s=530.4),
        mttr=Percentiles(count=1, median_s=7380.0, p90_s=7380.0),
        pages_by_channel={"telegram": 6, "sms": 1},
        failures_by_channel={"telegram": 1},
        undeliverable=0,
        playbooks_used={"product_defect": 1},
    )


def quiet_week(**changes) -> WeekFigures:
    """Nothing happened: one brand with zero mentions, no incidents, nothing measured."""
    silent = brand("kesselberg", "Brauerei Kesselberg", hourly(W47_START, W47_END, base=0), previous=(0, 0))
    fields = {
        "week": "2026-W47",
        "time_zone": "Europe/Berlin",
        "start": W47_START,
        "end": W47_END,
        "incidents": (),
        "brands": (silent,),
        "mtta": Percentiles(0, None, None),
        "mttr": Percentiles(0, None, None),
    }
    fields.update(changes)
    return WeekFigures(**fields)


def dst_week() -> WeekFigures:
    """ISO week 43 of 2026: 169 hours, the clocks go back on Sunday."""
    points = hourly(W43_START, W43_END, base=20)
    assert len(points) == 169
    storm = int(datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN).timestamp())
    return WeekFigures(
        week="2026-W43",
        time_zone="Europe/Berlin",
        start=W43_START,
        end=W43_END,
        incidents=(incident("kesselberg:1", "warning", storm, off_hours=True),),
        brands=(brand("kesselberg", "Brauerei Kesselberg", points, previous=(2000, 150)),),
        mtta=Percentiles(1, 240.0, 240.0),
        mttr=Percentiles(1, 4800.0, 4800.0),
    )


def many_brands_week(count: int = 40) -> WeekFigures:
    """A stress case for the length limits: many brands with long labels and long terms."""
    brands = tuple(
        brand(
            f"brand{n}",
            f"Marke Nummer {n} mit einem recht langen Namen GmbH & Co. KG",
            hourly(W47_START, W47_END, base=10, seed=n),
            previous=(1000 + n, 50),
            terms=[(f"begriff-{n}-{k}-" + "x" * 30, 10 - k) for k in range(10)],
        )
        for n in range(count)
    )
    incidents = tuple(
        incident(
            f"brand{n % count}:{n}",
            ("critical", "warning", "info")[n % 3],
            W47_START + n * 3000,
            playbooks=(f"playbook_{n % 7}",),
        )
        for n in range(60)
    )
    return WeekFigures(
        week="2026-W47",
        time_zone="Europe/Berlin",
        start=W47_START,
        end=W47_END,
        incidents=incidents,
        brands=brands,
        mtta=Percentiles(60, 240.0, 600.0),
        mttr=Percentiles(60, 4800.0, 9000.0),
        pages_by_channel={"telegram": 120, "sms": 30, "console": 60},
        failures_by_channel={"sms": 4},
        undeliverable=2,
        playbooks_used={f"playbook_{k}": 9 for k in range(7)},
    )
