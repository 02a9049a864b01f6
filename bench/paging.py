"""Paging benchmark: alert decision → request at the Telegram Bot API and the SMS gateway.

Starts a private embedded Redis, the Telegram Bot API double and the SMS gateway double
(``tests/doubles``, on 127.0.0.1), and builds the pager from a config the way the worker
does: python-telegram-bot pointed at the Bot API double, the Twilio adapter at the gateway
double, one policy that pages the on-call person on Telegram and SMS at once
(``delivery: all``, ``group_wait`` 0 s). Then, one incident at a time: the incident is
written to Redis as the detect stage writes it, ``t0`` is taken at the alert decision (just
before ``engine.on_event(IncidentEvent("opened", ...))``), the engine runs the step that
``on_event`` scheduled (``run_due``), and ``t1`` is the moment the double received that
incident's ``sendMessage`` or SMS request (``time.perf_counter()`` in the same process).

Phases (each can be switched off with 0):

- direct: ``run_due()`` right after ``on_event`` — the engine's own cost plus the HTTP
  round trip, as in a worker whose timer loop is already awake.
- loop: the engine's timer loop (``engine.run``, ``poll`` 1 s as built by ``build_pager``)
  picks the step up on its own — what production sees, including the loop's sleep. A
  random pause (up to ``poll``) before each incident puts decisions at random moments of the
  loop's cycle; back to back, they would ride the loop's previous pass and look faster.
- throttled: the Bot API double answers the first ``sendMessage`` of every incident with
  429 ``retry_after: 1``; latency to the retried, accepted request.

    python bench/paging.py [--incidents 300] [--loop-incidents 20] [--throttled-incidents 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the doubles live with the tests

from doubles.sms_gateway import SmsGateway
from doubles.telegram_api import TelegramApiDouble

from warner.config.loading import parse_config
from warner.incidents.model import Incident, IncidentEvent, TopMention
from warner.incidents.store import IncidentStore
from warner.logs import configure_logging
from warner.metrics import Metrics
from warner.notify.telegram.bot import stop as stop_bot
from warner.paging import Pager, build_pager
from warner.store import keys
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis

BRAND = "kesselberg"
ANNA_TELEGRAM = 1001
ANNA_PHONE = "+4915111111111"

CONFIG = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
    aliases: ["Kesselberg", "Kesselberger", "@kesselberg_bier"]
bucket: 1m
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {telegram_id}, phone: "{phone}"}}
  schedules:
    - id: social
      layers:
        - {{id: base, type: weekly, handoff: "09:00", start: 2026-01-05, members: [anna]}}
notify:
  telegram: {{token_env: BENCH_TELEGRAM_TOKEN, base_url: "{telegram}"}}
  sms:
    provider: twilio
    twilio: {{base_url: "{sms}", account_sid: AC0123456789abcdef, auth_token_env: BENCH_TWILIO_TOKEN,
              from_number: "+4930123456"}}
  retry: {{max_attempts: 3, base_delay: 10ms, max_delay: 20ms, max_retry_after: 5s}}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  repeat_interval: 1h
  max_pages_per_person_per_hour: 1000000
  policies:
    - id: storm
      steps:
        - {{notify_persons: [anna], channels: [telegram, sms], delivery: all}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""

TOP = [
    TopMention("m1", "Glassplitter im Kesselberger Hellen, und die Brauerei schweigt 😡", 0, 48_000, "bierkritik"),
    TopMention("m2", "@kesselberg_bier wann kommt endlich der Rückruf?", 0, 12_500, "mama_von_drei"),
    TopMention("m3", "Kesselberger aus dem Regal genommen, sagt mein Edeka", 0, 3_100, "frank_k"),
]


@dataclass
class Phase:
    """Latencies of one phase, in seconds, one entry per incident."""

    name: str
    telegram: list[float] = field(default_factory=list)
    sms: list[float] = field(default_factory=list)
    done: list[float] = field(default_factory=list)  # decision → engine finished (timeline written)
    missed: int = 0
    elapsed: float = 0.0
    paced: bool = False  # random pauses between incidents: pages/s says nothing about capacity


class Bench:
    def __init__(self, pager: Pager, redis: Any, telegram: TelegramApiDouble, sms: SmsGateway) -> None:
        self.pager, self.redis, self.telegram, self.sms = pager, redis, telegram, sms
        self.incidents = IncidentStore(redis)
        self.number = 0

    async def write_incident(self) -> Incident:
        """A fresh incident, stored as the detect stage stores it (incident JSON, timeline, index)."""
        self.number += 1
        now = int(time.time())
        top = [TopMention(m.key, m.text, now - 120, m.reach, m.author) for m in TOP]
        inc = Incident(BRAND, self.number, "open", "critical", now - 300, now, peak_at=now - 60, peak_count=85,
                       mentions=240, expected=12.0, negatives=190, toxic=14, reach=64_000, peak_score=9.5,
                       top=top)  # fmt: skip
        entry = {"kind": "opened", "at": now, "severity": inc.severity, "mentions": inc.mentions,
                 "expected": inc.expected, "negatives": inc.negatives, "peak_count": inc.peak_count}  # fmt: skip
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.incident(BRAND, inc.number), orjson.dumps(inc.to_json()))
            pipe.rpush(keys.incident_timeline(BRAND, inc.number), orjson.dumps(entry))
            await pipe.execute()
        await self.incidents.index(inc)
        return inc

    async def page_one(
        self,
        phase: Phase,
        drive: Callable[[], Awaitable[None]],
        timeout: float = 10.0,
    ) -> None:
        """Open one incident at the alert decision, ``drive`` the engine, read the doubles' arrival times."""
        inc = await self.write_incident()
        tg_mark, sms_mark = len(self.telegram.calls), len(self.sms.requests)
        t0 = time.perf_counter()
        await self.pager.engine.on_event(IncidentEvent("opened", inc.updated_at, inc))
        await drive()
        deadline = time.perf_counter() + timeout
        while True:
            tg = [c for c in self.telegram.calls[tg_mark:] if c.method == "sendMessage"]
            sms = self.sms.requests[sms_mark:]
            delivered = await self._delivered(inc)
            if delivered or time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.001)
        t_done = time.perf_counter()
        if not tg or not sms or not delivered:
            phase.missed += 1
            return
        phase.telegram.append(tg[-1].received_at - t0)  # the last attempt is the one accepted
        phase.sms.append(sms[-1].received_at - t0)
        phase.done.append(t_done - t0)

    async def _delivered(self, inc: Incident) -> bool:
        timeline = await self.incidents.timeline(BRAND, inc.number)
        ok = {e["channel"] for e in timeline if e.get("kind") == "delivery" and e.get("ok")}
        return ok >= {"telegram", "sms"}


