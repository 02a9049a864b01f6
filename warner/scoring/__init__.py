"""Scoring stage: language, sentiment and toxicity of each mention."""

from warner.scoring.base import Scorer, TextScore
from warner.scoring.lexicon import LexiconScorer

__all__ = ["LexiconScorer", "Scorer", "TextScore"]
