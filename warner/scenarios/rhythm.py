"""When people post: German daily life as expected mentions per minute, plus Poisson counts.

A ``Rhythm`` is an hour-of-day shape for each kind of day (Monday–Thursday, Friday,
Saturday, Sunday) and a weight per weekday, in Europe/Berlin local time, so a Sunday
evening stays a Sunday evening across the change to and from summer time. Public holidays
take Sunday's shape at a share of the weekday's volume. On top come two kinds of natural
noise: a factor per local day and a factor per hour (real streams are overdispersed,
not plain Poisson).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from warner.core import BERLIN

Shape = tuple[float, ...]  # 24 values, one per local hour


@dataclass(frozen=True, slots=True)
class Rhythm:
    """A brand audience's week: relative activity per local hour and weekday."""

    weekday: Shape  # Monday to Thursday
    friday: Shape
    saturday: Shape
    sunday: Shape  # also public holidays
    day_weights: tuple[float, float, float, float, float, float, float]  # Monday to Sunday

    def shape(self, weekday: int) -> Shape:
        return (self.weekday, self.weekday, self.weekday, self.weekday, self.friday, self.saturday, self.sunday)[
            weekday
        ]

    def day_total(self, weekday: int) -> float:
        """A normal day's activity, in the same units as ``level``'s numerator."""
        return self.day_weights[weekday] * sum(self.shape(weekday))

    def level(self, weekday: int, hour: int, holiday_share: float | None = None) -> float:
        """Activity in this local hour relative to the weekly mean hour (which is 1).

        On a public holiday (``holiday_share`` set) the day has Sunday's shape and
        ``holiday_share`` of what this weekday normally has.
        """
        weekly_mean = sum(self.day_total(d) for d in range(7)) / 168
        if holiday_share is not None:
            return holiday_share * self.day_total(weekday) * self.sunday[hour] / sum(self.sunday) / weekly_mean
        return self.day_weights[weekday] * self.shape(weekday)[hour] / weekly_mean


# Consumer brands: almost nothing between midnight and six, a lunch bump, the evening peak
# from 19 to 22 h; Friday and Saturday run late, Sunday peaks at the Tatort hour.
_WEEKDAY = (0.22, 0.10, 0.06, 0.05, 0.06, 0.12, 0.30, 0.55, 0.75, 0.85, 0.95, 1.05,
            1.40, 1.30, 1.00, 0.95, 1.05, 1.20, 1.40, 1.75, 1.95, 1.85, 1.30, 0.65)  # fmt: skip
_FRIDAY = _WEEKDAY[:18] + (1.55, 1.90, 2.10, 2.05, 1.65, 1.10)
_SATURDAY = (0.60, 0.38, 0.22, 0.12, 0.07, 0.06, 0.08, 0.18, 0.40, 0.75, 1.05, 1.25,
             1.35, 1.35, 1.30, 1.30, 1.40, 1.50, 1.70, 2.00, 2.20, 2.10, 1.65, 1.10)  # fmt: skip
_SUNDAY = (0.75, 0.45, 0.25, 0.12, 0.07, 0.05, 0.06, 0.12, 0.30, 0.65, 1.00, 1.20,
           1.30, 1.15, 1.10, 1.15, 1.20, 1.30, 1.50, 1.80, 2.10, 1.90, 1.20, 0.55)  # fmt: skip

BREWERY = Rhythm(_WEEKDAY, _FRIDAY, _SATURDAY, _SUNDAY, (0.90, 0.90, 0.95, 1.00, 1.05, 1.15, 0.95))
TRAVEL = Rhythm(_WEEKDAY, _FRIDAY, _SATURDAY, _SUNDAY, (1.05, 1.00, 1.00, 0.95, 0.85, 0.80, 1.20))
GROCERY = Rhythm(_WEEKDAY, _FRIDAY, _SATURDAY, _SUNDAY, (1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 0.80))

# A craftsman's brand (windows, doors): office hours on weekdays, homeowners in the evening,
# a quiet weekend.
_OFFICE = (0.10, 0.05, 0.03, 0.03, 0.05, 0.15, 0.55, 1.20, 1.80, 2.00, 2.00, 1.90,
           1.40, 1.60, 1.80, 1.70, 1.50, 1.20, 0.90, 0.95, 1.00, 0.85, 0.50, 0.25)  # fmt: skip
