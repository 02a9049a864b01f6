"""Redis memory per processed mention, by key family: the figures of "Sizing" in deploy/OPERATIONS.md.

``bench/load.py`` measures throughput flat out, when Redis mostly holds the backlog. What a
deployment must budget is what stays once mentions are processed: the dedupe marker (kept
``retention.dedupe``), each bucket's sets of counted mentions and fresh authors (kept
``retention.buckets``), and a few sets trimmed to hours. This sends ``--mentions`` mentions
at ``--per-minute`` (spread over the past, two brands, authors re-appearing now and then)
through the real ingest append and a real worker into a private redis-server, then prints
the growth of ``used_memory`` per mention and ``MEMORY USAGE`` summed per key family.

    python bench/redis_memory.py --mentions 20000 --per-minute 70     # 100,000 a day
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from warner.config.loading import parse_config
from warner.ingest.accept import append, resolve
from warner.ingest.brands import BrandMatcher
from warner.mention import Mention
from warner.metrics import Metrics
from warner.service import build_worker
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis
from warner.store.streams import MentionStream

CONFIG = """
brands:
  - {name: kesselberg, aliases: ["Kesselberg", "Kesselberger"]}
  - {name: bergblick, aliases: ["Bergblick Reisen"]}
bucket: 1m
ingest:
  max_backlog: 10000000
  sources: [{name: webhook, token_env: BENCH_TOKEN}]
retention: {dedupe: 7d, buckets: 35d}
"""
TEXTS = (
    "Kesselberger Hell schmeckt heute wieder richtig gut",
    "Bergblick Reisen hat meine Buchung storniert, unmöglich!",
    "Kesselberg Radler im Sommer am See",
)


def records(count: int, per_minute: float, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(minutes=count / per_minute + 5)
    return [
        {
            "id": str(n),
            "text": rng.choice(TEXTS),
            "created_at": (start + timedelta(seconds=60 * n / per_minute)).isoformat(),
            "author": f"user-{rng.randrange(count)}",
        }
        for n in range(count)
    ]


async def process(redis: Any, config: Any, batch: list[dict[str, Any]]) -> None:
    mentions = resolve([Mention.model_validate(r) for r in batch], "webhook", config, BrandMatcher(config.brands))
    for i in range(0, len(mentions), 500):
        result = await append(MentionStream(redis), mentions[i : i + 500], config, int(time.time() * 1000))
        assert not result.backlog_full
    await build_worker(config, redis, Metrics()).drain()


def family(key: str) -> str:
    key = re.sub(r":seen:[^:]+:.*", ":seen:<source>:<id>", key)
    return re.sub(r"\d{6,}", "<epoch>", key)


async def measure(count: int, per_minute: float) -> None:
    os.environ.setdefault("BENCH_TOKEN", "bench")
    tmp = Path(tempfile.mkdtemp(prefix="warner-memory-"))
    server = EmbeddedRedis(tmp, appendfsync="everysec")
    server.start()
    redis = connect(server.url)
    try:
        config = parse_config(CONFIG)
        data = records(count + 200, per_minute)
        await process(redis, config, data[:200])  # scripts loaded, detector state written: not per mention
        before = int((await redis.info("memory"))["used_memory"])
        await process(redis, config, data[200:])
        after = int((await redis.info("memory"))["used_memory"])
        sizes: Counter[str] = Counter()
        async for key in redis.scan_iter(count=1000):
            sizes[family(key.decode())] += await redis.memory_usage(key, samples=0) or 0
        print(f"{count} mentions at {per_minute:g}/min: used_memory grew {(after - before) / count:.0f} B per mention")
        for name, size in sizes.most_common(14):
            print(f"  {name:48} {size / (count + 200):7.1f} B per mention")
    finally:
        await redis.aclose()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=20000)
    parser.add_argument("--per-minute", type=float, default=70, help="70 a minute is 100,000 a day")
    args = parser.parse_args()
    asyncio.run(measure(args.mentions, args.per_minute))


if __name__ == "__main__":
    main()
