"""Scoring stage: language, sentiment and toxicity of each mention."""

from warner.scoring.base import Scorer, TextScore
from warner.scoring.lexicon import LexiconScorer
from warner.scoring.models import ModelScorer, load_scorer
from warner.scoring.stage import ScoreStage

__all__ = ["LexiconScorer", "ModelScorer", "ScoreStage", "Scorer", "TextScore", "default_scorer", "load_scorer"]


def default_scorer() -> Scorer:
    """The trained models when their artifacts are present, else the lexicon baseline."""
    return load_scorer()
