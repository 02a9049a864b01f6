"""Metrics follow the shared tasks' definitions."""

from __future__ import annotations

import numpy as np
import pytest

from warner.scoring.evaluate import expected_calibration_error, format_report, report


def test_germeval2018_f1_is_harmonic_mean_of_macro_precision_and_recall() -> None:
    truth = ["offense", "offense", "other", "other", "other"]
    pred = ["offense", "other", "other", "other", "offense"]
    rep = report(truth, pred, ["offense", "other"])
    macro_p = (1 / 2 + 2 / 3) / 2
    macro_r = (1 / 2 + 2 / 3) / 2
    assert rep.germeval2018_f1 == pytest.approx(2 * macro_p * macro_r / (macro_p + macro_r))
    assert rep.accuracy == rep.micro_f1 == pytest.approx(0.6)
    assert rep.confusion == [[1, 1], [1, 2]]


def test_report_prints_every_figure() -> None:
    text = format_report(report(["a", "b"], ["a", "a"], ["a", "b"]), "demo")
    for needle in ("accuracy", "micro-F1", "macro-F1", "per-class F1", "confusion"):
        assert needle in text


def test_calibration_error_of_perfectly_calibrated_constant_is_zero() -> None:
    hit = np.array([True, False, True, False])
    assert expected_calibration_error(np.full(4, 0.5), hit) == pytest.approx(0.0)
