"""In-source and cross-source validation of every head: what a user can expect on a source never seen.

Random cross-validation inside a mix of corpora overstates what carries over to a new source:
the folds share authors, topics and the way a corpus was collected. So besides the in-source
figure each head gets cross-source figures, where a whole source is left out of training and
scored:

- German sentiment: GermEval 2017 (customer posts) held out per fold, trained on the other folds
  and the tweets (the figure closest to warner's use); the tweets alone -> GermEval 2017;
  every source but SB10k -> SB10k; every source but PotTS -> PotTS.
- English sentiment: grouped 5-fold CV over the whole SemEval collection (in-source), and each
  year's tweets (2013-2016) scored by a head trained on the other years.
- Offence: GermEval 2018 5-fold CV (in-source, calm posts always in training), and the calm
  posts of each German sentiment source, scored by a head trained without that source's posts:
  how often ordinary customer talk is called offensive, and how often complaints are.

Each figure is a fit of the same recipe as the shipped head (``warner.scoring.heads``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from warner.scoring.evaluate import expected_calibration_error, report
from warner.scoring.heads import (
    IN_DOMAIN,
    HeadSettings,
    OffenceRows,
    SentimentRows,
    fit_english_sentiment,
    fit_german_sentiment,
    fit_offence,
)
from warner.scoring.linear import LinearHead
from warner.scoring.text import normalise

SENTIMENT = ["negative", "neutral", "positive"]
OFFENCE = ["offense", "other"]
OFFENSIVE_AT = 0.5  # toxicity at which a post is called offensive: more likely offensive than not
FOLDS = 5

Progress = Callable[[str], None]


def sentiment_figures(y: NDArray[np.str_], proba: NDArray[np.float64]) -> dict[str, object]:
    """The shared-task metrics plus what warner leans on: negatives found, praise never called negative."""
    pred = np.asarray(SENTIMENT)[proba.argmax(axis=1)]
    out = report(y, list(pred), SENTIMENT).as_dict()
    negative, positive = y == "negative", y == "positive"
    out["negative_recall"] = round(float(np.mean(pred[negative] == "negative")), 4) if negative.any() else None
    out["positive_called_negative"] = round(float(np.mean(pred[positive] == "negative")), 4) if positive.any() else None
    out["mean_p_negative"] = round(float(proba[:, 0].mean()), 4)
    out["negative_share"] = round(float(negative.mean()), 4)
    out["p_negative_ece"] = round(expected_calibration_error(proba[:, 0], negative), 4)
    return out


def _groups(texts: list[str]) -> NDArray[np.str_]:
    """Normalised text: repeated texts stay in one fold."""
    return np.array([normalise(t) for t in texts])


def german_sentiment(rows: SentimentRows, texts: list[str], s: HeadSettings, say: Progress) -> dict[str, object]:
    """In-domain per fold (GermEval 2017), then each source left out whole."""
    out: dict[str, object] = {}
    corpus = rows.corpus
    in_domain = np.flatnonzero(corpus == IN_DOMAIN)
    others = np.flatnonzero(corpus != IN_DOMAIN)
    if len(in_domain):
        proba = np.zeros((len(in_domain), len(SENTIMENT)))
        groups = _groups([texts[i] for i in in_domain])
        folds = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=s.seed)
        for k, (tr, te) in enumerate(folds.split(in_domain, rows.y[in_domain], groups)):
            say(f"German sentiment: GermEval 2017 fold {k + 1}/{FOLDS}")
            head = fit_german_sentiment(rows, np.concatenate([in_domain[tr], others]), s)
            proba[te] = _sentiment_proba(head, rows.x[in_domain[te]])
        out["germeval2017_cv"] = sentiment_figures(rows.y[in_domain], proba)
        say("German sentiment: tweets -> GermEval 2017")
        head = fit_german_sentiment(rows, others, s)
        out["tweets_to_germeval2017"] = sentiment_figures(rows.y[in_domain], _sentiment_proba(head, rows.x[in_domain]))
    for name in ("sb10k", "potts"):
        say(f"German sentiment: every source but {name} -> {name}")
        held = np.flatnonzero(corpus == name)
        head = fit_german_sentiment(rows, np.flatnonzero(corpus != name), s)
        out[f"to_{name}"] = sentiment_figures(rows.y[held], _sentiment_proba(head, rows.x[held]))
    return out


def english_sentiment(
    x: sp.csr_matrix, y: NDArray[np.str_], source: NDArray[np.str_], texts: list[str], s: HeadSettings, say: Progress
) -> dict[str, object]:
    """Grouped CV over the whole collection, then each year's tweets from a head trained on the other years."""
    out: dict[str, object] = {}
    proba = np.zeros((len(y), len(SENTIMENT)))
    folds = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=s.seed)
    for k, (tr, te) in enumerate(folds.split(x, y, _groups(texts))):
        say(f"English sentiment: fold {k + 1}/{FOLDS}")
        head = fit_english_sentiment(x, y, tr, s)
        proba[te] = _sentiment_proba(head, x[te])
    out["semeval_cv"] = sentiment_figures(y, proba)
    year = np.array([_year(name) for name in source])
    for held_year in sorted(set(year)):
        say(f"English sentiment: other years -> {held_year}")
        held = np.flatnonzero(year == held_year)
        head = fit_english_sentiment(x, y, np.flatnonzero(year != held_year), s)
        out[f"to_{held_year}"] = sentiment_figures(y[held], _sentiment_proba(head, x[held]))
    return out


