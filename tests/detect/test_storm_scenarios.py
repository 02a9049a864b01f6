"""The detector on every synthetic scenario, through the same path as ``warner detect --mentions``.

Storms page within two 5-minute buckets of their onset (slow burns before half their
peak); praise stays ``info``; a bot flood is looked at but never wakes everyone; a quiet
week and a holiday lull stay silent. ``bench/detect_eval.py`` runs the same over many seeds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from warner.detect.config import DetectConfig
from warner.scenarios import SCENARIOS
from warner.scenarios.judge import judge
from warner.scoring.models import default_scorer

FIVE_MINUTES = timedelta(minutes=5)
ONE_MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def scorer():
    return default_scorer()


@pytest.mark.parametrize("bucket", [FIVE_MINUTES, ONE_MINUTE], ids=["5m", "1m"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_gets_the_verdict_it_asks_for(name, bucket, scorer):
    scenario = SCENARIOS[name]()
    verdict = judge(scenario, bucket, scorer=scorer)
    assert verdict.ok, (verdict.problems, verdict.episodes)


def test_saturday_storm_pages_within_two_five_minute_buckets_and_becomes_critical(scorer):
    scenario = SCENARIOS["saturday_storm"]()
    verdict = judge(scenario, FIVE_MINUTES, scorer=scorer)
    assert verdict.buckets_to_alert is not None and verdict.buckets_to_alert <= 2
    assert verdict.time_to_alert is not None and verdict.time_to_alert <= timedelta(minutes=15)
    assert verdict.highest == "critical"
    assert verdict.false_pages == 0


def test_praise_wave_is_seen_but_never_pages(scorer):
    verdict = judge(SCENARIOS["praise_wave"](), ONE_MINUTE, scorer=scorer)
    assert verdict.episodes, "a thirtyfold wave is worth an info entry"
    assert {e.severity for e in verdict.episodes} == {"info"}


def test_bot_flood_is_on_record_but_pages_nobody(scorer):
    verdict = judge(SCENARIOS["bot_flood"](), ONE_MINUTE, scorer=scorer)
    assert verdict.first_alert is not None
    assert verdict.time_to_alert is not None and verdict.time_to_alert <= timedelta(minutes=10)
    assert verdict.highest == "info"


def test_slow_burn_pages_on_the_second_day_before_its_peak(scorer):
    scenario = SCENARIOS["slow_burn"]()
    verdict = judge(scenario, FIVE_MINUTES, scorer=scorer)
    assert verdict.first_alert is not None
    assert timedelta(hours=6) <= verdict.time_to_alert <= timedelta(hours=36)
    assert verdict.highest in ("warning", "critical")


def test_the_judge_fails_a_detector_that_is_too_deaf_or_too_jumpy(scorer):
    storm, quiet = SCENARIOS["saturday_storm"](), SCENARIOS["quiet_week"]()
    deaf = judge(storm, FIVE_MINUTES, settings=DetectConfig(sensitivity=40, negativity_at=40), scorer=scorer)
    assert deaf.problems == ["no episode opened during the event"]
    late = judge(storm, FIVE_MINUTES, settings=DetectConfig(min_excess=60, min_negative_excess=40), scorer=scorer)
    assert late.first_alert is not None and any("after the deadline" in p for p in late.problems)
    jumpy = judge(
        quiet,
        FIVE_MINUTES,
        settings=DetectConfig(sensitivity=1, min_excess=1, alert_budget_per_week=None, novelty_rate=None),
        scorer=scorer,
    )
    assert not jumpy.ok and jumpy.episodes
