"""Reproducible training of the scoring bundle, with the validation that justifies it.

``train(settings)`` reads ``settings.data_dir``, validates every head in-source and
cross-source (``warner.scoring.validation``), fits the final heads on all training data
(``warner.scoring.heads``), and writes ``scoring.skops`` and ``metrics.json`` to
``settings.out``. Seeds are fixed, saga is deterministic for a given seed, so a rerun gives
the same artifact.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold

from warner.scoring import data, validation
from warner.scoring.evaluate import report
from warner.scoring.features import FeatureConfig, Featurizer
from warner.scoring.heads import (
    HeadSettings,
    OffenceRows,
    SentimentRows,
    fit_english_sentiment,
    fit_german_sentiment,
    fit_offence,
)
from warner.scoring.langid_data import pseudo_sentences
from warner.scoring.linear import LinearHead, fit_head
from warner.scoring.models import BUNDLE_NAME, FORMAT_VERSION, save_bundle


@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides the artifact; the head constants are the cross-source-chosen values."""

    data_dir: Path
    out: Path
    commercial_only: bool = False
    cross_validate: bool = True
    features: FeatureConfig = field(default_factory=lambda: FeatureConfig(lexicon=True))
    heads: HeadSettings = field(default_factory=HeadSettings)


Progress = Callable[[str], None]


def train(settings: TrainSettings, progress: Progress | None = None) -> dict[str, object]:
    """Train, evaluate and write the bundle; returns the metrics also written to metrics.json."""
    with warnings.catch_warnings():
        # saga stops at tol=1e-3 within max_iter on some CV folds; the CV figures show the cost.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _train(settings, progress or (lambda _msg: None))


@dataclass(frozen=True)
class TrainingRows:
    """Every training text read and hashed once: what the heads are fitted and validated on."""

    featurizer: Featurizer
    german: list[data.Example]
    english: list[data.Example]
    offence: list[data.Example]
    posts: SentimentRows
    x_en: sp.csr_matrix
    y_en: NDArray[np.str_]
    insults: OffenceRows


def read_rows(settings: TrainSettings, say: Progress) -> TrainingRows:
    """Read the corpora, learn the idf on all of them and hash every text."""
    say("reading data")
    german = data.german_sentiment(settings.data_dir, settings.commercial_only)
    english = data.english_sentiment(settings.data_dir)
    offence = data.german_offence(settings.data_dir)
    say("hashing features")
    featurizer = Featurizer(settings.features)
    featurizer.fit_idf([e.text for e in german + english + offence])
    posts = SentimentRows(
        x=featurizer.transform([e.text for e in german]),
        y=np.array([e.label for e in german]),
        corpus=np.array([e.corpus for e in german]),
    )
    return TrainingRows(
        featurizer=featurizer,
        german=german,
        english=english,
        offence=offence,
        posts=posts,
        x_en=featurizer.transform([e.text for e in english]),
        y_en=np.array([e.label for e in english]),
        insults=OffenceRows(
            x=featurizer.transform([e.text for e in offence]), y=np.array([e.label for e in offence]), posts=posts
        ),
    )


def validate(rows: TrainingRows, s: HeadSettings, say: Progress) -> dict[str, object]:
    """In-source and cross-source figures of the three judging heads (``warner.scoring.validation``)."""
    sources = np.array([e.split for e in rows.english])
    return {
        "sentiment_de": validation.german_sentiment(rows.posts, [e.text for e in rows.german], s, say),
        "sentiment_en": validation.english_sentiment(
            rows.x_en, rows.y_en, sources, [e.text for e in rows.english], s, say
        ),
        "toxicity": validation.offence(rows.insults, s, say),
    }


def _train(settings: TrainSettings, say: Progress) -> dict[str, object]:
    started = time.perf_counter()
    s = settings.heads
    rows = read_rows(settings, say)
    metrics: dict[str, object] = {
        "variant": "commercial" if settings.commercial_only else "full",
        "counts": {"sentiment_de": len(rows.german), "sentiment_en": len(rows.english), "toxicity": len(rows.offence)},
    }
    if settings.cross_validate:
        metrics.update(validate(rows, s, say))

    say("German sentiment")
    head_de = fit_german_sentiment(rows.posts, np.arange(len(rows.posts.y)), s)
    say("English sentiment")
    head_en = fit_english_sentiment(rows.x_en, rows.y_en, np.arange(len(rows.y_en)), s)
    say("offence")
    head_tox = fit_offence(rows.insults, np.arange(len(rows.insults.y)), rows.insults.calm(), s)
    say("language id")
    head_lang, metrics["lang"] = _language(rows, settings)

    bundle: dict[str, object] = {
        "format": FORMAT_VERSION,
        "variant": metrics["variant"],
        "features": settings.features.to_dict(),
        "idf": rows.featurizer.idf,
        "offensive_threshold": validation.OFFENSIVE_AT,
        "heads": {
            "lang": head_lang.to_state(),
            "sentiment_de": head_de.to_state(),
            "sentiment_en": head_en.to_state(),
            "toxicity": head_tox.to_state(),
        },
    }
    say("writing artifacts")
    path = settings.out / BUNDLE_NAME
    save_bundle(bundle, path)
    metrics["artifact_bytes"] = path.stat().st_size
    metrics["train_seconds"] = round(time.perf_counter() - started, 1)
    settings_dict = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()}
    settings_dict.pop("data_dir")
    settings_dict.pop("out")
    metrics["settings"] = settings_dict
    (settings.out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    return metrics


def _language(rows: TrainingRows, s: TrainSettings) -> tuple[LinearHead, dict[str, object]]:
    """de = German corpora, en = SemEval; other = word samples of 30+ languages (wordfreq).

    The corpus texts are already hashed (``rows``); only the word samples are hashed here.
    """
    n_german = len(rows.german) + len(rows.offence)
    synthetic = pseudo_sentences(seed=s.heads.seed)
    x = sp.vstack(
        [rows.posts.x, rows.insults.x, rows.x_en, rows.featurizer.transform([t for t, _ in synthetic])], format="csr"
    )
    y = np.array(["de"] * n_german + ["en"] * len(rows.english) + [lang for _, lang in synthetic])
    kinds = ["corpus"] * (len(y) - len(synthetic)) + ["synthetic"] * len(synthetic)
    out: dict[str, object] = {}
    h = s.heads
    if s.cross_validate:
        tr, te = next(StratifiedKFold(validation.FOLDS, shuffle=True, random_state=h.seed).split(x, y))
        pred = fit_head(x[tr], y[tr], h.c_lang, class_weight="balanced", seed=h.seed).predict(x[te])
        kind = np.array(kinds)[te]
        out["holdout_all"] = report(y[te], list(pred), ["de", "en", "other"]).as_dict()
        real = kind == "corpus"
        out["holdout_corpus_texts"] = report(y[te][real], list(pred[real]), ["de", "en", "other"]).as_dict()
    return fit_head(x, y, h.c_lang, class_weight="balanced", seed=h.seed), out
