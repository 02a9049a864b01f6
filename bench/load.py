"""Load benchmark: sustained NDJSON ingest through the whole pipeline, 1..N workers.

For each worker count it starts a private embedded Redis, one ``warner run --role api``
process and N ``warner run --role worker`` processes (each its own consumer in the group,
each serving /metrics), then POSTs NDJSON over loopback. Every mention goes through the
API (auth, parse, brand matching, durable append), then a worker: score (language,
sentiment, toxicity), count, detect (incidents), acknowledge.

Mentions are realistic: the texts of all scenarios (German and English, storm posts,
gripes, praise, look-alikes) with two words of a Zipf-distributed German/English vocabulary,
a tail and a number, so that no two texts are alike; a share of them (``--fresh``, 20 %)
carries a word never seen before, and ``--copies`` of them repeat an earlier text exactly
(retweets). 50,000 authors, three brands, stamped with the time they are sent. Requests
are built from templates, so the benchmark client spends microseconds per request and
leaves the CPU to what is measured.

Printed per worker count:
- sustained throughput: mentions acknowledged by the workers per second (steady part,
  after a warm-up), and what the API accepted;
- the **floor** of the design, in the same run: the same API, stream and worker loop with
  the stages left out (``bench/floor_worker.py``: decode and acknowledge only), and
  full/floor, the share of the possible that the stages leave;
- ingest-to-decision latency p50/p99: from the API's acceptance to the end of the
  pipeline, per mention, read from the workers' ``warner_ingest_to_decision_seconds``
  histograms (interpolated within buckets);
- CPU per mention of the API, the workers and Redis; Redis's CPU per mention by command
  (``INFO commandstats``; a script's commands count inside ``evalsha`` as well);
- the score cache's hit rate (copies scored once);
- RSS of the API, each worker and Redis over time;
- a check: after draining, the bucket counters hold exactly the accepted mentions (none
  lost, none counted twice).

``--rate R`` offers a fixed R mentions/s (open loop: latency without self-made queueing);
without it the client keeps ``--concurrency`` requests in flight (closed loop: the API
then accepts faster than the workers take, and its CPU is taken from them — the open loop
at rising rates tells the sustainable rate). ``--soak 1800`` runs one configuration for
half an hour at ``--rate`` and prints RSS every ``--sample`` seconds, with the growth per
hour after the first quarter.

    python bench/load.py                              # 1 and 2 workers, 30 s each, flat out, and the floor
    python bench/load.py --workers 2 --rate 10000     # latency at a given load
    python bench/load.py --workers 2 --rate 10000 --soak 1800 --sample 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson
from rich.console import Console
from rich.table import Table

from warner.config.loading import parse_config
from warner.config.root import WorkerConfig
from warner.ingest.brands import BrandMatcher
from warner.scenarios import SCENARIOS
from warner.store import keys
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis

console = Console(stderr=True)

CONFIG = """
brands:
  - name: kesselberg
    aliases: ["Kesselberg", "Kesselberger", "@kesselberg_bier"]
    exclude: ["Kesselberg-Tunnel"]
  - name: bergblick
    aliases: ["Bergblick Reisen"]
  - name: lindenhof
    aliases: ["Lindenhof", "Molkerei Lindenhof"]
bucket: 1m
ingest:
  host: 127.0.0.1
  port: {port}
  max_backlog: 5000000
  max_mentions_per_request: 10000
  max_body_bytes: 16777216
  sources:
    - name: bench
      token_env: BENCH_TOKEN
redis:
  appendfsync: {appendfsync}
worker:
  batch_size: {worker_batch}
  metrics_port: {metrics_port}
retention:
  dedupe: 1h
  buckets: 1d
digest:
  enabled: false
log:
  level: warning
  format: json
