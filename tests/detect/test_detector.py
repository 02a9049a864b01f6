"""The detector on plain bucket streams: who is woken, and who is not.

Each stream is a week of ordinary buckets (5 minutes, Poisson counts, the scorer's view
of sentiment) and then one event. The event decides the verdict; the week gives every
brand a history of its own, as the service has.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from warner.detect.config import DetectConfig
from warner.detect.detector import Decision, Detector, Observation

BUCKET = timedelta(minutes=5)
START = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())  # a Monday
WEEK_BUCKETS = 7 * 288


def ordinary(
    rng: np.random.Generator, buckets: int, per_bucket: float, share: float, t0: int = START
) -> list[Observation]:
    out = []
    for i in range(buckets):
        n = int(rng.poisson(per_bucket))
        out.append(Observation(t0 + 300 * i, n, int(rng.binomial(n, share)), 0, 150 * n, int(rng.binomial(n, 0.85))))
    return out


def run(observations: list[Observation], per_day: float) -> list[Decision]:
    detector = Detector(DetectConfig(), BUCKET)
    state = detector.new_state(per_day)
    return [d for o in observations for d in detector.observe(state, o)]


def after(decisions: list[Decision], t0: int) -> list[Decision]:
    return [d for d in decisions if d.start >= t0]


def first(decisions: list[Decision], levels: set[str]) -> int | None:
    return next((d.start for d in decisions if d.episode is not None and d.episode.severity in levels), None)


def test_a_pure_turn_of_mood_on_a_busy_brand_pages_as_a_warning():
    """2,500 a day; volume only x1.3, but the negative share goes from 15 % to 45 % (the issue's goal)."""
    rng = np.random.default_rng(11)
    history = ordinary(rng, WEEK_BUCKETS, 8.7, 0.15)
    t0 = history[-1].start + 300
    shift = []
    for i in range(48):
        n = int(rng.poisson(8.7 * 1.3))
        shift.append(Observation(t0 + 300 * i, n, int(rng.binomial(n, 0.45)), 0, 150 * n, int(rng.binomial(n, 0.85))))
    decisions = after(run(history + shift, 2500), t0)
    paged = first(decisions, {"warning", "critical"})
    assert paged is not None and paged - t0 <= 45 * 60
    assert max(d.volume_score for d in decisions) < max(d.negativity_score for d in decisions)


def test_a_broad_fast_storm_becomes_critical_within_half_an_hour():
    """200 a day; within ten minutes thirty times the volume, 60 % negative, new people."""
    rng = np.random.default_rng(12)
    history = ordinary(rng, WEEK_BUCKETS, 0.7, 0.15)
    t0 = history[-1].start + 300
    storm = []
    for i in range(24):
        n = int(rng.poisson(0.7 + 20 * min(1.0, (i + 1) / 2)))
        storm.append(
            Observation(
                t0 + 300 * i,
                n,
                int(rng.binomial(n, 0.6)),
                int(rng.binomial(n, 0.1)),
                400 * n,
                int(rng.binomial(n, 0.9)),
            )
        )
    decisions = after(run(history + storm, 200), t0)
    critical = first(decisions, {"critical"})
    assert critical is not None and critical - t0 <= 30 * 60


def test_loud_praise_is_on_record_but_pages_nobody():
    """Thirty times the volume for two hours, and fewer negatives than usual."""
    rng = np.random.default_rng(13)
    history = ordinary(rng, WEEK_BUCKETS, 2.0, 0.15)
    t0 = history[-1].start + 300
    praise = ordinary(rng, 24, 60.0, 0.05, t0)
    decisions = after(run(history + praise, 576), t0)
    assert any(d.episode is not None for d in decisions), "thirtyfold volume is worth an entry"
    assert first(decisions, {"warning", "critical"}) is None


def test_a_flood_from_a_few_accounts_pages_nobody():
    """Fifteen accounts, three angry posts each per bucket, for two hours: fifteen voices once."""
    rng = np.random.default_rng(14)
    history = ordinary(rng, WEEK_BUCKETS, 1.0, 0.15)
    t0 = history[-1].start + 300
    flood = []
    for i, o in enumerate(ordinary(rng, 24, 1.0, 0.15, t0)):
        bots = int(rng.poisson(45))
        fresh = 15 if i == 0 else 0
        flood.append(
            Observation(
                o.start, o.mentions + bots, (o.negatives or 0) + bots, 0, 150 * o.mentions, (o.authors or 0) + fresh
            )
        )
    decisions = after(run(history + flood, 288), t0)
    assert any(d.episode is not None for d in decisions)
    assert first(decisions, {"warning", "critical"}) is None


def test_an_ordinary_fortnight_opens_nothing():
    rng = np.random.default_rng(15)
    decisions = run(ordinary(rng, 2 * WEEK_BUCKETS, 3.0, 0.15), 864)
    assert not [d for d in decisions[WEEK_BUCKETS:] if d.episode is not None and d.episode.severity != "info"]


def test_a_state_saved_by_an_earlier_version_loads_and_keeps_its_baseline():
    """An upgrade must not crash the worker on the states already in Redis."""
    from warner.detect.detector import BrandDetector

    rng = np.random.default_rng(16)
    detector = Detector(DetectConfig(), BUCKET)
    state = detector.new_state(864)
    for o in ordinary(rng, 288, 3.0, 0.15):
        detector.observe(state, o)
    saved = state.to_dict()
    saved.update(excursions=[[1, 6.0]], excursion_peak=0.0, share_dispersion=[0.0, 0.0])  # fields of old versions
    saved["recent"] = {**saved["recent"], "known_sq": 3.0}
    del saved["mood_log"], saved["mood_cusum"]  # fields an old version did not have
    loaded = BrandDetector.from_dict(saved)
    assert loaded.baseline == state.baseline
    assert loaded.mood_cusum == 0.0 and loaded.mood_log.peaks == []
