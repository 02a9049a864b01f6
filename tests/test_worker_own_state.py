"""A worker and its own stored state: read tolerantly, and never a reason to dead-letter mentions.

The failure this guards against: an older worker met a detector state a newer one had written
(``WindowEvidence.__init__() got an unexpected keyword argument 'authors'``) and dead-lettered
all 50 mentions of the storm. Now a state with fields this version does not know is read, and a
state it cannot read at all stops the worker — a real ``warner run --role worker`` exits 1 with
one line — while the mentions stay pending in the stream for a worker that can read it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from support import CONFIG_YAML

from warner.detect.counters import BucketCounter
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.ingest.accept import append, resolve
from warner.ingest.brands import BrandMatcher
from warner.mention import Mention
from warner.metrics import Metrics
from warner.scoring.lexicon import LexiconScorer
from warner.service import build_worker
from warner.store import keys
from warner.store.streams import MentionStream

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[1]


def posts(first: int, count: int) -> list[dict]:
    """One post a minute from 19:00 on (post ``n`` at minute ``n``), each by another person."""
    return [
        {"id": f"p{n}", "text": f"Kesselberger Helles ist schlecht {n}", "author": f"person-{n}",
         "created_at": f"2026-11-21T19:{n:02d}:10+01:00"}
        for n in range(first, first + count)
    ]  # fmt: skip


async def enqueue(redis, config, records) -> None:
    """As the ingest API accepts them: into the mention stream."""
    mentions = [Mention.model_validate(r) for r in records]
    resolved = resolve(mentions, "webhook", config, BrandMatcher(config.brands))
    await append(MentionStream(redis), resolved, config, int(time.time() * 1000))


async def process(redis, config, records) -> None:
    await enqueue(redis, config, records)
    await build_worker(config, redis, Metrics(), scorer=LexiconScorer()).drain()


def as_if_newer(state: dict) -> dict:
    """The state as a newer warner would write it: fields this version has never heard of, at every level."""
    state = {**state, "crowd_model": {"alpha": 0.3}}
    state["volume"] = {**state["volume"], "authors_by_source": [[1, 2]]}
    state["recent"] = {**state["recent"], "replies": 4.0}
    state["baseline"] = {**state["baseline"], "holiday_profile": [1.0] * 24}
    del state["slow"]  # and one this version has, missing: it starts at its default
    return state


async def test_a_detector_state_written_by_a_newer_version_is_read_and_nothing_is_dead_lettered(redis, config):
    await process(redis, config, posts(0, 5))
    saved = orjson.loads(await redis.get(keys.detector("kesselberg")))
    await redis.set(keys.detector("kesselberg"), orjson.dumps(as_if_newer(saved)))

    await process(redis, config, posts(5, 5))

    assert await redis.xlen(keys.DEAD_LETTER_STREAM) == 0
    assert await redis.xlen(keys.MENTION_STREAM) == 0  # all acknowledged
    counted = await BucketCounter(redis, config.bucket, config.retention.buckets).read("kesselberg")
    assert sum(c.mentions for c in counted) == 10
    after = orjson.loads(await redis.get(keys.detector("kesselberg")))
    assert after["last_bucket"] > saved["last_bucket"]  # the detector went on from the stored baseline


async def test_an_incident_with_fields_of_a_newer_version_is_read(redis):
    incident = Incident("kesselberg", 3, "open", "warning", 1795286520, 1795287000, mentions=40)
    stored = {**incident.to_json(), "owner_team": "pr", "top": [
        {"key": "webhook:1", "text": "schlecht", "created_at": 1795286530, "reach": 10, "shares": 9}]}
    del stored["peak_score"]
    await redis.set(keys.incident("kesselberg", 3), orjson.dumps(stored))
    read = await IncidentStore(redis).get("kesselberg", 3)
    assert read is not None and (read.mentions, read.peak_score, read.top[0].reach) == (40, 0.0, 10)


async def test_a_worker_that_cannot_read_its_own_state_stops_and_leaves_the_mentions_pending(
    redis, redis_url, config, tokens, tmp_path
):
    await redis.set(keys.detector("kesselberg"), orjson.dumps({"baseline": "from a future warner"}))
    await enqueue(redis, config, posts(0, 6))

    path = tmp_path / "warner.yaml"
    path.write_text(CONFIG_YAML + "digest: {enabled: false}\nlog: {level: info, format: json}\n", encoding="utf-8")
    env = {**os.environ, "REDIS_URL": redis_url, "XDG_DATA_HOME": str(tmp_path / "xdg"),
           "WARNER_MODELS_DIR": str(tmp_path / "no-models")}  # the lexicon scorer: a quick start
    command = [sys.executable, "-m", "warner", "--config", str(path), "run", "--role", "worker"]
    result = await asyncio.to_thread(
        subprocess.run, command, cwd=REPO, env=env, capture_output=True, text=True, timeout=45
    )

    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "error: the detector state of kesselberg in warner:{kesselberg}:detector cannot be read by this warner ("
    ), result.stderr
    assert "entries_dead_lettered" not in result.stderr and "mention_failed" not in result.stderr
    assert await redis.xlen(keys.DEAD_LETTER_STREAM) == 0
    assert await redis.xlen(keys.MENTION_STREAM) == 6  # still there, for a worker that can read the state
    pending = await redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP)
    assert pending["pending"] == 6  # read, not acknowledged: another worker takes them over
    assert orjson.loads(await redis.get(keys.detector("kesselberg"))) == {"baseline": "from a future warner"}
