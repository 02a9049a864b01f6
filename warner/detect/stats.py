"""Count-aware evidence: how surprising are k negatives where ``mean`` are normal?

The negative-binomial upper tail is computed with the regularised incomplete beta (or,
Poisson-like, gamma) function, which is fast (no scipy.stats overhead per bucket) and
accepts the real-valued, exponentially weighted counts the detector keeps.
"""

from __future__ import annotations

import math

from scipy.special import betainc, gammainc

#: Evidence is capped: beyond this -log10 p the number only says "certain".
MAX_SCORE = 30.0


def count_upper_tail_score(k: float, mean: float, alpha: float) -> float:
    """-log10 P(X >= k) for a count with this mean and negative-binomial dispersion ``alpha``.

    Variance ``mean + alpha * mean**2``; ``alpha`` near 0 is Poisson. Continuous in ``k``.
    Where counts are small this is exact where a log-ratio is not: 24 mentions in an hour
    that usually brings 4 is p ~ 1e-10 for a Poisson-like brand, and no smoothing constant
    can say that as well.
    """
    if mean <= 0 or k <= mean:
        return 0.0
    if alpha < 1e-6:
        q = float(gammainc(k, mean))  # P(Poisson(mean) >= k), regularised lower incomplete gamma
    else:
        r = 1.0 / alpha
        q = float(betainc(k, r, mean / (mean + r)))  # P(NB >= k)
    return MAX_SCORE if q <= 10.0**-MAX_SCORE else min(MAX_SCORE, -math.log10(q))
