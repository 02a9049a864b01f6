"""A worker child that stops in the middle of a storm batch, before counting it
(run: PYTHONPATH=tests python hanging_worker.py URL).

It processes like any worker until it reads a batch holding a mention from 20:30 on (the height
of the Saturday storm); that batch it neither counts nor acknowledges: it writes
``test:holding`` (the batch size) to Redis and hangs, for the parent to kill it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from support import CONFIG_YAML  # tests/ is on PYTHONPATH

from warner.config.loading import parse_config
from warner.metrics import Metrics
from warner.scoring.lexicon import LexiconScorer
from warner.service import build_stages
from warner.store.connection import connect
from warner.store.streams import MentionStream
from warner.worker import Worker

HEIGHT_OF_THE_STORM = datetime.fromisoformat("2026-11-21T20:30:00+01:00")


class HangMidStorm:
    name = "hang"

    def __init__(self, redis) -> None:
        self.redis = redis

    async def process(self, batch) -> None:
        if any(e.mention.created_at >= HEIGHT_OF_THE_STORM for e in batch):
            await self.redis.set("test:holding", len(batch))
            await asyncio.sleep(3600)


async def main(url: str) -> None:
    config = parse_config(CONFIG_YAML)
    redis = connect(url)
    stages = [HangMidStorm(redis), *build_stages(config, redis, Metrics(), LexiconScorer())]
    await Worker(MentionStream(redis), stages, config.worker, consumer="hangs-mid-storm").run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
