"""Python's cyclic garbage collector, set for a process that allocates a lot and keeps a lot.

A worker's batch of a thousand mentions allocates hundreds of thousands of short-lived
objects (decoded mentions, envelopes, tokens, scores), and the scorer and the brand matcher
keep dicts of millions of long-lived ones. With CPython's default thresholds (700, 10, 10)
the collector ran thousands of times a second and, every hundred runs, walked everything
kept: about a fifth of a worker's CPU at 10,000 mentions/s (``bench/profile_worker.py``:
62 → 48 µs per mention with these settings; the same as switching the collector off).

The young generation is collected after 10,000 allocations instead of 700, the older ones
less often (50 and 100 young/middle collections). Reference cycles are still collected;
they wait a little longer. (``gc.freeze`` after start-up made no measurable difference.)
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 50, 100)


def tune() -> None:
    """Raise the collector's thresholds (see the module docstring); call once at start-up."""
    gc.set_threshold(*THRESHOLDS)

