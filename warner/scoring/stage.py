"""The score stage: annotates every envelope with language, sentiment and toxicity."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from warner.scoring.base import Scorer

if TYPE_CHECKING:  # pipeline imports scoring.base; avoid the cycle at run time
    from warner.pipeline import Envelope

_INLINE_BATCH = 32  # smaller batches are scored on the loop; larger ones in a thread


class ScoreStage:
    name = "score"

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer

    async def process(self, batch: Sequence[Envelope]) -> None:
        texts = [e.mention.text for e in batch]
        langs = [e.mention.lang for e in batch]
        if len(batch) <= _INLINE_BATCH:
            scores = self.scorer.score(texts, langs)
        else:  # keep the event loop (and so the ingest API) responsive while models run
            scores = await asyncio.to_thread(self.scorer.score, texts, langs)
        for envelope, score in zip(batch, scores, strict=True):
            envelope.score = score
