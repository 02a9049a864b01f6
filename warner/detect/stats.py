"""Count-aware evidence for the negative share: how surprising are k negatives among n?

The binomial upper tail is computed with the regularised incomplete beta function, which
is fast (no scipy.stats overhead per bucket) and accepts the real-valued, exponentially
weighted counts the detector keeps.
"""

from __future__ import annotations

import math

from scipy.special import betainc

#: Evidence is capped: beyond this -log10 p the number only says "certain".
MAX_SCORE = 30.0


def binomial_upper_tail_score(k: float, n: float, p: float) -> float:
    """-log10 P(K >= k) for K ~ Binomial(n, p), continuous in k and n; 0 when k <= n p."""
    if n <= 0 or k <= n * p or k <= 0:
        return 0.0
    if k >= n:
        return min(MAX_SCORE, -n * math.log10(p))
    q = float(betainc(k, n - k + 1.0, p))
    return MAX_SCORE if q <= 10.0**-MAX_SCORE else min(MAX_SCORE, -math.log10(q))
