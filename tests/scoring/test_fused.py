"""The compiled pass gives scikit-learn's TF-IDF logits, and a text's logits depend on the text alone."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from tests.scoring.test_word_table import _PIECES, texts_of_pieces
from warner.scoring.models import BUNDLE_NAME, ModelScorer, default_models_dir, load_bundle


@pytest.fixture(scope="module")
def bundle() -> dict[str, object]:
    return load_bundle(default_models_dir() / BUNDLE_NAME)


def _compiled(scorer: ModelScorer, texts: list[str]) -> NDArray[np.float32]:
    return scorer._table.logits(scorer._table.ids(texts), scorer._rows, scorer._intercepts)


def _scipy(scorer: ModelScorer, texts: list[str]) -> NDArray[np.float32]:
    """The definition: the featurizer's sparse TF-IDF matrix times the heads."""
    x = scorer.featurizer.transform(texts)
    weights = scorer._rows[:, : len(scorer._intercepts)]
    return np.asarray(x @ weights) + scorer._intercepts


@pytest.fixture(scope="module")
def scorer(bundle: dict[str, object]) -> ModelScorer:
    return ModelScorer(bundle)


@given(st.lists(texts_of_pieces, min_size=1, max_size=12))
@settings(max_examples=150, deadline=None)
def test_logits_equal_the_sparse_definition_to_float32_precision(scorer: ModelScorer, texts: list[str]) -> None:
    np.testing.assert_allclose(_compiled(scorer, texts), _scipy(scorer, texts), rtol=1e-5, atol=1e-5)


def test_real_posts_get_the_sparse_definitions_logits(bundle: dict[str, object]) -> None:
    scorer = ModelScorer(bundle)
    texts = ["Kesselberg hat mich abgezockt, nie wieder! Die Lieferung war kalt 😡", "Danke, lecker wie immer :-)",
             "The bread was mouldy, don't buy it", "", "😡😡😡", "nicht nicht nicht gut gut gut",
             *(f"Brot {w} Kassiererin Lieferung spät" for w in _PIECES)]
    compiled, sparse = _compiled(scorer, texts), _scipy(scorer, texts)
    np.testing.assert_allclose(compiled, sparse, rtol=1e-5, atol=1e-5)
    assert np.array_equal(compiled[3], scorer._intercepts)  # no n-grams: the intercepts alone
    assert np.array_equal(compiled.argmax(axis=1), sparse.argmax(axis=1))


def test_a_texts_logits_are_the_same_to_the_last_bit_whatever_came_before_or_beside_it(
    bundle: dict[str, object],
) -> None:
    fresh, busy = ModelScorer(bundle), ModelScorer(bundle)
    busy.score([f"Lieferung {w} schon wieder zu spät, Brot hart, Kassiererin unfreundlich" for w in _PIECES])
    texts = ["Kesselberg hat mich abgezockt, nie wieder! Die Lieferung war kalt 😡", "Danke, lecker wie immer :-)",
             *(f"Brot {w} Kassiererin Lieferung spät" for w in _PIECES)]
    alone = np.vstack([_compiled(fresh, [text]) for text in texts])
    assert np.array_equal(_compiled(busy, texts), alone)  # other token ids, another batch: the same bits
    assert np.array_equal(_compiled(busy, texts[::-1])[::-1], alone)
    assert busy.score(texts) == fresh.score(texts)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_word_pairs_hash_as_scikit_learn_hashes_them(text: str) -> None:
    from sklearn.utils import murmurhash3_32

    from warner.scoring.fused import murmur3_32

    assert murmur3_32(text.encode("utf-8")) == murmurhash3_32(text, seed=0, positive=False)


@given(st.lists(st.text(min_size=1, max_size=14), min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_new_tokens_get_the_character_rows_scikit_learn_gives_them(words: list[str]) -> None:
    from warner.scoring.fused import char_rows
    from warner.scoring.hashing import HashedCharNgrams

    compiled, reference = char_rows(words, 2, 5, 1 << 18), HashedCharNgrams(18, 2, 5).transform(words)
    assert compiled.shape == reference.shape
    assert np.array_equal(compiled.indptr, reference.indptr)
    assert np.array_equal(compiled.indices, reference.indices) and np.array_equal(compiled.data, reference.data)
