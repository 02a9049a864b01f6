"""The traffic around a scenario's brand: another configured brand and look-alike posts."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime

from warner.scenarios.records import RecordLog
from warner.scenarios.rhythm import BREWERY, Rhythm, expected_per_minute
from warner.scenarios.texts import Chatter

LOOKALIKES_PER_HOUR = 1.5


def surroundings(
    log: RecordLog,
    rng: random.Random,
    start: datetime,
    end: datetime,
    own: Chatter,
    neighbour: Chatter,
    neighbour_rhythm: Rhythm,
    neighbour_per_hour: float,
    holidays: Mapping[date, float] | None = None,
) -> None:
    """Everyday posts about ``neighbour`` and posts that only look like ``own``'s brand,
    both with their own daily rhythm (look-alikes follow everyday life, like the rest)."""
    curve = expected_per_minute(neighbour_rhythm, neighbour_per_hour, start, end, rng, holidays=holidays)
    log.emit(start, curve, neighbour.neighbour)
    curve = expected_per_minute(BREWERY, LOOKALIKES_PER_HOUR, start, end, rng, holidays=holidays)
    log.emit(start, curve, own.lookalike)
