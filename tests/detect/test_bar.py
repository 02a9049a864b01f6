"""The bar a brand's own history sets: crossed about ``budget`` times a week, whatever the brand."""

from __future__ import annotations

import math
import random

from warner.detect.bar import PRIOR_EXCURSIONS, ExcursionLog, tail_level

WEEK = 7 * 86400
FLOOR = 2.0


def history(rate_per_week: float, sigma: float, weeks: int = 4, seed: int = 1) -> ExcursionLog:
    """Excursions at ``rate_per_week`` whose peaks exceed the floor by Exp(``sigma``)."""
    rng = random.Random(seed)
    log = ExcursionLog()
    t = 0.0
    while True:
        t += rng.expovariate(rate_per_week / WEEK)
        if t >= weeks * WEEK:
            return log
        log.track(int(t), FLOOR + rng.expovariate(1 / sigma), FLOOR)
        log.track(int(t) + 300, 0.0, FLOOR)  # the excursion ends


def test_the_bar_is_where_the_fitted_tail_says_budget_a_week_cross():
    log = history(rate_per_week=50, sigma=1.0, weeks=4)
    bar = log.bar(4 * WEEK, seen_weeks=4, floor=FLOOR, budget=0.5, prior=5.0)
    exact = FLOOR + 1.0 * math.log(50 / 0.5)  # 6.6 for this tail
    assert abs(bar - exact) < 0.8
    crossings = sum(p >= bar for _, p in log.peaks) / 4
    assert crossings <= 1.5  # about half a crossing a week, measured on the history itself


def test_a_bursty_brand_gets_a_higher_bar_than_a_calm_one():
    bursty = history(rate_per_week=80, sigma=2.0).bar(4 * WEEK, 4, FLOOR, 0.5, 5.0)
    calm = history(rate_per_week=10, sigma=0.5).bar(4 * WEEK, 4, FLOOR, 0.5, 5.0)
    assert calm < 5.0 < bursty


def test_a_brand_without_excursions_keeps_the_prior():
    assert ExcursionLog().bar(WEEK, 1, FLOOR, 0.5, prior=5.0) == 5.0


def test_a_few_excursions_only_move_the_bar_part_of_the_way():
    log = ExcursionLog()
    log.track(0, 2.5, FLOOR)
    log.track(300, 0.0, FLOOR)
    bar = log.bar(WEEK, 1, FLOOR, 0.5, prior=5.0)
    fitted = tail_level(log.peaks, 1, FLOOR, 0.5, cap=100)
    assert bar == (fitted + PRIOR_EXCURSIONS * 5.0) / (1 + PRIOR_EXCURSIONS)


def test_the_excursion_in_progress_does_not_raise_its_own_bar():
    log = history(rate_per_week=50, sigma=1.0)
    before = log.bar(4 * WEEK, 4, FLOOR, 0.5, 5.0)
    for i, score in enumerate((4.0, 9.0, 20.0, 30.0)):  # a storm, bucket by bucket
        log.track(4 * WEEK + 300 * i, score, FLOOR)
        assert log.bar(4 * WEEK + 300 * i, 4, FLOOR, 0.5, 5.0) == before


def test_old_excursions_are_forgotten_after_four_weeks():
    log = history(rate_per_week=80, sigma=2.0, weeks=4)
    assert log.bar(10 * WEEK, 4, FLOOR, 0.5, prior=5.0) == 5.0
    assert log.peaks == []


def test_with_a_gap_an_event_that_flickers_stays_one_excursion_in_progress():
    """A storm's first posts cross the floor, drop below for a minute, and cross again."""
    log = ExcursionLog()
    before = log.bar(WEEK, 1, 1.0, 0.01, prior=4.0)
    for i, score in enumerate((5.8, 0.0, 6.1, 0.0, 7.3)):
        log.track(WEEK + 60 * i, score, 1.0, gap_s=3600)
        assert log.bar(WEEK + 60 * i, 1, 1.0, 0.01, prior=4.0) == before
    assert len(log.peaks) == 1 and log.peaks[0][1] == 7.3
    log.track(WEEK + 2 * 3600, 0.0, 1.0, gap_s=3600)  # an hour and more below: over
    assert log.open_peak == 0.0
