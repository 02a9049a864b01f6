"""Scoring stage: language, sentiment and toxicity of each mention."""

from __future__ import annotations

import structlog

from warner.scoring.base import Scorer, TextScore
from warner.scoring.lexicon import LexiconScorer
from warner.scoring.stage import ScoreStage

__all__ = ["LexiconScorer", "ScoreStage", "Scorer", "TextScore", "default_scorer"]


def default_scorer() -> Scorer:
    """The trained models when their artifacts are present, else the lexicon baseline."""
    try:
        from warner.scoring.models import load_scorer
    except ImportError:
        structlog.get_logger(__name__).warning("scoring_models_unavailable", fallback=LexiconScorer.name)
        return LexiconScorer()
    return load_scorer()
