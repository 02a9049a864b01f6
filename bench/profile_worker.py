"""Where a worker's time goes: one in-process worker over N realistic mentions, profiled.

Fills a private embedded Redis with N mentions (texts as bench/load.py sends them, stamped now,
appended as the API appends them), then drains the stream with one worker, scoring on the
event loop (not in a thread) so that cProfile sees everything. Prints mentions/s, the wall
time of each stage and of the worker's own steps (read, decode, ack), and the functions
with the most time of their own.

    python bench/profile_worker.py [--mentions 30000] [--top 25] [--no-profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import shutil
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from load import CONFIG, stream_texts

import warner.scoring.stage as score_stage
from warner import gc_settings
from warner.config.loading import parse_config
from warner.config.root import WorkerConfig
from warner.ingest.accept import append, resolve
from warner.ingest.brands import BrandMatcher
from warner.mention import Mention
from warner.metrics import Metrics
from warner.service import build_worker
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis
from warner.store.streams import MentionStream


class Timed:
    """Wraps a stage and adds up its wall time and this process's CPU time (Redis's own is not in it)."""

    def __init__(self, stage, totals: dict[str, float], cpu: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
        self.stage, self.name, self.totals, self.cpu = stage, stage.name, totals, cpu

    async def process(self, batch) -> None:  # type: ignore[no-untyped-def]
        t, c = time.perf_counter(), time.process_time()
        await self.stage.process(batch)
        self.totals[self.name] += time.perf_counter() - t
        self.cpu[self.name] += time.process_time() - c


async def main(args: argparse.Namespace) -> None:
    gc_settings.tune()  # as ``warner run`` does
    score_stage._INLINE_BATCH = 10**9  # score on the loop, where the profiler looks
    config = parse_config(
        CONFIG.format(port=0, appendfsync="everysec", worker_batch=WorkerConfig().batch_size, metrics_port="null"),
        "bench.yaml",
    )
    rng = random.Random(1)
    texts = stream_texts(args.mentions, copies=args.copies)
    now = datetime.now(UTC)
    records = [
        {
            "id": f"m{i}",
            "text": texts[i],
            "created_at": (now - timedelta(seconds=30 - i * 20 / args.mentions)).isoformat(),
            "author": f"user{rng.randrange(50_000)}",
            "author_followers": int(rng.paretovariate(1.2) * 50),
        }
        for i in range(args.mentions)
    ]
    tmp = Path(tempfile.mkdtemp(prefix="warner-profile-"))
    server = EmbeddedRedis(tmp / "redis", appendfsync="everysec")
    server.start()
    redis = connect(server.url)
    try:
        resolved = resolve([Mention.model_validate(r) for r in records], "bench", config, BrandMatcher(config.brands))
        for i in range(0, len(resolved), 500):
            await append(MentionStream(redis), resolved[i : i + 500], config, int(time.time() * 1000))
        worker = build_worker(config, redis, Metrics())
        if args.warm:  # a worker that has run a while: the scorer's tables hold the stream's common words
            worker.stages[0].scorer.score(stream_texts(args.warm, seed=2))  # type: ignore[attr-defined]
        totals: dict[str, float] = defaultdict(float)
        cpu: dict[str, float] = defaultdict(float)
        worker.stages = [Timed(s, totals, cpu) for s in worker.stages]
        profile = cProfile.Profile()
        t0, c0 = time.perf_counter(), time.process_time()
        if not args.no_profile:
            profile.enable()
        done = await worker.drain()
        profile.disable()
        elapsed, cpu_all = time.perf_counter() - t0, time.process_time() - c0
    finally:
        await redis.aclose()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    how = "without the profiler" if args.no_profile else "profiled"
    print(f"{done:,} mentions in {elapsed:.2f} s = {done / elapsed:,.0f}/s (one worker, {how})")
    print("                 wall µs/mention   worker CPU µs/mention")
    for name, seconds in totals.items():
        print(f"  stage {name:8s} {seconds / done * 1e6:10.1f} {cpu[name] / done * 1e6:18.1f}")
    rest, rest_cpu = elapsed - sum(totals.values()), cpu_all - sum(cpu.values())
    print(f"  worker (read, decode, ack, metrics) {rest / done * 1e6:.1f} {rest_cpu / done * 1e6:18.1f}")
    if not args.no_profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=30_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--warm", type=int, default=100_000, help="texts scored before the measured run")
    parser.add_argument("--copies", type=float, default=0.0, help="share of texts that repeat an earlier one")
    parser.add_argument("--no-profile", action="store_true", help="stage times only, without cProfile's overhead")
    asyncio.run(main(parser.parse_args()))
