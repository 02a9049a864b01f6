"""The score stage inside the worker, with the shipped models: scores land in the bucket counters."""

from __future__ import annotations

import time
import uuid

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


async def test_copies_show_as_score_cache_hits_in_the_metrics() -> None:
    from warner.pipeline import Envelope
    from warner.scoring.stage import ScoreStage

    metrics = Metrics()
    stage = ScoreStage(default_scorer(), metrics)
    text = f"Kesselberg Pfandautomat kaputt, schon wieder {uuid.uuid4().hex}"  # new to this process's scorer
    batch = [
        Envelope(f"1-{i}", Mention.model_validate({"id": str(i), "source": "api", "text": text, "brand": "kesselberg",
                                                   "created_at": "2026-11-21T19:42:00+01:00"}), 0)
        for i in range(5)
    ]
    await stage.process(batch)

    def value(name: str) -> float:
        return metrics.registry.get_sample_value(name) or 0.0

    assert value("warner_score_cache_lookups_total") == 5
    assert value("warner_score_cache_hits_total") == 4  # the first was scored, four copies remembered
    assert len({e.score for e in batch}) == 1


async def test_a_mention_that_names_no_brand_is_counted_but_not_scored(redis, config):
    """Nothing reads an unmatched mention's scores (no detector, incident or digest): the scorer is spared."""
    text = "Kesselberg verkauft Bier mit Glasscherben, das ist ekelhaft, nie wieder!"
    mentions = [
        Mention.model_validate({"id": f"m{i}", "source": "webhook", "text": text, "brand": brand,
                                "created_at": "2026-11-21T19:42:00+01:00"})
        for i, brand in enumerate(["kesselberg", None, None])
    ]
    await append(MentionStream(redis), mentions, config, int(time.time() * 1000))
    metrics = Metrics()
    assert await build_worker(config, redis, metrics, default_scorer()).drain() == 3
    counter = BucketCounter(redis, config.bucket, config.retention.buckets)
    (branded,) = await counter.read("kesselberg")
    (unmatched,) = await counter.read("_none")
    assert (branded.mentions, branded.negatives) == (1, 1)
    assert (unmatched.mentions, unmatched.negatives, unmatched.toxic) == (2, 0, 0)
    assert metrics.registry.get_sample_value("warner_score_cache_lookups_total") == 1
