"""The word table gives the count matrices of ``Featurizer.counts``, value for value, however it is fed."""

from __future__ import annotations

import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from warner.scoring.features import FeatureConfig, Featurizer
from warner.scoring.models import ModelScorer
from warner.scoring.text import normalise
from warner.scoring.word_table import WordTable

CONFIG = FeatureConfig(word_bits=18, char_bits=18, word_max_n=2, negation=True, lexicon=True)

_PIECES = [
    "Kesselberger", "Glas", "nicht", "gut", "nie", "wieder", "mehr", "never", "again", "don't", "kein", "Bock",
    "ÄRGER", "Straße", "suuuuper", "!!!", "??", "...", ",", ":-)", ":(", "xD", "XDD", "x", "D", ";)", "<3", "-_-",
    "😡", "👍🏻", "❤️", "#DeutscheBahn", "@kesselberg_bier", "https://t.co/x", "WWW.Example.de", "|LBR|", "’",
    "abgezockt", "schimmelig", "lecker", "12:30", "4711", "a1b2", "aaa111", "xelong", "neg_gut", "İ", "ﬁ", "_",
]
_SPACES = [" ", "  ", "\t", "\n", "\u00a0", "\u2028", "\u3000", "\x1c", "\r\n"]

texts_of_pieces = st.lists(
    st.tuples(st.sampled_from(_PIECES) | st.text(max_size=6), st.sampled_from(_SPACES)), max_size=24
).map(lambda parts: "".join(word + space for word, space in parts))


def _same(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    return a.shape == b.shape and (a != b).nnz == 0


@given(st.lists(texts_of_pieces, max_size=10), st.lists(texts_of_pieces, max_size=10))
@settings(max_examples=250, deadline=None)
def test_ids_spell_the_normalised_text_and_counts_equal_the_featurizers(first: list[str], second: list[str]) -> None:
    table, featurizer = WordTable(CONFIG), Featurizer(CONFIG)
    for texts in (first, second, first):  # new words, then a mix, then everything from memory
        ids = table.ids(texts)
        assert [" ".join(table._tokens[i] for i in t) for t in ids] == [normalise(t) for t in texts]
        assert _same(table.counts(ids), featurizer.counts(texts))


def test_missing_and_empty_texts_have_no_ids_and_empty_rows() -> None:
    table = WordTable(CONFIG)
    ids = table.ids([None, "", "   ", "Kesselberg"])  # type: ignore[list-item]  # None arrives from JSON nulls
    assert ids[:3] == [(), (), ()]
    counts = table.counts(ids)
    assert counts.shape == (4, CONFIG.n_features)
    assert counts[:3].nnz == 0 and counts[3].nnz > 0
    assert table.has_words(ids) == [False, False, False, True]


def test_a_full_table_starts_afresh_and_stays_right() -> None:
    table, featurizer = WordTable(CONFIG, memory=50), Featurizer(CONFIG)
    generations = set()
    for batch in range(8):
        tag = "abcdefghij"[batch]  # digits would all normalise to 0: new words need letters
        texts = [f"Wort{tag}x{tag * i} Brot{tag}y{tag * i} nicht gut{tag}, nie wieder {i} suuuper" for i in range(6)]
        ids = table.ids(texts)
        generations.add(table.generation)
        assert _same(table.counts(ids), featurizer.counts(texts))
        assert len(table._tokens) <= 50 + 6 * 12  # forgotten when over the bound, before the next batch
    assert len(generations) > 1


def test_only_the_shipped_kind_of_features_is_covered() -> None:
    with pytest.raises(ValueError, match="1-2-grams"):
        WordTable(FeatureConfig(word_max_n=3))


@pytest.fixture(scope="module")
def scorer() -> ModelScorer:
    from warner.scoring.models import BUNDLE_NAME, default_models_dir, load_bundle

    return ModelScorer(load_bundle(default_models_dir() / BUNDLE_NAME))


def test_copies_are_scored_once_and_score_as_the_original(scorer: ModelScorer) -> None:
    original = "Kesselberg hat mich abgezockt, nie wieder! 😡"
    copies = [original, f"{original}  ", "kesselberg hat mich abgezockt , nie wieder ! 😡"]  # the same once normalised
    lookups, hits = scorer.lookups, scorer.hits
    scores = scorer.score([*copies, "Ganz anderer Text über Brot"])
    assert scores[0] == scores[1] == scores[2]
    assert scorer.lookups - lookups == 4
    assert scorer.hits - hits == 2  # the two copies; the original and the other text were scored
    again = scorer.score([original])
    assert again == scores[:1] and scorer.hits - hits == 3


def test_the_language_hint_picks_the_head_from_memory_too(scorer: ModelScorer) -> None:
    text = "The bread was mouldy, never again"
    as_english, as_german, as_french, unhinted = scorer.score([text] * 4, ["en", "de", "fr", None])
    assert (as_english.lang, as_german.lang, as_french.lang, unhinted.lang) == ("en", "de", "other", "en")
    assert as_french.sentiment == as_german.sentiment and as_french.p_negative == as_german.p_negative


def test_numbers_of_every_script_are_the_token_zero_and_not_remembered() -> None:
    """Every number is a word of its own: it costs no normalising and never fills the raw-word memory."""
    decimals = "".join(chr(c) for c in range(0x110000) if chr(c).isdecimal())
    numbers = [*decimals, "4711", "0815", "١٢٣", "１２３", decimals[:40], decimals[-40:]]
    table, featurizer = WordTable(CONFIG), Featurizer(CONFIG)
    texts = [f"Bestellung {n} fehlt" for n in numbers]
    ids = table.ids(texts)
    assert [" ".join(table._tokens[i] for i in t) for t in ids] == [normalise(t) for t in texts]
    assert {normalise(n) for n in numbers} == {"0"}
    assert _same(table.counts(ids), featurizer.counts(texts))
    assert not any(n in table._raw for n in numbers)
    assert {"Bestellung", "fehlt"} <= table._raw.keys()
