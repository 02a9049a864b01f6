"""The trained scorer from the committed models/ artifacts, and its fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from warner.core import TextScore
from warner.scoring.lexicon import LexiconScorer
from warner.scoring.models import BUNDLE_NAME, ModelScorer, default_models_dir, load_bundle, load_scorer

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def scorer() -> ModelScorer:
    loaded = load_scorer(MODELS)
    assert isinstance(loaded, ModelScorer)
    return loaded


def test_models_dir_defaults_to_repository_and_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WARNER_MODELS_DIR", raising=False)
    assert default_models_dir() == MODELS
    monkeypatch.setenv("WARNER_MODELS_DIR", str(tmp_path))
    assert default_models_dir() == tmp_path


def test_scorer_loads_once_per_process(scorer: ModelScorer) -> None:
    assert load_scorer(MODELS) is scorer


def test_missing_artifacts_fall_back_to_lexicon_with_warning(tmp_path: Path) -> None:
    with capture_logs() as logs:
        fallback = load_scorer(tmp_path)
    assert isinstance(fallback, LexiconScorer)
    assert [e["event"] for e in logs] == ["scoring_models_missing"]


def test_bundle_loads_with_only_trusted_types() -> None:
    bundle = load_bundle(MODELS / BUNDLE_NAME)
    assert set(bundle["heads"]) == {"lang", "sentiment_de", "sentiment_en", "toxicity"}


def test_one_score_per_text_in_order_with_valid_ranges(scorer: ModelScorer) -> None:
    texts = ["", "😡😡😡", "Danke, super Service!", "x" * 50_000, "Die Bahn ist eine Katastrophe"]
    scores = scorer.score(texts)
    assert len(scores) == len(texts)
    for s in scores:
        assert isinstance(s, TextScore)
        assert s.lang in ("de", "en", "other")
        assert s.sentiment in ("positive", "negative", "neutral")
        assert 0.0 <= s.p_negative <= 1.0 and 0.0 <= s.toxicity <= 1.0
    assert scores[0].lang == "other"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Der Zug hat schon wieder 40 Minuten Verspätung, danke für nichts", "de"),
        ("Ich finde das Essen dort wirklich lecker und die Bedienung war freundlich", "de"),
        ("My train is late again and nobody tells us anything", "en"),
        ("I love the new store, the staff were so helpful", "en"),
        ("Le train est encore en retard, c'est vraiment inacceptable", "other"),
        ("El servicio fue terrible y nadie nos ayudó con el problema", "other"),
        ("Поезд опять опаздывает", "other"),
    ],
)
def test_language(scorer: ModelScorer, text: str, lang: str) -> None:
    assert scorer.score([text])[0].lang == lang


def test_language_hint_wins(scorer: ModelScorer) -> None:
    assert [s.lang for s in scorer.score(["ok", "ok", "ok", "ok"], ["en", "de-DE", "fr", None])][:3] == [
        "en",
        "de",
        "other",
    ]


def test_clear_german_polarity(scorer: ModelScorer) -> None:
    neg, pos = scorer.score(["Schon wieder Verspätung, einfach nur ärgerlich 😡", "Vielen Dank, tolles Team 😍"])
    assert neg.sentiment == "negative" and neg.p_negative > 0.5
    assert pos.sentiment == "positive" and pos.p_negative < 0.2


def test_clear_english_polarity(scorer: ModelScorer) -> None:
    neg, pos = scorer.score(["This is the worst service ever, I hate it", "Great job, I love it!"])
    assert neg.sentiment == "negative" and pos.sentiment == "positive"


def test_insult_is_offensive_and_thanks_is_not(scorer: ModelScorer) -> None:
    insult, polite = scorer.score(["Ihr seid doch alle Vollidioten und Verbrecher", "Danke für die schnelle Hilfe"])
    assert insult.offensive and insult.toxicity > polite.toxicity
    assert not polite.offensive


@pytest.mark.parametrize(
    "text",
    [
        "Kaffeewerk Schulte eröffnet eine neue Filiale in Ulm.",
        "Das Krumenbrot ist echt das beste Sauerteigbrot in Berlin",
        "Super Service, gerne wieder!",
        "Wann habt ihr sonntags offen?",
        "Das Bier war ekelhaft",
    ],
)
def test_ordinary_customer_talk_is_not_offensive(scorer: ModelScorer, text: str) -> None:
    """Issue 18's examples: the offence head learnt calm customer posts as "other" (models/README.md)."""
    assert not scorer.score([text], ["de"])[0].offensive


def test_praise_for_a_bakery_is_not_called_negative(scorer: ModelScorer) -> None:
    praise = scorer.score(["Das Krumenbrot ist echt das beste Sauerteigbrot in Berlin"], ["de"])[0]
    assert praise.sentiment != "negative"


@pytest.mark.xfail(strict=True, reason="known weakness: short praise still scores toxicity ~0.51 (models/README.md)")
def test_short_praise_is_not_offensive(scorer: ModelScorer) -> None:
    assert not scorer.score(["lecker wie immer"], ["de"])[0].offensive


@pytest.mark.xfail(strict=True, reason="known weakness: plain service complaints can come out positive (model card)")
def test_a_cold_pizza_and_a_rude_driver_are_a_complaint(scorer: ModelScorer) -> None:
    assert scorer.score(["Die Pizza war kalt und der Fahrer unfreundlich"], ["de"])[0].sentiment == "negative"


def test_batched_equals_single(scorer: ModelScorer) -> None:
    texts = [f"Text Nummer {i} ist nicht so gut" for i in range(5)]
    assert scorer.score(texts) == [scorer.score([t])[0] for t in texts]


def test_mismatched_hints_are_rejected(scorer: ModelScorer) -> None:
    with pytest.raises(ValueError, match="langs"):
        scorer.score(["a", "b"], ["de"])


def test_saved_bundle_is_byte_reproducible(tmp_path: Path) -> None:
    import numpy as np

    from warner.scoring.models import FORMAT_VERSION, save_bundle

    bundle = {"format": FORMAT_VERSION, "idf": np.arange(5, dtype=np.float32), "heads": {"a": np.ones((2, 3))}}
    save_bundle(bundle, tmp_path / "one.skops")
    save_bundle(bundle, tmp_path / "two.skops")
    assert (tmp_path / "one.skops").read_bytes() == (tmp_path / "two.skops").read_bytes()
    loaded = load_bundle(tmp_path / "one.skops")
    assert np.array_equal(loaded["heads"]["a"], np.ones((2, 3)))
