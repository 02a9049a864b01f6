"""Volume evidence: how far above normal are the last hour and the last three hours?

For each window the detector compares the observed with the expected count on a log scale,
``log((observed + 2) / (expected + 2))``, and divides by that window's own typical
deviation — an exponentially weighted mean absolute residual learnt from the brand's quiet
times. The result is a z-like score that calibrates itself per brand and per window:
tweet volumes are far more heavy-tailed than any Poisson or negative-binomial model, and
measured on NAB realTweets (``bench/detect_eval.py``), a negative-binomial CUSUM on
single buckets paged ~4 times a brand-week at the recall where this pages well under once.

Windows of an hour and more ignore the one-bucket bursts (a bot, a retweet wave) that
dominate false alarms, yet still move within minutes when dozens of mentions arrive where
a handful were expected. ``+2`` keeps near-silent brands from scoring on single mentions;
the detector's ``min_excess`` gate does the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from warner.detect.stats import count_upper_tail_score

SMOOTHING = 2.0
SCALE_PRIOR = 0.5
SCALE_CLIP = 4.0
SCALE_PRIOR_WEIGHT = 288  # the prior scale counts as this many buckets
ALPHA_MIN = 0.15


def dispersion(scale: float, expected: float) -> float:
    """The negative-binomial ``alpha`` implied by a window's learnt log-scale.

    The variance of a log count is about ``1/mean + alpha``; the learnt scale is a mean
    absolute deviation (~0.8 standard deviations) of all of it, so what is left after the
    Poisson part is the brand's extra burstiness.
    """
    return max(ALPHA_MIN, (scale / 0.8) ** 2 - 1.0 / (expected + SMOOTHING))


@dataclass(frozen=True, slots=True)
class WindowScore:
    z: float
    observed: float
    expected: float
    alpha: float  # negative-binomial dispersion implied by the learnt scale
    people: float = 0.0  # -log10 tail of the fresh authors against expected mentions (0 = unknown)
    people_excess: float = 0.0

    @property
    def excess(self) -> float:
        return self.observed - self.expected


@dataclass(slots=True)
class WindowEvidence:
    """Recent (observed, expected) per bucket and each window's learnt residual scale."""

    observed: list[float] = field(default_factory=list)  # newest last
    expected: list[float] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)
    learnt: int = 0  # buckets learnt so far: a running mean at first, then exponential
    authors: list[float] = field(default_factory=list)  # fresh authors per bucket, -1 = unknown

    def push(self, x: float, mu: float, sizes: list[int], authors: int | None = None) -> list[WindowScore]:
        """Add one bucket; the score of every window (``sizes`` in buckets) ending with it."""
        self.observed.append(float(x))
        self.expected.append(float(mu))
        self.authors.append(-1.0 if authors is None else float(authors))
        longest = max(sizes)
        for recent in (self.observed, self.expected, self.authors):
            if len(recent) > longest:
                del recent[: len(recent) - longest]
        if len(self.scales) != len(sizes):
            self.scales = [SCALE_PRIOR] * len(sizes)
        out = []
        for size, scale in zip(sizes, self.scales, strict=True):
            obs = sum(self.observed[-size:])
            exp = sum(self.expected[-size:])
            z = math.log((obs + SMOOTHING) / (exp + SMOOTHING)) / scale
            alpha = dispersion(scale, exp)
            people = self.authors[-size:]
            count = 0.0 if min(people) < 0 else count_upper_tail_score(sum(people), exp, alpha)
            out.append(WindowScore(z, obs, exp, alpha, count, 0.0 if min(people) < 0 else sum(people) - exp))
        return out

    def learn(self, scores: list[WindowScore], rate: float) -> None:
        """Update each window's scale with its latest residual."""
        self.learnt += 1
        rate = max(rate, 1.0 / (self.learnt + SCALE_PRIOR_WEIGHT))
        for i, s in enumerate(scores):
            residual = abs(s.z * self.scales[i])
            self.scales[i] += rate * (min(residual, SCALE_CLIP * self.scales[i]) - self.scales[i])
            self.scales[i] = max(self.scales[i], 0.05)
