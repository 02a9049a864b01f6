"""How bad is it? Who must be woken: ``info``, ``warning`` or ``critical``.

Detection answers "is something happening"; severity answers "who must be woken". Three
rules, each one sentence in the alert:

* **warning** — the mood turned: the negativity test (``detector.py``) is significant, and
  the negative posts come from many people, not a few accounts repeating themselves.
  A viral wave of praise or a TV spot is loud but stays ``info``, however loud; a shift of
  the negative share at normal volume is a warning, however quiet.
* **critical** — a warning that is also big and broad: the severity index (below) at
  ``critical_at`` and at least ``MIN_CRITICAL_AUTHORS`` fresh authors recently.
* without sentiment (a counts-only series) only the index decides, as volume alone.

The **severity index** is the number reported with every change: twice the log2 of how
many negative posts there are against how many are normal at this hour (``x8`` = 6,
critical by default), scaled up for reach and insults. Counts-only: log2 of the volume
against normal. Each factor is bounded so that no single one decides alone, and each is
explainable in the alert ("12x the usual negative posts, reach 8x, 20 % insulting").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from warner.core import LEVELS, Severity

MIN_AUTHOR_SHARE = 0.6  # fresh authors among the extra mentions below this: the same accounts again, a flood
MIN_CRITICAL_AUTHORS = 10


@dataclass(frozen=True, slots=True)
class SeverityInputs:
    """Recent (smoothed) state of a brand against its normal."""

    velocity: float  # observed / expected volume
    toxic_share: float | None  # None when sentiment is unknown (counts only)
    reach_ratio: float | None  # reach per mention now / normally
    author_share: float | None  # fresh authors / mentions; low = the same accounts again: a flood
    authors: float | None = None  # fresh authors recently (smoothed count)
    negative_velocity: float | None = None  # negative posts / the negative posts normal now
    mood_turned: bool = False  # the negativity test is significant


@dataclass(frozen=True, slots=True)
class SeverityThresholds:
    warning: float = 3.0
    critical: float = 6.0


def severity_index(i: SeverityInputs) -> float:
    """A number: < warning threshold is info, then warning, then critical."""
    reach = 1.0 if i.reach_ratio is None else min(2.0, 1.0 + 0.3 * math.log10(max(1.0, i.reach_ratio)))
    if i.negative_velocity is None:
        return math.log2(max(1.0, i.velocity)) * reach
    toxicity = 1.0 if i.toxic_share is None else min(2.0, 1.0 + 2.0 * i.toxic_share)
    return 2.0 * math.log2(max(1.0, i.negative_velocity)) * reach * toxicity


def classify(index: float, inputs: SeverityInputs, thresholds: SeverityThresholds) -> Severity:
    if inputs.negative_velocity is None:  # counts only: volume is all there is
        return "critical" if index >= thresholds.critical else "warning" if index >= thresholds.warning else "info"
    if not inputs.mood_turned or _flood(inputs):
        return "info"
    if index >= thresholds.critical and _broad(inputs):
        return "critical"
    return "warning"


def _flood(inputs: SeverityInputs) -> bool:
    """A few accounts posting again and again, not many different people."""
    return inputs.author_share is not None and inputs.author_share < MIN_AUTHOR_SHARE


def _broad(inputs: SeverityInputs) -> bool:
    """Waking everyone needs enough different people: a dozen bots look "fresh" at first."""
    return inputs.authors is None or inputs.authors >= MIN_CRITICAL_AUTHORS


def raise_only(current: Severity | None, new: Severity) -> Severity:
    """An episode's severity never drops while it lasts (no flapping pages)."""
    if current is None:
        return new
    return max(current, new, key=LEVELS.index)
