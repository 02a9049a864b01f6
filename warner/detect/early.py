"""Early judgment: raise an episode before its bucket closes, when the counts so far already suffice.

A bucket is judged once it is complete (its end plus ``lateness``, at the latest the next tick):
with one-minute buckets that is 30–90 s after a storm's first post, before ``confirm_mood_for``
even starts. A crowd turning on a brand is obvious much sooner — a dozen new people with an
angry post within seconds — so the detect stage looks at the buckets not yet judged, the open
one included, whenever mentions were counted (``EarlyChecks``: at most once a second per brand),
and ``judge_early`` raises the episode now if the detector's own rule for that
(``Detector._many_at_once``, ``page_at_once_from``) already holds.

Only raising, never lowering: the normal judgment at each bucket's close stays as it is, and
keeps what was announced early (``EarlyRaise`` in the state) without announcing it again.
What the early look finds, the close finds too — the rule counts fresh authors with a negative
post, which only grow as the bucket fills, against the brand's normal before the bucket — so
``warner detect`` on the same mentions, which judges only closed buckets, reaches the same
episodes with the same start and severity (``tests/detect/test_early_parity.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from warner.core import LEVELS, Severity
from warner.detect.detector import BrandDetector, Decision, Detector, EarlyRaise, Observation, vouched_negatives
from warner.detect.severity import raise_only

CHECK_INTERVAL_S = 1.0  # a brand's open bucket is looked at no more often than this (per worker)
PAGES: tuple[Severity, ...] = ("warning", "critical")


def could_be_at_once(detector: Detector, pending: Sequence[Observation]) -> bool:
    """Cheap test before any judging: does a bucket hold enough fresh authors with a negative post?"""
    least = detector.at_once_least
    return least is not None and any(vouched_negatives(o) >= least for o in pending)


def judge_early(detector: Detector, state: BrandDetector, pending: Sequence[Observation]) -> list[Decision]:
    """Judge the buckets not yet judged (in order, the last one still filling) on a copy of ``state``.

    When one of them raises an episode to a page and the bucket alone justifies it
    (``Decision.at_once``), returns the decisions that announce it — its opening, if that was in
    these buckets, and the raise — and records the raise in ``state`` (``EarlyRaise``) for the
    buckets' close. Otherwise nothing, and ``state`` is as it was.
    """
    if not could_be_at_once(detector, pending) or _announced(state) == "critical":
        return []
    trial = BrandDetector.from_dict(state.to_dict())
    decisions = [d for o in pending for d in detector.observe(trial, o)]
    for i, d in enumerate(decisions):
        ep = d.episode
        if ep is None or not (d.at_once and d.event in ("start", "escalate") and ep.severity in PAGES):
            continue
        # A storm that began late in the bucket before has opened the episode there (info, in this trial).
        story = [x for x in decisions[: i + 1] if x.episode is not None and x.episode.number == ep.number]
        _record(state, story[0].start, ep.number, ep.severity)
        return [replace(x, episode=replace(x.episode)) for x in story if x.event in ("start", "escalate") and x.episode]
    return []


def _announced(state: BrandDetector) -> Severity | None:
    """The severity announced so far for the brand's open episode (or raised early)."""
    levels = [e.severity for e in (state.episode, state.early) if e is not None]
    return max(levels, key=LEVELS.index, default=None)


def _record(state: BrandDetector, start: int, number: int, severity: Severity) -> None:
    early = state.early
    if early is not None and early.number == number:
        start, severity = min(start, early.start), raise_only(early.severity, severity)
    state.early = EarlyRaise(start, number, severity)
    if state.episode is not None and state.episode.number == number:
        state.episode.severity = raise_only(state.episode.severity, severity)


class EarlyChecks:
    """Which brands to look at early now: those with a negative mention just counted, once a second each.

    Keeps the early look off the hot path: a Redis read per brand and second at most, never one
    per mention, however many mentions a second a brand gets.
    """

    def __init__(self, interval_s: float = CHECK_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self._last: dict[str, float] = {}

    def due(self, brand: str) -> bool:
        now = self.clock()
        last = self._last.get(brand)
        if last is not None and now - last < self.interval_s:
            return False
        if len(self._last) > 100_000:
            self._last.clear()
        self._last[brand] = now
        return True