_OFFICE_FRIDAY = _OFFICE[:13] + (1.40, 1.20, 0.90, 0.70, 0.60, 0.55, 0.60, 0.60, 0.50, 0.35, 0.20)
_OFFICE_SATURDAY = (0.15, 0.08, 0.04, 0.03, 0.03, 0.05, 0.10, 0.25, 0.60, 0.95, 1.10, 1.10,
                    0.95, 0.80, 0.75, 0.70, 0.65, 0.60, 0.55, 0.55, 0.60, 0.50, 0.35, 0.20)  # fmt: skip
_OFFICE_SUNDAY = (0.12, 0.06, 0.03, 0.03, 0.03, 0.04, 0.06, 0.12, 0.30, 0.55, 0.75, 0.80,
                  0.70, 0.65, 0.70, 0.75, 0.80, 0.85, 0.85, 0.95, 1.00, 0.85, 0.50, 0.25)  # fmt: skip

CRAFT = Rhythm(_OFFICE, _OFFICE_FRIDAY, _OFFICE_SATURDAY, _OFFICE_SUNDAY, (1.00, 1.00, 1.00, 1.00, 1.00, 0.80, 0.75))


def minute_of(start: datetime, at: datetime) -> int:
    """Index of the minute containing ``at`` in a per-minute curve that begins at ``start``.

    Elapsed time, not wall-clock time: Python subtracts two datetimes of the same zone on
    the wall clock, which is an hour off across a change to or from summer time.
    """
    return int(at.timestamp() - start.timestamp()) // 60


def expected_per_minute(
    rhythm: Rhythm,
    per_hour: float,
    start: datetime,
    end: datetime,
    rng: random.Random,
    *,
    holidays: Mapping[date, float] | None = None,
    day_noise: float = 0.10,
    hour_noise: float = 0.15,
) -> list[float]:
    """Expected mentions in each minute from ``start`` (a full hour) to ``end``.

    ``per_hour`` is the weekly mean. Hourly levels (local time, with noise) are
    interpolated between hour centres so the rate has no steps. ``holidays`` maps a local
    date to the share of its weekday's normal volume it keeps.
    """
    t0 = int(start.timestamp())
    minutes = minute_of(start, end)
    day_factor: dict[date, float] = {}
    hourly: list[float] = []
    for k in range(-1, minutes // 60 + 2):
        local = datetime.fromtimestamp(t0 + k * 3600, BERLIN)
        day = local.date()
        if day not in day_factor:
            day_factor[day] = math.exp(rng.gauss(0, day_noise))
        share = holidays.get(day) if holidays else None
        level = rhythm.level(local.weekday(), local.hour, share)
        hourly.append(per_hour * level * day_factor[day] * math.exp(rng.gauss(0, hour_noise)))
    out = []
    for m in range(minutes):
        x = (m + 0.5) / 60 - 0.5  # hours since the centre of the first hour
        k = math.floor(x)
        frac = x - k
        out.append((hourly[k + 1] * (1 - frac) + hourly[k + 2] * frac) / 60)
    return out


def boost(curve: list[float], start: datetime, begin: datetime, end: datetime, factor: float, ramp: int = 20) -> None:
    """Multiply ``curve`` by ``factor`` from ``begin`` to ``end``, easing in and out over
    ``ramp`` minutes (a TV ad, a match: more people talk, gradually)."""
    first, last = minute_of(start, begin), minute_of(start, end)
    for m in range(max(0, first - ramp), min(len(curve), last + ramp)):
        if m < first:
            weight = (m - first + ramp) / ramp
        elif m >= last:
            weight = (last + ramp - m) / ramp
        else:
            weight = 1.0
        curve[m] *= 1 + (factor - 1) * weight


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson count (Knuth's method; a normal approximation above 30)."""
    if lam <= 0:
        return 0
    if lam > 30:  # normal approximation is plenty for a demo stream
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def followers(rng: random.Random) -> int:
    """Heavy-tailed: most accounts have a few hundred followers, some have tens of thousands."""
    return int(min(2_000_000, rng.paretovariate(1.2) * 80))
