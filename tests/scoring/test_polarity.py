"""Polarity-lexicon tokens: polar words, inflection, negation, emoji, and the feature switch."""

from __future__ import annotations

import numpy as np
import pytest

from warner.scoring.features import FeatureConfig, Featurizer
from warner.scoring.polarity import lexicon_tokens, polarity
from warner.scoring.text import mark_negation, normalise


def _tokens(text: str) -> list[str]:
    return lexicon_tokens(mark_negation(normalise(text)))


@pytest.mark.parametrize(
    ("word", "sign"),
    [
        ("ekelhaft", -1),
        ("ekelhaften", -1),  # inflected
        ("ungeniessbar", -1),  # as normalise spells "ungenießbar"
        ("schlechtester", -1),
        ("verspaetungen", -1),
        ("lecker", 1),
        ("tolle", 1),
        ("bier", 0),
        ("mister", 0),  # not "mist" + "er"
        ("gross", 0),  # German "groß", not English "gross"
    ],
)
def test_word_polarity(word: str, sign: int) -> None:
    assert polarity(word) == sign


def test_clear_complaints_give_negative_tokens_only() -> None:
    assert _tokens("Nie wieder! Das Bier war ekelhaft.") == ["xlexneg", "xlexneg"]
    assert _tokens("@brauerei euer Bier ist ungenießbar #skandal") == ["xlexneg", "xlexneg"]
    assert _tokens("Schlechtester Service ever, total enttäuscht") == ["xlexneg", "xlexneg"]


def test_negation_gives_its_own_tokens() -> None:
    assert _tokens("Das ist nicht gut") == ["xlexnotpos"]
    assert _tokens("Das ist nicht schlecht, aber gut") == ["xlexnotneg", "xlexpos"]


def test_emoji_polarity() -> None:
    assert _tokens("Bier 😍👍") == ["xemopos", "xemopos"]
    assert _tokens("Service 😡") == ["xemoneg"]


def test_neutral_text_has_no_tokens() -> None:
    assert _tokens("Die Filiale hat ab Montag neue Öffnungszeiten.") == []
    assert _tokens("") == []


def test_lexicon_switch_adds_word_features_only() -> None:
    texts = ["Das Bier war ekelhaft 😡", "Die Filiale öffnet um 9 Uhr"]
    plain = Featurizer(FeatureConfig(lexicon=False)).counts(texts)
    with_lexicon = Featurizer(FeatureConfig(lexicon=True)).counts(texts)
    diff = (with_lexicon - plain).toarray()
    words = 1 << FeatureConfig().word_bits
    assert np.all(diff[:, words:] == 0)  # char n-grams unchanged
    assert diff[0].sum() == 2 and diff[1].sum() == 0  # xlexneg + xemoneg; nothing for neutral text


def test_old_bundles_without_the_switch_keep_their_meaning() -> None:
    config = FeatureConfig(**{k: v for k, v in FeatureConfig(lexicon=True).to_dict().items() if k != "lexicon"})
    assert config.lexicon is False