"""

TEMPLATES = 64
TS = b"2000-01-01T00:00:00.000000+00:00"  # replaced by the send time (same length)
REQ = b"RQRQRQRQRQ"  # replaced by the request number (same length)
WORD = b"QQQQQQ"  # replaced by the request number in letters: a word never seen before
SLOTS = [b"QWQWA", b"QWQWB", b"QWQWC", b"QWQWD", b"QWQWE", b"QWQWF", b"QWQWG", b"QWQWH"]  # a common word each


def vocabulary(draws: int = 100_000, seed: int = 2) -> list[str]:
    """``draws`` words as a stream uses them: from the 20,000 most common German words and 10,000
    English ones (wordfreq), the word of rank r drawn with probability proportional to 1/r (Zipf)."""
    from wordfreq import top_n_list

    both = zip(top_n_list("de", 20_000), top_n_list("en", 20_000), strict=False)
    ranked = list(dict.fromkeys(w for pair in both for w in pair))[:30_000]
    return random.Random(seed).choices(ranked, weights=[1 / r for r in range(1, len(ranked) + 1)], k=draws)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def corpus() -> list[str]:
    """Every distinct text of every scenario, with the third brand in a share of them."""
    texts = sorted({m["text"] for make in SCENARIOS.values() for m in make(1).mentions})
    return texts + [t.replace("Kesselberger", "Lindenhof").replace("Kesselberg", "Molkerei Lindenhof") for t in texts]


TAILS = ["", "", "😡", "!!", "#fail", "@kesselberg_bier", "https://t.co/x1", "echt jetzt?", "wtf", "danke"]


def stream_texts(n: int, copies: float = 0.0, fresh: float = 0.2, seed: int = 1) -> list[str]:
    """``n`` texts as the load's requests carry them once filled in (see ``templates``), for in-process benches."""
    rng = random.Random(seed)
    texts, words = corpus(), vocabulary(seed=seed)
    out: list[str] = []
    for i in range(n):
        if out and rng.random() < copies:
            out.append(rng.choice(out))
            continue
        new = f" {letters(i, 8)}" if rng.random() < fresh else ""
        out.append(f"{rng.choice(texts)} {words[2 * i % len(words)]} {rng.choice(TAILS)} {rng.randrange(10**6)} "
                   f"{words[(2 * i + 1) % len(words)]}{new}")
    return out


def letters(n: int, width: int) -> str:
    """``n`` in base 26, as lower-case letters."""
    out = ""
    for _ in range(width):
        n, digit = divmod(n, 26)
        out = chr(ord("a") + digit) + out
    return out


def request_word(request_no: int) -> bytes:
    return letters(request_no, len(WORD)).encode()


def templates(batch: int, copies: float = 0.0, fresh: float = 0.2, seed: int = 1, branded: bool = False) -> list[bytes]:
    """NDJSON bodies with placeholders for the send time, the request number and words.

    A text is a scenario text, a tail, a number and two word slots that each request fills
    with words of its own (``SLOTS``, from ``vocabulary``): texts are new all the time, as in a real
    stream, and the scorer cannot get by remembering whole texts. A ``fresh`` share of them
    also ends in a word never seen before (the request's and the line's number in letters),
    as names, typos and new hashtags come in a real stream. Then ``copies`` of the lines repeat an
    earlier line's text exactly, as retweets and copy-paste campaigns do.

    About a third of the scenario texts name none of the three brands (look-alikes, other
    companies): warner counts those as unmatched and does not score them. ``branded`` puts a
    brand's name before each of them, for a stream in which every post names a brand.
    """
    rng = random.Random(seed)
    texts = corpus()
    if branded:
        config = parse_config(CONFIG.format(port=0, appendfsync="everysec", worker_batch=1, metrics_port="null"), "b")
        matcher, names = BrandMatcher(config.brands), [brand.aliases[0] for brand in config.brands]
        texts = [t if matcher.first(t) else f"{rng.choice(names)} {t}" for t in texts]
    bodies = []
    for _ in range(TEMPLATES):
        lines = []
        written: list[str] = []
        for i in range(batch):
            if written and rng.random() < copies:
                text = rng.choice(written)
            else:
                first, second = (slot.decode() for slot in rng.sample(SLOTS, 2))
                new = f" {WORD.decode()}{letters(i, 2)}" if rng.random() < fresh else ""
                text = f"{rng.choice(texts)} {first} {rng.choice(TAILS)} {rng.randrange(10**6)} {second}{new}"
                written.append(text)
            record = {
                "id": f"{REQ.decode()}-{i:05d}",
                "text": text,
                "created_at": TS.decode(),
                "author": f"user{rng.randrange(50_000)}",
                "author_followers": int(rng.paretovariate(1.2) * 50),
            }
            lines.append(orjson.dumps(record))
        bodies.append(b"\n".join(lines) + b"\n")
    return bodies


