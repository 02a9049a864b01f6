"""Cached n-gram hashing gives scikit-learn's HashingVectorizer matrix, value for value."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import HashingVectorizer

from warner.scoring.hashing import HashedNgrams
from warner.scoring.text import mark_negation, normalise


def _sklearn(bits: int, max_n: int) -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="word",
        token_pattern=r"\S+",
        lowercase=False,
        ngram_range=(1, max_n),
        n_features=1 << bits,
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
    )


def _same(a, b) -> bool:  # type: ignore[no-untyped-def]
    return a.shape == b.shape and (a != b).nnz == 0


@given(st.lists(st.text(max_size=60), min_size=1, max_size=20), st.sampled_from([1, 2, 3]))
@settings(max_examples=200, deadline=None)
def test_counts_equal_hashing_vectorizer_on_any_text(docs: list[str], max_n: int) -> None:
    docs = [d.encode("utf-8", "replace").decode() for d in docs]  # scikit-learn refuses lone surrogates too
    assert _same(HashedNgrams(18, max_n).transform(docs), _sklearn(18, max_n).transform(docs))


def test_counts_equal_hashing_vectorizer_on_the_scenario_texts_twice_over() -> None:
    """The second pass reads the remembered columns; both must match."""
    from warner.scenarios import SCENARIOS

    docs = [mark_negation(normalise(m["text"])) for make in SCENARIOS.values() for m in make().mentions][:5000]
    ours = HashedNgrams(18, 2)
    expected = _sklearn(18, 2).transform(docs)
    assert _same(ours.transform(docs), expected)
    assert _same(ours.transform(docs), expected)


def test_the_memory_is_bounded() -> None:
    ours = HashedNgrams(10, 2, memory=50)
    docs = [f"wort{i} und noch{i} eins" for i in range(200)]
    assert _same(ours.transform(docs), _sklearn(10, 2).transform(docs))
    ours.transform(["frisch"])
    assert len(ours._columns) <= 50 + 3 * 200
    assert len(ours._columns) < 10


def test_a_hash_of_minus_two_to_the_31_maps_as_scikit_learn_maps_it() -> None:
    ours = HashedNgrams(18)
    assert ours.column("x") == _sklearn(18, 1).transform(["x"]).indices[0]
