"""The storms the issue found paged late or never, with text of their own, through the real scorer.

Each scenario carries its deadline (``Scenario.deadline``). Where warner does not meet it
yet, the test says so (a strict xfail: it fails the day the deadline is met, so the
marker is removed) and pins what it does meet.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from warner.scenarios.judge import judge
from warner.scenarios.storms import mood_shift, pile_on, slow_saturday
from warner.scoring.models import default_scorer

BUCKETS = [timedelta(minutes=1), timedelta(minutes=5)]


@pytest.fixture(scope="module")
def scorer():
    return default_scorer()


@pytest.mark.parametrize("bucket", BUCKETS, ids=["1m", "5m"])
def test_a_turn_of_mood_on_a_busy_brand_pages_as_a_warning_within_the_hour(bucket, scorer):
    verdict = judge(mood_shift(), bucket, scorer=scorer)
    assert verdict.highest == "warning"  # volume hardly moved: a warning, not everyone woken
    assert verdict.time_to_page is not None and verdict.time_to_page <= timedelta(minutes=60)
    assert verdict.false_pages == 0


@pytest.mark.parametrize(
    "bucket",
    [
        pytest.param(BUCKETS[0], marks=pytest.mark.xfail(strict=True, reason="not yet: 47 min at 1-minute buckets")),
        BUCKETS[1],
    ],
    ids=["1m", "5m"],
)
def test_a_turn_of_mood_on_a_busy_brand_meets_its_45_minute_deadline(bucket, scorer):
    verdict = judge(mood_shift(), bucket, scorer=scorer)
    assert verdict.ok, verdict.problems


@pytest.mark.parametrize("bucket", BUCKETS, ids=["1m", "5m"])
def test_a_pile_on_after_an_influencers_post_pages_within_half_an_hour_and_becomes_critical(bucket, scorer):
    verdict = judge(pile_on(), bucket, scorer=scorer)
    assert verdict.time_to_page is not None and verdict.time_to_page <= timedelta(minutes=30)
    assert verdict.highest == "critical"
    assert verdict.false_pages == 0


@pytest.mark.parametrize("bucket", BUCKETS, ids=["1m", "5m"])
def test_a_slow_saturday_storm_on_a_small_brand_pages_within_the_hour_and_becomes_critical(bucket, scorer):
    verdict = judge(slow_saturday(), bucket, scorer=scorer)
    assert verdict.time_to_page is not None and verdict.time_to_page <= timedelta(minutes=60)
    assert verdict.highest == "critical"
    assert verdict.false_pages == 0


@pytest.mark.xfail(strict=True, reason="not yet: paged after 22-25 min (pile-on) and 51-55 min (slow Saturday)")
@pytest.mark.parametrize("make", [pile_on, slow_saturday], ids=["pile_on", "slow_saturday"])
def test_small_brand_storms_meet_their_deadline(make, scorer):
    verdict = judge(make(), timedelta(minutes=5), scorer=scorer)
    assert verdict.ok, verdict.problems
