"""The score stage: annotates every envelope of a brand with language, sentiment and toxicity.

A mention that names no brand is counted (under ``_none``: how many, their reach) and
nothing more: no detector watches it, no incident lists it and no digest reads its words, so
nothing would read its scores. It stays unscored (``score`` None). On a feed where a third of
the posts name no brand, scoring them had been a third of the scorer's work.

A scorer that remembers texts (``ModelScorer``: copies and retweets are scored once) counts its
``lookups`` and ``hits``; the stage reports them as ``warner_score_cache_*``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from warner.metrics import Metrics
from warner.scoring.base import Scorer

if TYPE_CHECKING:  # pipeline imports scoring.base; avoid the cycle at run time
    from warner.pipeline import Envelope

_INLINE_BATCH = 32  # smaller batches are scored on the loop; larger ones in a thread


class ScoreStage:
    name = "score"

    def __init__(self, scorer: Scorer, metrics: Metrics | None = None) -> None:
        self.scorer = scorer
        self.metrics = metrics
        self._lookups = getattr(scorer, "lookups", 0)
        self._hits = getattr(scorer, "hits", 0)

    async def process(self, batch: Sequence[Envelope]) -> None:
        batch = [e for e in batch if e.brand is not None]  # see the module docstring
        if not batch:
            return
        texts = [e.mention.text for e in batch]
        langs = [e.mention.lang for e in batch]
        if len(batch) <= _INLINE_BATCH:
            scores = self.scorer.score(texts, langs)
        else:  # keep the event loop (and so the ingest API) responsive while models run
            scores = await asyncio.to_thread(self.scorer.score, texts, langs)
        for envelope, score in zip(batch, scores, strict=True):
            envelope.score = score
        self._report()

    def _report(self) -> None:
        lookups, hits = getattr(self.scorer, "lookups", None), getattr(self.scorer, "hits", None)
        if self.metrics is None or not isinstance(lookups, int) or not isinstance(hits, int):
            return
        # The scorer's counts are per process (the scorer is shared); the counters follow them.
        self.metrics.score_lookups.inc(max(0, lookups - self._lookups))
        self.metrics.score_hits.inc(max(0, hits - self._hits))
        self._lookups, self._hits = lookups, hits
