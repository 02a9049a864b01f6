"""How bad is it? Severity from velocity x negativity x reach x toxicity.

Detection answers "is something happening"; severity answers "who must be woken". A
viral wave of praise is loud but harmless (``info``); a few dozen angry posts with an
influencer among them on a brand that usually hears three a day are ``critical``. Each
factor is bounded so that no single one decides alone, and each is explainable in the
alert ("12x the usual volume, 70 % negative, reach 8x, 20 % insulting").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Severity = Literal["info", "warning", "critical"]
LEVELS: tuple[Severity, ...] = ("info", "warning", "critical")
MIN_AUTHOR_SHARE = 0.3
MIN_CRITICAL_AUTHORS = 20


@dataclass(frozen=True, slots=True)
class SeverityInputs:
    """Recent (smoothed) state of an episode against the brand's normal."""

    velocity: float  # observed / expected volume
    negative_share: float | None  # None when sentiment is unknown (counts only)
    normal_negative_share: float
    toxic_share: float | None
    reach_ratio: float | None  # reach per mention now / normally
    author_share: float | None  # fresh authors / mentions; low = the same accounts again: a flood
    authors: float | None = None  # fresh authors recently (smoothed count)


@dataclass(frozen=True, slots=True)
class SeverityThresholds:
    warning: float = 3.0
    critical: float = 6.0


def severity_index(i: SeverityInputs) -> float:
    """A number: < warning threshold is info, then warning, then critical."""
    volume = math.log2(max(1.0, i.velocity))
    if i.negative_share is None:
        negativity, shift = 1.0, 0.0
    else:
        negativity = 0.3 + 1.4 * i.negative_share
        shift = 4.0 * max(0.0, i.negative_share - i.normal_negative_share)
    reach = 1.0 if i.reach_ratio is None else min(2.0, 1.0 + 0.3 * math.log10(max(1.0, i.reach_ratio)))
    toxicity = 1.0 if i.toxic_share is None else min(2.0, 1.0 + 2.0 * i.toxic_share)
    return (volume * negativity + shift) * reach * toxicity


def classify(index: float, inputs: SeverityInputs, thresholds: SeverityThresholds) -> Severity:
    level: Severity = (
        "critical" if index >= thresholds.critical else "warning" if index >= thresholds.warning else "info"
    )
    if level == "critical" and not _broad(inputs):
        level = "warning"  # a flood from a handful of accounts: look, but do not wake everyone
    return level


def _broad(inputs: SeverityInputs) -> bool:
    """Many different people, not a few accounts posting again and again.

    Waking everyone needs both: most mentions from fresh authors, and enough of them —
    a dozen bots look "fresh" for their first few posts.
    """
    if inputs.author_share is not None and inputs.author_share < MIN_AUTHOR_SHARE:
        return False
    return inputs.authors is None or inputs.authors >= MIN_CRITICAL_AUTHORS


def raise_only(current: Severity | None, new: Severity) -> Severity:
    """An episode's severity never drops while it lasts (no flapping pages)."""
    if current is None:
        return new
    return max(current, new, key=LEVELS.index)
