"""Ingest benchmark: NDJSON over loopback → API → Redis stream → worker(s) → bucket counters.

Starts a private embedded Redis, one `warner run --role api` process and N
`warner run --role worker` processes, then sends NDJSON batches from this process with a
fixed concurrency. Each batch carries its own bucket (its own minute), so the moment that
bucket's counter reaches the batch size is the moment the whole batch was counted: that
gives ingest-to-counted latency per batch (its slowest mention) without touching the code
under test. Bounded in mentions and in seconds; prints its figures.

    python bench/ingest.py [--mentions 100000] [--batch 500] [--concurrency 4] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import orjson

from warner.store import EmbeddedRedis, connect, keys

CONFIG = """
brands:
  - name: kesselberg
    aliases: ["Kesselberg", "Kesselberger", "@kesselberg_bier"]
bucket: 1m
ingest:
  host: 127.0.0.1
  port: {port}
  max_backlog: 5000000
  max_mentions_per_request: 10000
  sources:
    - name: bench
      token_env: BENCH_TOKEN
worker:
  batch_size: {worker_batch}
retention:
  dedupe: 1h
  buckets: 1d
log:
  level: warning
  format: json
"""

TEXTS = [
    "Glassplitter im Kesselberger Hellen, und die Brauerei schweigt seit Stunden 😡 #kesselberg",
    "@kesselberg_bier wann kommt endlich der Rückruf? Da sind Kinder in Gefahr!!!",
    "Feierabend mit einem kühlen Kesselberger Hellen auf dem Balkon, herrlich 🍺",
    "Kesselberg Brauereiführung am Samstag war super, kann ich nur empfehlen",
]
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def batch_body(batch_no: int, size: int) -> bytes:
    at = (BASE + timedelta(minutes=batch_no)).isoformat()
    lines = []
    for i in range(size):
        lines.append(orjson.dumps({
            "id": f"{batch_no}-{i}", "text": TEXTS[i % len(TEXTS)], "created_at": at,
            "author": f"user{i}", "author_followers": (i * 37) % 5000,
        }))
    return b"\n".join(lines) + b"\n"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="warner-bench-"))
    port = free_port()
    token = secrets.token_urlsafe(16)
    (tmp / "warner.yaml").write_text(CONFIG.format(port=port, worker_batch=args.worker_batch))
    server = EmbeddedRedis(tmp / "redis", appendfsync=args.appendfsync)
    server.start()
    env = {**os.environ, "REDIS_URL": server.url, "BENCH_TOKEN": token, "WARNER_CONFIG": str(tmp / "warner.yaml")}
    procs = [subprocess.Popen([sys.executable, "-m", "warner", "run", "--role", "api"], env=env)]
    procs += [subprocess.Popen([sys.executable, "-m", "warner", "run", "--role", "worker"], env=env)
              for _ in range(args.workers)]
    redis = connect(server.url)
    n_batches = args.mentions // args.batch
    bodies = [batch_body(b, args.batch) for b in range(n_batches)]
    sent_at: dict[int, float] = {}
    http_latency: list[float] = []
    counted_latency: dict[int, float] = {}
    url = f"http://127.0.0.1:{port}/v1/mentions"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    deadline = time.monotonic() + args.max_seconds
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):  # wait for the API (imports take a few seconds)
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
            # warm up: the worker loads its models, the API its caches
            async with http.post(url, data=batch_body(10_000_000, 10), headers=headers) as r:
                assert r.status == 202, await r.text()
            while await redis.xlen(keys.MENTION_STREAM):
                await asyncio.sleep(0.05)

            queue: asyncio.Queue[int] = asyncio.Queue()
            for b in range(n_batches):
                queue.put_nowait(b)

            async def sender() -> None:
                while not queue.empty() and time.monotonic() < deadline:
                    b = queue.get_nowait()
                    if args.rate:  # open loop at a fixed offered rate, so latency is not queueing
                        due = t0 + b * args.batch / args.rate
                        await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    sent_at[b] = time.perf_counter()
                    while True:
                        async with http.post(url, data=bodies[b], headers=headers) as r:
                            if r.status == 202:
                                break
                            if r.status != 503:
                                raise RuntimeError(f"{r.status}: {await r.text()}")
                        await asyncio.sleep(0.05)
                    http_latency.append(time.perf_counter() - sent_at[b])

            async def poller() -> None:
                while time.monotonic() < deadline + 30:
                    outstanding = [b for b in sent_at if b not in counted_latency]
                    if not outstanding and (queue.empty() or time.monotonic() >= deadline) and all(
                            s.done() for s in senders):
                        return
                    if outstanding:
                        async with redis.pipeline(transaction=False) as pipe:
                            for b in outstanding:
                                epoch = int((BASE + timedelta(minutes=b)).timestamp())
                                pipe.hget(keys.bucket("kesselberg", epoch), "mentions")
                            values = await pipe.execute()
                        now = time.perf_counter()
                        for b, value in zip(outstanding, values, strict=True):
                            if value is not None and int(value) >= args.batch:
                                counted_latency[b] = now - sent_at[b]
                    await asyncio.sleep(0.002)

            rss_samples: list[tuple[float, float, float]] = []

            async def sampler() -> None:
                while not all(s.done() for s in senders) or len(counted_latency) < len(sent_at):
                    if time.monotonic() > deadline + 30:
                        return
                    rss_samples.append((time.perf_counter() - t0, rss_mb(procs[0].pid), rss_mb(procs[1].pid)))
                    print(f"  … {time.perf_counter() - t0:5.1f}s sent {len(sent_at) * args.batch:>8,} "
                          f"counted {len(counted_latency) * args.batch:>8,} "
                          f"backlog {await redis.xlen(keys.MENTION_STREAM):>7,}", file=sys.stderr)
                    await asyncio.sleep(1)

            t0 = time.perf_counter()
            senders = [asyncio.create_task(sender()) for _ in range(args.concurrency)]
            await asyncio.gather(asyncio.create_task(poller()), asyncio.create_task(sampler()), *senders)
            elapsed = time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        await redis.aclose()
        server.stop()

    sent = len(sent_at) * args.batch
    counted = len(counted_latency) * args.batch
    print(f"warner ingest benchmark — {args.workers} worker(s), batch {args.batch}, concurrency {args.concurrency}, "
          f"appendfsync {args.appendfsync}, offered rate {args.rate or 'unlimited'}")
    print(f"  mentions sent {sent:,}, counted {counted:,} in {elapsed:.1f} s")
    print(f"  sustained throughput        {counted / elapsed:,.0f} mentions/s (ingest → counted)")
    print(f"  HTTP 202 latency per batch  p50 {percentile(http_latency, .5) * 1000:.1f} ms   "
          f"p99 {percentile(http_latency, .99) * 1000:.1f} ms")
    lat = list(counted_latency.values())
    print(f"  ingest→counted per batch    p50 {percentile(lat, .5) * 1000:.1f} ms   "
          f"p99 {percentile(lat, .99) * 1000:.1f} ms   (mean {statistics.fmean(lat) * 1000:.1f} ms)" if lat else "")
    if rss_samples:
        print("  RSS MB (api, worker) over time: " + ", ".join(
            f"{t:.0f}s {a:.0f}/{w:.0f}" for t, a, w in rss_samples[:: max(1, len(rss_samples) // 8)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="mentions per HTTP request")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker-batch", type=int, default=500, help="entries per XREADGROUP")
    parser.add_argument("--appendfsync", choices=["always", "everysec"], default="always")
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--rate", type=float, default=0,
                        help="offered load in mentions/s (default 0: as fast as the API accepts)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
