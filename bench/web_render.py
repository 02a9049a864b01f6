"""Render time of the console's incident page for a loud incident (issue 21: under 300 ms server time).

Starts a private embedded Redis and writes one incident of ``--mentions`` mentions (10,000 by
default) over ``--minutes`` one-minute buckets as the stages write it: the bucket counters
(``BucketCounter.add``), the brand's recent mentions — all of them, more than the detect
stage keeps (2,000), so the mentions list sorts and pages the worst case — the incident and
its timeline (pages, an acknowledgement, notes) and a detector state with a learnt baseline
for the normal band. Then it signs in and renders ``GET /incidents/kesselberg:1`` ``--renders``
times, alternating newest first / loudest first and the first / a later page.

Server time is measured by a middleware inside the console's own (so: the page's handler, its
Redis reads, the chart and the template, without the HTTP round trip); the round trip is
printed too.

    python bench/web_render.py [--mentions 10000] [--minutes 90] [--renders 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from warner.config.loading import parse_config
from warner.core import ManualClock, Recipient, TextScore
from warner.detect.counters import BucketCounter
from warner.detect.detector import BrandDetector
from warner.incidents.model import Incident, IncidentEvent, TopMention
from warner.incidents.store import IncidentStore
from warner.mention import Mention
from warner.notify.base import Delivery, Page
from warner.oncall.escalation.timeline import Timeline
from warner.pipeline import Envelope
from warner.store import keys
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis
from warner.web.app import create_web_app
from warner.web.serve import build_context

BUDGET_MS = 300.0
START = 1_795_285_800  # 2026-11-21 19:30 Europe/Berlin
CONFIG = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
bucket: 1m
oncall:
  people:
    - {id: anna, name: Anna}
    - {id: ben, name: Ben, language: en}
"""


async def write_incident(redis, config, mentions: int, minutes: int, clock: ManualClock) -> Incident:  # type: ignore[no-untyped-def]
    envelopes, recent = [], {}
    for n in range(mentions):
        at = START + (n * minutes * 60) // mentions
        negative = n % 4 == 0
        m = Mention(
            id=f"p{n}",
            source="webhook",
            text=f"Das Kesselberger Helles ist heute wirklich nicht gut, Beitrag {n} von vielen in diesem Sturm",
            created_at=datetime.fromtimestamp(at, UTC),
            brand="kesselberg",
            author=f"user{n % 3000}",
            author_followers=(n * 7919) % 250_000,
            url=f"https://social.example/p/{n}",
        )
        score = TextScore("de", "negative" if negative else "neutral", 0.8 if negative else 0.2, 0.0, False)
        envelopes.append(Envelope(f"0-{n}", m, at * 1000, score))
        member = {"key": m.key, "text": m.text, "created_at": at, "reach": m.reach, "author": m.author}
        recent[orjson.dumps(member | {"url": m.url, "sentiment": score.sentiment})] = at
    counter = BucketCounter(redis, config.bucket, config.retention.buckets)
    for i in range(0, len(envelopes), 1000):
        await counter.add(envelopes[i : i + 1000])
    await redis.zadd(keys.recent_mentions("kesselberg"), recent)
    await redis.set(keys.detector("kesselberg"), orjson.dumps(BrandDetector.new(per_day=1440).to_dict()))
    top = sorted((TopMention(**orjson.loads(k)) for k in recent), key=lambda t: -t.reach)[:5]
    incident = Incident(
        "kesselberg", 1, "open", "critical", START, START + minutes * 60, peak_at=START + 1800,
        peak_count=mentions // minutes + 5, mentions=mentions, expected=minutes * 1.0,
        negatives=mentions // 4, toxic=12, reach=sum(t.reach for t in top) * 100, peak_score=12.0, top=top,
    )  # fmt: skip
    store = IncidentStore(redis)
    async with redis.pipeline(transaction=True) as pipe:
        store.queue_writes(pipe, incident, [IncidentEvent("opened", START + 300, incident)])
        await pipe.execute()
    await store.index(incident)
    timeline = Timeline(redis, store, clock)
    for step, person in enumerate(("anna", "ben")):
        clock.set(START + 330 + step * 300)
        page = Page(incident, Recipient(person, person.title(), "de", telegram_id=11 + step), "new", "K7")
        await timeline.record(incident, page, [Delivery("telegram", "11", True, 0.2, message_ref="m1")], "step")
    for n in range(20):
        await store.note(incident.id, {"kind": "note", "at": START + 900 + n * 60, "by": "anna", "via": "web",
                                       "text": f"Stand {n}: Presse informiert"})  # fmt: skip
    clock.set(START + minutes * 60)
    return incident


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as data:
        server = EmbeddedRedis(Path(data), appendfsync="everysec")
        server.start()
        redis = connect(server.url)
        try:
            return await run(redis, args)
        finally:
            await redis.aclose()
            server.stop()


async def run(redis, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    config = parse_config(CONFIG, "bench.yaml")
    clock = ManualClock(START)
    t = time.perf_counter()
    incident = await write_incident(redis, config, args.mentions, args.minutes, clock)
    print(f"wrote {args.mentions} mentions over {args.minutes} buckets in {time.perf_counter() - t:.1f} s")
    ctx = build_context(config, redis, clock=clock)
    await ctx.responder.act(incident.id, "ack", "anna", via="telegram")
    app = create_web_app(ctx)
    server_ms: list[float] = []

    @web.middleware
    async def timed(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        start = time.perf_counter()
        response = await handler(request)
        if request.path.startswith("/incidents/"):
            server_ms.append((time.perf_counter() - start) * 1000)
        return response

    app.middlewares.append(timed)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        token = await ctx.sessions.issue_link_token("anna")
        await client.get(f"/login?token={token}", allow_redirects=False)
        urls = ["/incidents/kesselberg:1", "/incidents/kesselberg:1?sort=loud&page=7"]
        await client.get(urls[0])  # warm: templates compiled, scripts loaded
        server_ms.clear()
        round_trip: list[float] = []
        size = 0
        for i in range(args.renders):
            start = time.perf_counter()
            response = await client.get(urls[i % 2])
            body = await response.read()
            round_trip.append((time.perf_counter() - start) * 1000)
            assert response.status == 200, body[:500]
            size = max(size, len(body))
    median, p95 = statistics.median(server_ms), percentile(server_ms, 95)
    print(f"incident page, {args.renders} renders, largest {size / 1024:.0f} KiB")
    print(f"server time: median {median:.1f} ms, p95 {p95:.1f} ms (budget {BUDGET_MS:.0f} ms)")
    print(f"round trip:  median {statistics.median(round_trip):.1f} ms, p95 {percentile(round_trip, 95):.1f} ms")
    ok = p95 < BUDGET_MS
    print("OK: under budget" if ok else "TOO SLOW")
    return 0 if ok else 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=90)
    parser.add_argument("--renders", type=int, default=20)
    sys.exit(asyncio.run(main(parser.parse_args())))
