"""Where a brand's own history puts the bar: a level its evidence crosses ``budget`` times a week.

A fixed threshold means different things on different brands — a bursty brand crosses
it daily, a calm one never — which is why constants tuned on a few series did not carry
over to unseen ones. Instead each brand keeps the peak of every **excursion** of its
evidence above a low ``floor`` (a run of buckets above it) over the last four weeks, and
the bar is set by peaks over threshold (as in SPOT, Siffer et al., KDD 2017): the
excesses of the peaks above the floor are taken as exponential with mean ``sigma``, so a
level ``x`` is crossed ``rate * exp(-(x - floor) / sigma)`` times a week, and the bar is
the level crossed ``budget`` times a week.

Extrapolating the tail is what lets a budget of one page a year be met from four weeks
of history. A tail is only known from excursions, so until a brand has had a few, the bar
leans on a ``prior`` (the configured sensitivity, worth ``PRIOR_EXCURSIONS``): a new or
near-silent brand is neither deaf nor jumpy. The state is plain data, kept in Redis with
the detector's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

HISTORY = timedelta(weeks=4)
PRIOR_EXCURSIONS = 5.0
PEAK_CAP = 1.5  # x the prior bar: what one excursion can say about the tail
MIN_WEEKS = 1.0 / 7  # a rate is not judged on less than a day
WEEK_S = 7 * 86400


@dataclass(slots=True)
class ExcursionLog:
    """The peaks of recent excursions of one evidence score above its floor."""

    peaks: list[tuple[int, float]] = field(default_factory=list)  # (start, peak), oldest first
    open_peak: float = 0.0  # peak of the excursion in progress (0 = none)
    last_above: int = 0  # start of the last bucket at or above the floor

    def track(self, start: int, score: float, floor: float, gap_s: int = 0) -> bool:
        """Add one bucket's score; True when it begins a new excursion.

        An excursion lasts until the score has stayed below the floor for more than
        ``gap_s``: with a gap, one event that flickers (a storm's first posts) is one
        excursion, and stays "in progress" — out of the history its bar is fitted on —
        until it is really over.
        """
        if score < floor:
            if self.open_peak > 0.0 and start - self.last_above > gap_s:
                self.open_peak = 0.0
            return False
        began = self.open_peak == 0.0
        if began:
            self.peaks.append((start, score))
        self.open_peak = max(self.open_peak, score)
        self.peaks[-1] = (self.peaks[-1][0], self.open_peak)
        self.last_above = start
        return began

    def bar(self, now: int, seen_weeks: float, floor: float, budget: float, prior: float) -> float:
        """The level crossed ``budget`` times a week, blended with ``prior`` while history is short."""
        horizon = now - int(HISTORY.total_seconds())
        if self.peaks and self.peaks[0][0] < horizon:
            self.peaks = [(t, p) for t, p in self.peaks if t >= horizon]
        # The excursion in progress is not history yet: a storm must not raise its own bar.
        done = self.peaks[:-1] if self.open_peak > 0.0 else self.peaks
        n = len(done)
        if not n:
            return prior
        weeks = max(MIN_WEEKS, min(seen_weeks, HISTORY / timedelta(weeks=1)))
        fitted = tail_level(done, weeks, floor, budget, PEAK_CAP * prior)
        return (n * fitted + PRIOR_EXCURSIONS * prior) / (n + PRIOR_EXCURSIONS)


def tail_level(peaks: list[tuple[int, float]], weeks: float, floor: float, budget: float, cap: float) -> float:
    """The level an exponential tail fitted to ``peaks`` says is crossed ``budget`` times a week.

    Peaks count at most ``cap``: a brand's own storms are in its history too, and a few
    of them must not stretch the tail until the next storm no longer crosses it.
    """
    rate = len(peaks) / weeks
    if not peaks or rate <= budget:
        return floor
    sigma = sum(min(p, cap) - floor for _, p in peaks) / len(peaks)
    return floor + sigma * math.log(rate / budget)