def histogram_quantile(buckets: list[tuple[float, float]], q: float) -> float:
    """Prometheus-style quantile from cumulative (upper bound, count) pairs."""
    total = buckets[-1][1] if buckets else 0
    if not total:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, cumulative in buckets:
        if cumulative >= rank:
            if upper == float("inf"):
                return lower
            inside = cumulative - below
            return lower + (upper - lower) * ((rank - below) / inside if inside else 0)
        lower, below = upper, cumulative
    return lower


async def wait_until_up(http: aiohttp.ClientSession, url: str, seconds: float = 60) -> None:
    for _ in range(int(seconds / 0.05)):
        try:
            async with http.get(url) as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


async def scrape_decisions(http: aiohttp.ClientSession, ports: list[int]) -> list[tuple[float, float]]:
    """Sum the workers' ingest-to-decision histograms."""
    summed: dict[float, float] = {}
    for port in ports:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
            text = await r.text()
        for line in text.splitlines():
            if line.startswith("warner_ingest_to_decision_seconds_bucket"):
                le = line.split('le="', 1)[1].split('"', 1)[0]
                bound = float("inf") if le == "+Inf" else float(le)
                summed[bound] = summed.get(bound, 0.0) + float(line.rsplit(" ", 1)[1])
    return sorted(summed.items())


async def scrape_sums(http: aiohttp.ClientSession, ports: list[int]) -> dict[str, float]:
    """Every sample without labels, summed over the workers (counters such as the score cache's)."""
    summed: dict[str, float] = {}
    for port in ports:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
            for line in (await r.text()).splitlines():
                if line and not line.startswith("#") and "{" not in line:
                    name, value = line.rsplit(" ", 1)
                    summed[name] = summed.get(name, 0.0) + float(value)
    return summed


@dataclass
class Run:
    workers: int
    floor: bool = False
    accepted: int = 0
    http_errors: int = 0
    steady_rate: float = 0.0
    accepted_rate: float = 0.0
    p50: float = float("nan")
    p99: float = float("nan")
    counted: int = 0
    rss: list[tuple[float, float, list[float], float]] = field(default_factory=list)
    elapsed: float = 0.0
    cpu_us: dict[str, float] = field(default_factory=dict)  # CPU µs per processed mention, by process
    redis_us: dict[str, float] = field(default_factory=dict)  # Redis CPU µs per mention, by command
    aof_rewrites: int = 0  # during the run: each forks Redis and copies the data set, on the same cores
    client_us: float = 0.0  # this benchmark's own CPU µs per mention (it shares the cores)
    worker_metrics: dict[str, float] = field(default_factory=dict)  # summed over the workers' /metrics


FLOOR_WORKER = str(Path(__file__).resolve().parent / "floor_worker.py")


