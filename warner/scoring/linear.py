"""Linear heads on the shared feature space: fitted compactly, scored with dense weights.

Only the hashed columns seen in training can carry weight, so a head stores those
column indices and their coefficients (small artifacts) and expands them to a dense
``n_features x n_classes`` matrix when loaded (fast scoring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression


@dataclass(slots=True)
class LinearHead:
    """Multinomial (or binary) logistic regression over selected feature columns."""

    classes: list[str]
    columns: NDArray[np.signedinteger[Any]]  # int32, sorted indices into the shared feature space
    coef: NDArray[np.float32]  # float32, (n_outputs, n_columns); n_outputs = 1 for binary
    intercept: NDArray[np.float32]  # float32, (n_outputs,)
    n_features: int
    _dense: NDArray[np.float32] | None = field(default=None, repr=False)

    def dense(self) -> NDArray[np.float32]:
        """The weights as an ``n_features x n_outputs`` matrix (made once, on first use)."""
        if self._dense is None:
            dense = np.zeros((self.n_features, self.coef.shape[0]), dtype=np.float32)
            dense[self.columns] = self.coef.T
            self._dense = dense
        return self._dense

    def decision(self, x: sp.csr_matrix) -> NDArray[np.float32]:
        scores: NDArray[np.float32] = np.asarray(x @ self.dense())  # scipy is untyped: x @ dense is Any
        return scores + self.intercept

    def predict_proba(self, x: sp.csr_matrix) -> NDArray[np.float64]:
        """Class probabilities, columns in ``classes`` order."""
        return self.probabilities(self.decision(x))

    def probabilities(self, decision: NDArray[np.float32]) -> NDArray[np.float64]:
        """Class probabilities from this head's ``decision`` values (logistic or softmax)."""
        z = decision.astype(np.float64)
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1.0 - p, p])
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total: NDArray[np.float64] = e.sum(axis=1, keepdims=True)  # numpy types sum(keepdims=True) as Any
        return e / total

    def predict(self, x: sp.csr_matrix) -> NDArray[np.str_]:
        best: NDArray[np.intp] = self.predict_proba(x).argmax(axis=1)  # numpy types argmax(axis=...) as Any
        return np.asarray(self.classes)[best]

    def to_state(self) -> dict[str, object]:
        return {
            "classes": list(self.classes),
            "columns": self.columns,
            "coef": self.coef,
            "intercept": self.intercept,
            "n_features": int(self.n_features),
        }

    @classmethod
    def from_state(cls, state: dict[str, object]) -> LinearHead:
        return cls(
            classes=[str(c) for c in state["classes"]],  # type: ignore[attr-defined]  # a list, as to_state writes it
            columns=np.asarray(state["columns"], dtype=np.int64),
            coef=np.asarray(state["coef"], dtype=np.float32),
            intercept=np.asarray(state["intercept"], dtype=np.float32),
            n_features=int(state["n_features"]),  # type: ignore[call-overload]  # an int, as to_state writes it
        )


def fit_head(
    x: sp.csr_matrix,
    y: NDArray[np.str_],
    c: float,
    sample_weight: NDArray[np.floating[Any]] | None = None,
    class_weight: str | dict[str, float] | None = None,
    seed: int = 0,
) -> LinearHead:
    """Fit an L2 logistic regression (saga, fixed seed) on the columns the data uses."""
    columns = np.unique(x.indices)
    compact = x[:, columns].astype(np.float64)
    model = LogisticRegression(C=c, solver="saga", tol=1e-3, max_iter=300, random_state=seed, class_weight=class_weight)
    model.fit(compact, y, sample_weight=sample_weight)
    return LinearHead(
        classes=[str(k) for k in model.classes_],
        columns=columns.astype(np.int32),
        coef=model.coef_.astype(np.float32),
        intercept=model.intercept_.astype(np.float32),
        n_features=x.shape[1],
    )


def augment_domain(x: sp.csr_matrix, in_domain: NDArray[np.bool_]) -> sp.csr_matrix:
    """"Frustratingly easy" domain adaptation (Daumé III 2007): ``[x, x if in_domain else 0]``.

    A model fitted on this has shared weights (first block) and in-domain corrections
    (second block), each with its own L2 penalty, so the few in-domain rows can move the
    weights without being drowned by the larger out-of-domain corpora.
    """
    mask = sp.diags(np.asarray(in_domain, dtype=x.dtype))
    return sp.hstack([x, mask @ x], format="csr")


def collapse_domain(head: LinearHead, n_features: int) -> LinearHead:
    """The in-domain view of a head fitted on ``augment_domain`` features: shared + in-domain weights.

    Scoring ``x`` with the result equals scoring ``[x, x]`` with ``head``, so the scorer pays
    nothing for the adaptation.
    """
    shared = head.columns < n_features
    columns = np.where(shared, head.columns, head.columns - n_features)
    merged = np.unique(columns)
    coef = np.zeros((head.coef.shape[0], len(merged)), dtype=np.float64)
    np.add.at(coef.T, np.searchsorted(merged, columns), head.coef.T.astype(np.float64))
    return LinearHead(
        classes=list(head.classes),
        columns=merged.astype(np.int32),
        coef=coef.astype(np.float32),
        intercept=head.intercept.copy(),
        n_features=n_features,
    )
