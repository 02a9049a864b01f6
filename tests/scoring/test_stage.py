"""The score stage inside the worker, with the shipped models: scores land in the bucket counters."""

from __future__ import annotations

import time

from warner.detect.counters import BucketCounter
from warner.ingest.accept import append
from warner.mention import Mention
from warner.metrics import Metrics
from warner.scoring.models import ModelScorer, default_scorer
from warner.service import build_worker
from warner.store.streams import MentionStream


async def test_the_worker_counts_negative_toxic_and_negative_reach_from_the_models(redis, config):
    scorer = default_scorer()
    assert isinstance(scorer, ModelScorer), "the shipped artifacts should load"
    texts = {
        "calm": ("Kesselberg Brauereiführung war super, kann ich nur empfehlen, danke!", 10),
        "angry": (
            "Kesselberg verkauft Bier mit Glasscherben, das ist ekelhaft und lebensgefährlich, nie wieder!",
            1000,
        ),
        "toxic": ("Kesselberg ihr dummen Idioten, ihr Arschlöcher gehört eingesperrt", 5),
    }
    mentions = [
        Mention.model_validate(
            {
                "id": key,
                "source": "webhook",
                "brand": "kesselberg",
                "text": text,
                "author_followers": followers,
                "created_at": "2026-11-21T19:42:00+01:00",
            }
        )
        for key, (text, followers) in texts.items()
    ]
    scores = dict(zip(texts, scorer.score([m.text for m in mentions]), strict=True))
    assert scores["toxic"].sentiment == "negative" and scores["calm"].sentiment == "positive"
    assert scores["toxic"].offensive and not scores["calm"].offensive
    await append(MentionStream(redis), mentions, config, int(time.time() * 1000))
    assert await build_worker(config, redis, Metrics(), scorer).drain() == 3
    (bucket,) = await BucketCounter(redis, config.bucket, config.retention.buckets).read("kesselberg")
    negatives = [k for k, s in scores.items() if s.sentiment == "negative"]
    assert bucket.mentions == 3
    assert bucket.negatives == len(negatives)
    assert bucket.toxic == sum(s.offensive for s in scores.values())
    assert bucket.neg_reach == sum(texts[k][1] for k in negatives)