async def run_once(args: argparse.Namespace, workers: int, bodies: list[bytes], seconds: float,
                   floor: bool = False) -> Run:
    words = [orjson.dumps(w)[1:-1] for w in vocabulary()]  # JSON-escaped, to go inside the texts
    tmp = Path(tempfile.mkdtemp(prefix="warner-load-"))
    port = free_port()
    token = secrets.token_urlsafe(16)
    server = EmbeddedRedis(tmp / "redis", appendfsync=args.appendfsync)
    server.start()
    env = {**os.environ, "REDIS_URL": server.url, "BENCH_TOKEN": token}
    metric_ports = [free_port() for _ in range(workers)]

    def config(metrics_port: int | str) -> str:
        path = tmp / f"warner-{metrics_port}.yaml"
        path.write_text(
            CONFIG.format(
                port=port, appendfsync=args.appendfsync, worker_batch=args.worker_batch, metrics_port=metrics_port
            )
        )
        return str(path)

    def start(role: str, cfg: str) -> subprocess.Popen[bytes]:
        program = [FLOOR_WORKER] if floor and role == "worker" else ["-m", "warner"]
        return subprocess.Popen([sys.executable, *program, "run", "--role", role], env={**env, "WARNER_CONFIG": cfg})

    procs = [start("api", config("null"))] + [start("worker", config(p)) for p in metric_ports]
    redis = connect(server.url)
    redis_pid = int((await redis.info("server"))["process_id"])
    result = Run(workers, floor)
    url = f"http://127.0.0.1:{port}/v1/mentions"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    try:
        async with aiohttp.ClientSession() as http:
            # The processes import scikit-learn and load the models first.
            await wait_until_up(http, f"http://127.0.0.1:{port}/readyz")
            for metrics_port in metric_ports:
                await wait_until_up(http, f"http://127.0.0.1:{metrics_port}/metrics")

            watched = {"api": procs[0].pid, "workers": None, "redis": redis_pid}
            cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items() if pid}
            cpu_before["workers"] = sum(cpu_seconds(p.pid) for p in procs[1:])
            await redis.config_resetstat()
            forks_before = int((await redis.info("stats"))["total_forks"])
            client_before = time.process_time()
            request_no = 0
            stop_at = time.monotonic() + seconds
            t0 = time.monotonic()

            async def post() -> None:
                nonlocal request_no
                request_no += 1
                stamp = datetime.now(UTC).isoformat(timespec="microseconds").encode()
                body = (bodies[request_no % len(bodies)].replace(TS, stamp).replace(REQ, b"%010d" % request_no)
                        .replace(WORD, request_word(request_no)))
                for k, slot in enumerate(SLOTS):
                    body = body.replace(slot, words[(request_no * len(SLOTS) + k) % len(words)])
                while True:
                    async with http.post(url, data=body, headers=headers) as r:
                        if r.status == 202:
                            result.accepted += (await r.json())["accepted"]
                            return
                        result.http_errors += 1
                        if r.status != 503:
                            raise RuntimeError(f"{r.status}: {await r.text()}")
                    await asyncio.sleep(0.05)

            async def closed_loop() -> None:
                while time.monotonic() < stop_at:
                    await post()

            async def open_loop(lane: int, lanes: int) -> None:
                every = args.batch / args.rate * lanes
                due = t0 + lane * every / lanes
                while due < stop_at:
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    await post()
                    due += every

            lanes = args.concurrency if not args.rate else max(args.concurrency, 8)
            senders = [asyncio.create_task(open_loop(i, lanes) if args.rate else closed_loop()) for i in range(lanes)]
            samples: list[tuple[float, int]] = []
            last_print = 0.0
            while not all(s.done() for s in senders):
                await asyncio.sleep(1)
                at = time.monotonic() - t0
                processed = result.accepted - await redis.xlen(keys.MENTION_STREAM)
                samples.append((at, processed))
                if at - last_print >= args.sample or not result.rss:
                    last_print = at
                    worker_rss = [rss_mb(p.pid) for p in procs[1:]]
                    result.rss.append((at, rss_mb(procs[0].pid), worker_rss, rss_mb(redis_pid)))
                    console.print(
                        f"  {at:6.0f}s accepted {result.accepted:>10,}  processed {processed:>10,}  "
                        f"backlog {result.accepted - processed:>8,}  RSS MB api {result.rss[-1][1]:.0f} "
                        f"workers {'/'.join(f'{w:.0f}' for w in worker_rss)} redis {result.rss[-1][3]:.0f}"
                    )
            for s in senders:
                s.result()
            sending = time.monotonic() - t0
            while await redis.xlen(keys.MENTION_STREAM) and time.monotonic() - t0 < sending + 120:
                await asyncio.sleep(0.1)
            result.elapsed = time.monotonic() - t0
            cpu_after = {name: cpu_seconds(pid) for name, pid in watched.items() if pid}
            cpu_after["workers"] = sum(cpu_seconds(p.pid) for p in procs[1:])
            result.cpu_us = {k: (cpu_after[k] - cpu_before[k]) / max(result.accepted, 1) * 1e6 for k in cpu_after}
            warm = min(args.warmup, sending / 3)
            steady = [(t, n) for t, n in samples if warm <= t <= sending]
            if len(steady) >= 2:
                result.steady_rate = (steady[-1][1] - steady[0][1]) / (steady[-1][0] - steady[0][0])
            result.accepted_rate = result.accepted / sending
            stats = await redis.info("commandstats")
            result.aof_rewrites = int((await redis.info("stats"))["total_forks"]) - forks_before
            result.client_us = (time.process_time() - client_before) / max(result.accepted, 1) * 1e6
            result.redis_us = {name.removeprefix("cmdstat_"): row["usec"] / max(result.accepted, 1)
                               for name, row in stats.items()}
            result.worker_metrics = await scrape_sums(http, metric_ports)
            decisions = await scrape_decisions(http, metric_ports)
            result.p50 = histogram_quantile(decisions, 0.5)
            result.p99 = histogram_quantile(decisions, 0.99)
            result.counted = await counted_mentions(redis)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        await redis.aclose()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # a soak leaves gigabytes of AOF
    return result


