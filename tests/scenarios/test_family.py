"""Randomised scenario families: each draw is what its family promises, and seeds differ."""

from __future__ import annotations

import numpy as np
import pytest

from warner.scenarios.family import BENIGN_FAMILIES, BUCKET_S, FAMILIES, STORM_FAMILIES, draw


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_draw_is_the_same_for_its_seed_and_another_for_another_seed(family):
    a, b, c = draw(family, 1), draw(family, 1), draw(family, 2)
    assert np.array_equal(a.mentions, b.mentions) and a.params == b.params
    assert not np.array_equal(a.mentions, c.mentions) or a.per_day != c.per_day


@pytest.mark.parametrize("family", list(FAMILIES))
def test_counts_are_consistent_as_the_service_counters_would_hold_them(family):
    d = draw(family, 3)
    assert len(d.mentions) == (d.end - d.start) // BUCKET_S
    for part in (d.negatives, d.toxic, d.authors, d.event_mentions):
        assert (part >= 0).all() and (part <= d.mentions).all()
    low, high = FAMILIES[family].per_day
    assert low <= d.per_day <= high


@pytest.mark.parametrize("family", STORM_FAMILIES)
def test_a_storm_begins_at_its_onset_after_two_weeks_of_history(family):
    d = draw(family, 4)
    assert d.onset is not None and d.onset >= d.judged_from == d.start + 14 * 86400
    before = d.index(d.onset)
    assert d.event_mentions[:before].sum() == 0
    assert d.event_mentions[before:].sum() > 0


def test_fast_storms_reach_ten_times_normal_within_half_an_hour():
    reached = [draw("fast_storm", seed).time_to_multiple(10) for seed in range(20)]
    assert all(t is not None and t <= 30 * 60 for t in reached)


def test_a_shift_turns_the_mood_with_little_more_volume():
    d = draw("shift", 5)
    i = d.index(d.onset)
    hours = 3 * 3600 // BUCKET_S
    before = slice(i - hours, i)
    after = slice(i + 12, i + 12 + hours)
    volume = d.mentions[after].sum() / d.mentions[before].sum()
    share_before = d.negatives[before].sum() / d.mentions[before].sum()
    share_after = d.negatives[after].sum() / d.mentions[after].sum()
    assert volume < 2.5  # the day's rhythm moves it more than the shift does
    assert share_after > 1.5 * share_before


@pytest.mark.parametrize("family", BENIGN_FAMILIES)
def test_a_benign_draw_is_one_judged_week_after_its_history(family):
    d = draw(family, 6)
    assert d.end - d.judged_from == 7 * 86400
    if d.onset is not None:
        assert d.judged_from <= d.onset < d.end


def test_a_flood_is_many_posts_from_few_fresh_accounts():
    d = draw("bot_flood", 7)
    i = d.index(d.onset)
    flood = slice(i, i + 12)
    extra_posts = d.event_mentions[flood].sum()
    assert extra_posts > 3 * d.params["accounts"]
    assert d.authors[flood].sum() <= d.params["accounts"] + 2 * d.normal_per_bucket[flood].sum() + 10