async def run_phase(
    bench: Bench, name: str, n: int, drive: Callable[[], Awaitable[None]], warmup: int = 0, gap: float = 0.0
) -> Phase:
    """``n`` incidents one after the other; ``gap``: a random pause up to that long before each."""
    phase = Phase(name, paced=gap > 0)
    rng = random.Random(7)
    for _ in range(warmup):
        await bench.page_one(Phase("warmup"), drive)
    started = time.perf_counter()
    for _ in range(n):
        if gap:
            await asyncio.sleep(rng.uniform(0.0, gap))
        await bench.page_one(phase, drive)
    phase.elapsed = time.perf_counter() - started
    return phase


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(phase: Phase) -> None:
    pages = len(phase.done)
    rate = pages / phase.elapsed if phase.elapsed else float("nan")
    pace = "paced by random pauses" if phase.paced else f"{rate:,.1f} pages/s, one incident at a time"
    print(f"  {phase.name}: {pages} pages ({pages} Telegram messages + {pages} SMS), {phase.missed} missed, "
          f"{phase.elapsed:.2f} s ({pace})")  # fmt: skip
    for label, values in (("decision → Telegram sendMessage", phase.telegram), ("decision → SMS request", phase.sms),
                          ("decision → delivered in timeline", phase.done)):  # fmt: skip
        ms = [v * 1000 for v in values]
        print(f"    {label:<33} p50 {percentile(ms, .5):7.1f} ms   p95 {percentile(ms, .95):7.1f} ms   "
              f"p99 {percentile(ms, .99):7.1f} ms   max {max(ms, default=float('nan')):7.1f} ms")  # fmt: skip


async def run(args: argparse.Namespace) -> None:
    configure_logging("error", "json")
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ["BENCH_TELEGRAM_TOKEN"] = "123456:bench-token"
    os.environ["BENCH_TWILIO_TOKEN"] = "twilio-test-token"
    tmp = Path(tempfile.mkdtemp(prefix="warner-bench-paging-"))
    server = EmbeddedRedis(tmp / "redis", appendfsync=args.appendfsync)
    server.start()
    redis = connect(server.url)
    phases: list[Phase] = []
    try:
        async with TelegramApiDouble() as telegram, SmsGateway() as sms:
            text = CONFIG.format(telegram_id=ANNA_TELEGRAM, phone=ANNA_PHONE, telegram=telegram.base_url, sms=sms.url)
            config = parse_config(text, "bench-paging.yaml")
            pager = build_pager(config, redis, Metrics())
            assert pager is not None and pager.application is not None
            await pager.application.initialize()  # getMe; the bot does not poll here
            bench = Bench(pager, redis, telegram, sms)
            try:

                async def run_due() -> None:
                    await pager.engine.run_due()

                async def nothing() -> None:
                    pass

                if args.incidents:
                    phases.append(await run_phase(bench, "direct (run_due)", args.incidents, run_due, args.warmup))
                if args.loop_incidents:
                    stop = asyncio.Event()
                    loop = asyncio.create_task(pager.engine.run(stop))
                    try:
                        name = f"loop (engine.run, poll {pager.engine.poll:g} s)"
                        # decisions at random moments of the loop's cycle, not right behind its last pass
                        phase = await run_phase(bench, name, args.loop_incidents, nothing, gap=pager.engine.poll)
                        phases.append(phase)
                    finally:
                        stop.set()
                        await loop
                if args.throttled_incidents:

                    async def throttled() -> None:
                        await pager.engine.run_due()

                    phase = Phase("throttled (Telegram 429, retry_after 1 s, once per page)")
                    started = time.perf_counter()
                    for _ in range(args.throttled_incidents):
                        telegram.fail("sendMessage", status=429, times=1, retry_after=1)
                        await bench.page_one(phase, throttled)
                    phase.elapsed = time.perf_counter() - started
                    phases.append(phase)
            finally:
                await stop_bot(pager.application)
                await pager.notifier.close()
    finally:
        await redis.aclose()
        server.stop()

    print(f"warner paging benchmark — alert decision → request at the doubles (127.0.0.1), "
          f"1 person, Telegram + SMS (delivery: all), "
          f"appendfsync {args.appendfsync}, {os.cpu_count()} CPUs")  # fmt: skip
    for phase in phases:
        report(phase)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=300, help="incidents paged with run_due right after on_event")
    parser.add_argument("--warmup", type=int, default=5, help="incidents paged first and not measured")
    parser.add_argument("--loop-incidents", type=int, default=20, help="incidents paged by the engine's timer loop")
    parser.add_argument("--throttled-incidents", type=int, default=5, help="incidents paged through one 429 each")
    parser.add_argument("--appendfsync", choices=["always", "everysec"], default="everysec")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