async def counted_mentions(redis) -> int:  # type: ignore[no-untyped-def]
    """Sum of every brand's bucket counters (``_none`` included)."""
    total = 0
    async for key in redis.scan_iter(match=f"{keys.PREFIX}:*:bucket:*", count=1000):
        if key.count(b":") == 3:  # warner:{brand}:bucket:<epoch>, not its :seen/:authors sets
            total += int(await redis.hget(key, "mentions") or 0)
    return total


def report(args: argparse.Namespace, runs: list[Run]) -> None:
    table = Table(
        title=f"warner load — batch {args.batch}, appendfsync {args.appendfsync}, copies {args.copies:.0%}, "
        f"fresh words {args.fresh:.0%}, {'every post names a brand' if args.branded else 'a third name no brand'}, "
        f"{'offered ' + format(args.rate, ',.0f') + '/s' if args.rate else 'closed loop'}, "
        f"{os.cpu_count()} cores"
    )
    for col in (
        "workers",
        "stages",
        "processed/s (steady)",
        "accepted/s",
        "p50 ms",
        "p99 ms",
        "accepted",
        "counted",
        "CPU µs/mention api / workers / redis",
        "RSS MB api / workers / redis (end)",
    ):
        table.add_column(col, justify="right")
    for r in runs:
        _, api, workers, redis_mb = r.rss[-1] if r.rss else (0, float("nan"), [], float("nan"))
        counted_ok = r.floor or r.counted == r.accepted
        table.add_row(
            str(r.workers),
            "floor" if r.floor else "all",
            f"{r.steady_rate:,.0f}",
            f"{r.accepted_rate:,.0f}",
            f"{r.p50 * 1000:,.0f}",
            f"{r.p99 * 1000:,.0f}",
            f"{r.accepted:,}",
            ("-" if r.floor else f"{r.counted:,}") + ("" if counted_ok else "  MISMATCH"),
            " / ".join(f"{r.cpu_us.get(k, float('nan')):.0f}" for k in ("api", "workers", "redis")),
            f"{api:.0f} / {'/'.join(f'{w:.0f}' for w in workers)} / {redis_mb:.0f}",
        )
    Console(width=200).print(table)
    for r in runs:
        if r.floor:
            continue
        floor = next((f for f in runs if f.floor and f.workers == r.workers), None)
        if floor is not None and floor.steady_rate:
            print(f"{r.workers} worker(s): full/floor = {r.steady_rate:,.0f} / {floor.steady_rate:,.0f} "
                  f"= {r.steady_rate / floor.steady_rate:.2f}")
        top = sorted(r.redis_us.items(), key=lambda kv: -kv[1])[:args.redis_top]
        print(f"{r.workers} worker(s): Redis CPU µs per mention by command: "
              + ", ".join(f"{name} {us:.1f}" for name, us in top))
        print(f"{r.workers} worker(s): Redis forked {r.aof_rewrites} time(s) to rewrite its AOF; "
              f"this client's own CPU: {r.client_us:.1f} µs per mention")
        lookups = r.worker_metrics.get("warner_score_cache_lookups_total", 0.0)
        if lookups:
            hits = r.worker_metrics.get("warner_score_cache_hits_total", 0.0)
            print(f"{r.workers} worker(s): score cache hit rate {hits / lookups:.1%} of {lookups:,.0f} texts")
    for r in runs:
        if args.soak and len(r.rss) >= 3:
            settled = [s for s in r.rss if s[0] >= r.rss[-1][0] / 4]
            (t1, _, w1, _), (t2, _, w2, _) = settled[0], settled[-1]
            growth = [(b - a) / max(t2 - t1, 1) * 3600 for a, b in zip(w1, w2, strict=True)]
            print(
                f"soak: worker RSS growth after the first quarter: "
                f"{', '.join(f'{g:+.1f}' for g in growth)} MB/hour over {(t2 - t1) / 60:.0f} min"
            )