def offence(rows: OffenceRows, s: HeadSettings, say: Progress) -> dict[str, object]:
    """GermEval 2018 CV, then the posts of each sentiment source from a head trained without them."""
    out: dict[str, object] = {}
    p = np.zeros(len(rows.y))
    calm = rows.calm()
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=s.seed)
    for k, (tr, te) in enumerate(folds.split(rows.x, rows.y)):
        say(f"offence: GermEval 2018 fold {k + 1}/{FOLDS}")
        head = fit_offence(rows, tr, calm, s)
        p[te] = _offence_proba(head, rows.x[te])
    called = np.where(p >= OFFENSIVE_AT, "offense", "other")
    out["germeval2018_cv"] = report(rows.y, list(called), OFFENCE).as_dict()
    out["toxicity_ece"] = round(expected_calibration_error(p, rows.y == "offense"), 4)
    everything = np.arange(len(rows.y))
    corpora = rows.posts.corpus
    for name in sorted(set(corpora)):
        say(f"offence: posts of every other source -> {name}")
        head = fit_offence(rows, everything, rows.calm(np.array(sorted(set(corpora) - {name}))), s)
        held = corpora == name
        toxic = _offence_proba(head, rows.posts.x[held]) >= OFFENSIVE_AT
        negative = rows.posts.y[held] == "negative"
        out[f"to_{name}"] = {
            "calm_posts": int(np.sum(~negative)),
            "calm_called_offensive": round(float(np.mean(toxic[~negative])), 4),
            "complaints": int(np.sum(negative)),
            "complaints_called_offensive": round(float(np.mean(toxic[negative])), 4) if negative.any() else None,
        }
    return out


def _year(source: str) -> str:
    """``twitter-2016devtest`` -> ``2016``."""
    digits = "".join(ch for ch in source if ch.isdigit())
    return digits[:4] or source


def _sentiment_proba(head: LinearHead, x: sp.csr_matrix) -> NDArray[np.float64]:
    """Probabilities in ``SENTIMENT`` order whatever order the head learnt its classes in."""
    return head.predict_proba(x)[:, [head.classes.index(label) for label in SENTIMENT]]


def _offence_proba(head: LinearHead, x: sp.csr_matrix) -> NDArray[np.float64]:
    """Toxicity: the offence head's probability of "offense"."""
    return head.predict_proba(x)[:, head.classes.index("offense")]
