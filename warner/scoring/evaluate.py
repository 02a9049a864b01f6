"""Classification metrics the shared tasks use, computed and printed one way everywhere.

- accuracy = micro-F1 for single-label tasks (GermEval 2017's official measure);
- macro-F1 as the mean of per-class F1 (scikit-learn's definition);
- GermEval 2018's "macro-F1": harmonic mean of macro-precision and macro-recall;
- SemEval 2017 4A's AvgRec: macro-averaged recall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


@dataclass(frozen=True, slots=True)
class Report:
    """Metrics of one labelled set; ``confusion[i][j]`` = true ``labels[i]`` predicted ``labels[j]``."""

    n: int
    labels: list[str]
    accuracy: float
    micro_f1: float
    macro_f1: float
    macro_recall: float
    germeval2018_f1: float
    per_class_f1: dict[str, float]
    confusion: list[list[int]]

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "micro_f1": round(self.micro_f1, 4),
            "macro_f1": round(self.macro_f1, 4),
            "macro_recall": round(self.macro_recall, 4),
            "germeval2018_f1": round(self.germeval2018_f1, 4),
            "per_class_f1": {k: round(v, 4) for k, v in self.per_class_f1.items()},
            "labels": self.labels,
            "confusion": self.confusion,
        }


def report(
    y_true: Sequence[str] | NDArray[np.str_], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> Report:
    """Compute every metric; ``labels`` fixes the class order (default: sorted union)."""
    labels = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    macro_p, macro_r = float(np.mean(p)), float(np.mean(r))
    accuracy = float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if len(y_true) else 0.0
    return Report(
        n=len(y_true),
        labels=labels,
        accuracy=accuracy,
        micro_f1=accuracy,
        macro_f1=float(np.mean(f)),
        macro_recall=macro_r,
        germeval2018_f1=2 * macro_p * macro_r / (macro_p + macro_r) if macro_p + macro_r else 0.0,
        per_class_f1={label: float(v) for label, v in zip(labels, f, strict=True)},
        confusion=confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    )


def format_report(rep: Report, title: str) -> str:
    """Plain-text table for the terminal."""
    width = max(8, *(len(label) for label in rep.labels))
    lines = [
        f"{title} (n={rep.n})",
        f"  accuracy        {rep.accuracy:.4f}",
        f"  micro-F1        {rep.micro_f1:.4f}",
        f"  macro-F1        {rep.macro_f1:.4f}",
        f"  macro-recall    {rep.macro_recall:.4f}   (SemEval 2017 4A AvgRec)",
        f"  GermEval18 F1   {rep.germeval2018_f1:.4f}   (harmonic mean of macro-P and macro-R)",
        "  per-class F1    " + "  ".join(f"{k}={v:.4f}" for k, v in rep.per_class_f1.items()),
        "  confusion (rows = true, columns = predicted)",
        "    " + " " * width + " " + " ".join(f"{label:>{width}}" for label in rep.labels),
    ]
    for label, row in zip(rep.labels, rep.confusion, strict=True):
        lines.append(f"    {label:>{width}} " + " ".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


def expected_calibration_error(p: NDArray[np.float64], hit: NDArray[np.bool_], bins: int = 10) -> float:
    """ECE of a probability ``p`` for the binary outcome ``hit`` (equal-width bins)."""
    edges = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = edges == b
        if mask.any():
            total += mask.mean() * abs(p[mask].mean() - hit[mask].mean())
    return float(total)
