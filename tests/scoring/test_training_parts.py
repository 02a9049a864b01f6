"""Building blocks of training: domain adaptation and partial class weights."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from warner.scoring.heads import partial_class_weights
from warner.scoring.linear import augment_domain, collapse_domain, fit_head


def _toy(seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = sp.random(60, 12, density=0.3, format="csr", random_state=seed, dtype=np.float64)
    y = np.array(["negative", "neutral", "positive"])[rng.integers(0, 3, 60)]
    in_domain = rng.random(60) < 0.4
    return x, y, in_domain


def test_augment_domain_copies_features_only_for_in_domain_rows() -> None:
    x, _, in_domain = _toy()
    aug = augment_domain(x, in_domain)
    assert aug.shape == (60, 24)
    np.testing.assert_array_equal(aug[:, :12].toarray(), x.toarray())
    np.testing.assert_array_equal(aug[~in_domain, 12:].toarray(), 0)
    np.testing.assert_array_equal(aug[in_domain, 12:].toarray(), x[in_domain].toarray())


def test_collapsed_head_scores_plain_features_like_the_in_domain_view() -> None:
    x, y, in_domain = _toy()
    head = fit_head(augment_domain(x, in_domain), y, c=4.0)
    collapsed = collapse_domain(head, x.shape[1])
    assert collapsed.n_features == 12
    assert list(collapsed.columns) == sorted(set(collapsed.columns))
    both = sp.hstack([x, x], format="csr")
    np.testing.assert_allclose(collapsed.predict_proba(x), head.predict_proba(both), rtol=1e-5, atol=1e-6)


def test_collapsed_head_round_trips_through_its_state() -> None:
    x, y, in_domain = _toy(1)
    collapsed = collapse_domain(fit_head(augment_domain(x, in_domain), y, c=1.0), x.shape[1])
    again = type(collapsed).from_state(collapsed.to_state())
    np.testing.assert_allclose(again.predict_proba(x), collapsed.predict_proba(x))


@pytest.mark.parametrize("power", [0.0, 0.5, 1.0])
def test_partial_class_weights_interpolate_between_none_and_balanced(power: float) -> None:
    y = np.array(["neutral"] * 6 + ["negative"] * 3 + ["positive"])
    weights = partial_class_weights(y, power)
    if power == 0:
        assert weights is None
        return
    balanced = {"neutral": 10 / 18, "negative": 10 / 9, "positive": 10 / 3}
    assert weights == pytest.approx({k: v**power for k, v in balanced.items()})
