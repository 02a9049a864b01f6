"""A real worker in a child process, for the crash tests (run: python worker_proc.py URL MODE).

MODE ``hang-after-count``: counts the first batch, writes ``test:counted`` to Redis and then
hangs before acknowledging — the parent kills it with SIGKILL at exactly that point.
MODE ``run``: an ordinary worker that processes until killed.
"""

from __future__ import annotations

import asyncio
import sys

from warner.config.loading import parse_config
from warner.metrics import Metrics
from warner.scoring.lexicon import LexiconScorer
from warner.service import build_stages
from warner.store.connection import connect
from warner.store.streams import MentionStream
from warner.worker import Worker

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from support import CONFIG_YAML


class HangAfterCount:
    name = "hang"

    def __init__(self, redis) -> None:
        self.redis = redis

    async def process(self, batch) -> None:
        await self.redis.set("test:counted", len(batch))
        await asyncio.sleep(3600)


async def main(url: str, mode: str) -> None:
    config = parse_config(CONFIG_YAML)
    redis = connect(url)
    metrics = Metrics()
    stages = build_stages(config, redis, metrics, LexiconScorer())
    if mode == "hang-after-count":
        stages.append(HangAfterCount(redis))
    worker = Worker(MentionStream(redis), stages, config.worker, metrics=metrics, consumer=f"child-{mode}")
    await worker.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