async def main(args: argparse.Namespace) -> None:
    bodies = templates(args.batch, args.copies, args.fresh, branded=args.branded)
    runs = []
    for n in args.workers:
        console.rule(f"{n} worker(s)")
        runs.append(await run_once(args, n, bodies, args.soak or args.seconds))
        if args.floor and not args.soak:
            console.rule(f"{n} worker(s), floor: decode and acknowledge only")
            runs.append(await run_once(args, n, bodies, args.seconds, floor=True))
    report(args, runs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run, in turn")
    parser.add_argument("--seconds", type=float, default=30, help="how long to send, per worker count")
    parser.add_argument("--rate", type=float, default=0, help="offered mentions/s (open loop); 0 = flat out")
    parser.add_argument("--batch", type=int, default=500, help="mentions per HTTP request")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight (closed loop)")
    parser.add_argument("--worker-batch", type=int, default=WorkerConfig().batch_size,
                        help="entries per XREADGROUP (worker.batch_size; its default)")
    parser.add_argument("--appendfsync", choices=["always", "everysec"], default="everysec")
    parser.add_argument("--warmup", type=float, default=5, help="seconds left out of the steady rate")
    parser.add_argument("--sample", type=float, default=5, help="seconds between progress and RSS lines")
    parser.add_argument("--soak", type=float, default=0, help="run this many seconds and report RSS growth")
    parser.add_argument("--copies", type=float, default=0.0,
                        help="share of mentions that repeat an earlier text exactly (retweets, copy-paste)")
    parser.add_argument("--fresh", type=float, default=0.2,
                        help="share of mentions with a word never seen before (names, typos, new hashtags)")
    parser.add_argument("--branded", action="store_true",
                        help="put a brand's name before the texts that name none (about a third; those go unscored)")
    parser.add_argument("--redis-top", type=int, default=8, help="Redis commands listed by CPU per mention")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip the floor run (worker stages left out: decode and acknowledge only)")
    asyncio.run(main(parser.parse_args()))
