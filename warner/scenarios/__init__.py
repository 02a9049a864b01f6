"""Synthetic mention streams with realistic German text, for the demo, the tests and bench/.

Each scenario is a function ``name(seed) -> Scenario``, deterministic for its seed, and
says what a storm detector should make of it (``Scenario.expect_alert``,
``max_severity``, the judged part from ``judged_from``). ``SCENARIOS`` lists them in
the order of the issue that asked for them:

- ``saturday_storm``: a Saturday-evening storm on a small brewery (six hours, no history);
- ``slow_burn``: a dairy's hidden price increase, growing over two days;
- ``praise_wave``: a viral wave of praise for a travel company — at most ``info``;
- ``bot_flood``: near-duplicate accusations from fifteen fresh accounts — at most ``info``;
- ``quiet_week``: two ordinary weeks with a TV ad and a cup match — silence;
- ``holiday_lull``: a window maker's Whit Monday — silence.

Every scenario but ``saturday_storm`` starts at least a week before its judged part,
so a detector that learns a slot-of-week baseline has one.
"""

from collections.abc import Callable

from warner.scenarios.bots import bot_flood
from warner.scenarios.calm import holiday_lull, quiet_week
from warner.scenarios.complaint import slow_burn
from warner.scenarios.praise import praise_wave
from warner.scenarios.saturday import saturday_storm
from warner.scenarios.scenario import (
    BRAND,
    EVENT,
    KINDS,
    LOOKALIKE,
    NEIGHBOUR,
    Scenario,
    Severity,
)

SCENARIOS: dict[str, Callable[[int], Scenario]] = {
    "saturday_storm": saturday_storm,
    "slow_burn": slow_burn,
    "praise_wave": praise_wave,
    "bot_flood": bot_flood,
    "quiet_week": quiet_week,
    "holiday_lull": holiday_lull,
}

__all__ = [
    "BRAND",
    "EVENT",
    "KINDS",
    "LOOKALIKE",
    "NEIGHBOUR",
    "SCENARIOS",
    "Scenario",
    "Severity",
    "bot_flood",
    "holiday_lull",
    "praise_wave",
    "quiet_week",
    "saturday_storm",
    "slow_burn",
]
