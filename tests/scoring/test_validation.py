"""Training and validation on a small corpus laid out like ../shared/data (no shared data needed).

The corpus is made so that its words decide its labels ("Verspätung" is a complaint, "danke" is
praise, "Idiot" is an insult), so every head has something to learn; what is checked is which
rows each figure was fitted and scored on, and that calm posts reach the offence head.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest

from warner.scoring import data
from warner.scoring.heads import HeadSettings, fit_offence
from warner.scoring.models import load_scorer
from warner.scoring.train import TrainSettings, read_rows, train, validate

_DE = {
    "negative": ["Schon wieder Verspätung, ärgerlich", "Zug fällt aus, eine Frechheit", "kalt und dreckig, nie wieder"],
    "neutral": ["Der Zug fährt um acht Uhr", "Heute Bauarbeiten in Köln", "Wann kommt der Bus an"],
    "positive": ["danke für die schnelle Hilfe", "super Service, gerne wieder", "lecker wie immer, toll"],
}
_EN = {
    "negative": ["worst delay ever, awful", "terrible service, angry", "broken again, hate it"],
    "neutral": ["the train leaves at eight", "store opens on monday", "new timetable out today"],
    "positive": ["great job team, love it", "thanks for the quick help", "awesome update, happy"],
}
_INSULTS = ["du Idiot, halt die Klappe", "Vollidiot und Lügner", "dumme Schwachköpfe alle"]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _posts(rng: random.Random, phrases: dict[str, list[str]], n: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        label = ["negative", "neutral", "positive"][i % 3]
        out.append((f"{rng.choice(phrases[label])} {rng.randint(0, 10**6)} x{i}", label))
    return out


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shared") / "data"
    rng = random.Random(7)
    _write(root / "germeval2017/dev.tsv", ["id", "text", "label", "relevance"],
           [[f"u{i}", t, lab, "true"] for i, (t, lab) in enumerate(_posts(rng, _DE, 45))])
    for split in ("train", "dev", "test"):
        _write(root / f"sb10k/{split}.tsv", ["text", "label"], [[t, lab] for t, lab in _posts(rng, _DE, 30)])
    _write(root / "potts/all.tsv", ["text", "label", "split"],
           [[t, lab, ["train", "dev", "test"][(i // 3) % 3]] for i, (t, lab) in enumerate(_posts(rng, _DE, 60))])
    sources = ["twitter-2013train", "twitter-2013test", "twitter-2016test"]
    _write(root / "semeval2017_4a/train.tsv", ["id", "text", "label", "source"],
           [[str(i), t, lab, sources[(i // 3) % 3]] for i, (t, lab) in enumerate(_posts(rng, _EN, 90))])
    offence = [[f"{rng.choice(_INSULTS)} {i}", "offense", "insult"] for i in range(20)]
    # In this offence data "lecker" only ever comes with an insult: alone it would look like one.
    offence += [[f"lecker {rng.choice(_INSULTS)} {i}", "offense", "abuse"] for i in range(10)]
    offence += [[f"Heute Wetter in Berlin {i}", "other", "other"] for i in range(40)]
    _write(root / "germeval2018/train.tsv", ["text", "label", "fine"], offence)
    return root


def test_english_sentiment_reads_the_whole_semeval_collection_test_years_included(data_dir: Path) -> None:
    english = data.english_sentiment(data_dir)
    assert len(english) == 90
    assert {e.split for e in english} == {"twitter-2013train", "twitter-2013test", "twitter-2016test"}


def test_public_german_test_splits_are_never_read(data_dir: Path) -> None:
    german = data.german_sentiment(data_dir)
    assert len(german) == 45 + 30 + 30 + 42  # PotTS: 18 of its 60 rows are "test"
    assert "test" not in {e.split for e in german}


def test_validation_scores_every_head_in_source_and_on_a_source_left_out(data_dir: Path) -> None:
    settings = TrainSettings(data_dir=data_dir, out=data_dir)
    figures = validate(read_rows(settings, lambda _m: None), settings.heads, lambda _m: None)

    de = figures["sentiment_de"]
    assert de["germeval2017_cv"]["n"] == 45  # every in-domain post scored once, by a fold without it
    assert de["tweets_to_germeval2017"]["n"] == 45
    assert de["to_sb10k"]["n"] == 60 and de["to_potts"]["n"] == 42
    for key in ("negative_recall", "positive_called_negative", "mean_p_negative", "p_negative_ece"):
        assert 0 <= de["germeval2017_cv"][key] <= 1
    en = figures["sentiment_en"]
    assert en["semeval_cv"]["n"] == 90
    assert en["to_2013"]["n"] == 60 and en["to_2016"]["n"] == 30  # each year held out whole
    tox = figures["toxicity"]
    assert tox["germeval2018_cv"]["n"] == 70
    assert {k for k in tox if k.startswith("to_")} == {"to_germeval2017", "to_sb10k", "to_potts"}
    assert tox["to_germeval2017"]["calm_posts"] == 30 and tox["to_germeval2017"]["complaints"] == 15


def test_calm_posts_teach_the_offence_head_that_praise_is_not_an_insult(data_dir: Path) -> None:
    rows = read_rows(TrainSettings(data_dir=data_dir, out=data_dir), lambda _m: None).insults
    everything = np.arange(len(rows.y))
    praise = rows.posts.x[np.flatnonzero(rows.posts.y == "positive")]
    ignoring = fit_offence(rows, everything, np.array([], dtype=np.intp), HeadSettings())
    taught = fit_offence(rows, everything, rows.calm(), HeadSettings())

    def called(head: object) -> float:
        p = head.predict_proba(praise)[:, head.classes.index("offense")]  # type: ignore[attr-defined]  # a LinearHead
        return float(np.mean(p >= 0.5))

    assert called(taught) < called(ignoring)
    assert called(taught) == 0.0
    insults = rows.x[rows.y == "offense"]
    assert np.all(taught.predict_proba(insults)[:, taught.classes.index("offense")] >= 0.5)


def test_training_writes_a_bundle_that_scores_and_its_metrics(data_dir: Path, tmp_path: Path) -> None:
    metrics = train(TrainSettings(data_dir=data_dir, out=tmp_path))
    assert metrics["counts"] == {"sentiment_de": 147, "sentiment_en": 90, "toxicity": 70}
    assert {"sentiment_de", "sentiment_en", "toxicity", "lang"} <= set(metrics)
    assert (tmp_path / "metrics.json").is_file()
    scorer = load_scorer(tmp_path)
    score = scorer.score(["lecker wie immer, danke"], ["de"])[0]
    assert not score.offensive
