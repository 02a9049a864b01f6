"""Paging benchmark: alert decision → request at each channel's API (Telegram, SMS, call, e-mail, Teams, Slack).

Starts a private embedded Redis and a local double of every channel's API (``tests/doubles``,
on 127.0.0.1): the Telegram Bot API, Twilio's Messages API for SMS, Twilio's Voice API for
calls, a real SMTP server (aiosmtpd) for e-mail, and the Teams and Slack incoming webhooks.
The pager is built from a config the way the worker builds it: python-telegram-bot pointed at
the Bot API double, the Twilio adapters at theirs, aiosmtplib at the SMTP server, the team's
webhook URLs at the webhook double. One policy (``group_wait`` 0 s): first the team's
announcement (``notify_team_chat``: Teams and Slack at once), then the on-call person on
Telegram, SMS, a call and e-mail at once (``delivery: all``). Then, one incident at a time:
the incident is written to Redis as the detect stage writes it, ``t0`` is taken at the alert
decision (just before ``engine.on_event(IncidentEvent("opened", ...))``), the engine runs the
steps that ``on_event`` scheduled (``run_due``), and each channel's figure is the moment its
double received that incident's request (``time.perf_counter()`` in the same process): the
``sendMessage``, the SMS, the call being placed (``Calls.json``), the mail accepted after DATA,
the webhook post. Person channels come after the team's step, so their figures include its
two webhook posts (a few milliseconds). "delivered in timeline" waits for the call to be
answered too: the Voice double answers on its second status read (``poll_interval`` 0.25 s).

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
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the doubles live with the tests

from doubles.chat_webhooks import ChatWebhooks
from doubles.sms_gateway import SmsGateway
from doubles.smtp_server import SmtpServer
from doubles.telegram_api import TelegramApiDouble
from doubles.voice_api import VoiceApi

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
ANNA_EMAIL = "anna@example.de"
CHANNELS = ("telegram", "sms", "call", "email", "teams", "slack")

CONFIG = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
    aliases: ["Kesselberg", "Kesselberger", "@kesselberg_bier"]
bucket: 1m
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {telegram_id}, phone: "{phone}", email: "{email}"}}
  teams:
    - {{id: social, members: [anna], teams_webhook_env: BENCH_TEAMS_URL, slack_webhook_env: BENCH_SLACK_URL}}
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
  voice:
    provider: twilio
    twilio: {{base_url: "{voice}", account_sid: AC0123456789abcdef, auth_token_env: BENCH_TWILIO_TOKEN,
              from_number: "+4930123456"}}
    public_url: "http://127.0.0.1:9"
    poll_interval: 250ms
  email: {{host: 127.0.0.1, port: {smtp}, security: none, from_address: warner@example.de}}
  teams: {{}}
  slack: {{}}
  retry: {{max_attempts: 3, base_delay: 10ms, max_delay: 20ms, max_retry_after: 5s}}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  repeat_interval: 1h
  max_pages_per_person_per_hour: 1000000
  policies:
    - id: storm
      steps:
        - {{notify_team_chat: social}}
        - {{notify_persons: [anna], channels: [telegram, sms, call, email], delivery: all}}
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
    """Latencies of one phase, in seconds, one entry per incident and channel."""

    name: str
    arrivals: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in CHANNELS})
    done: list[float] = field(default_factory=list)  # decision → engine finished (timeline written)
    missed: int = 0
    elapsed: float = 0.0
    paced: bool = False  # random pauses between incidents: pages/s says nothing about capacity


@dataclass
class Doubles:
    telegram: TelegramApiDouble
    sms: SmsGateway
    voice: VoiceApi
    smtp: SmtpServer
    chats: ChatWebhooks

    def marks(self) -> dict[str, int]:
        return {
            "telegram": len(self.telegram.calls), "sms": len(self.sms.requests), "call": len(self.voice.calls),
            "email": len(self.smtp.mails), "chats": len(self.chats.posted),
        }  # fmt: skip

    def arrivals(self, mark: dict[str, int]) -> dict[str, float | None]:
        """When each channel's request of this incident arrived (the last one: the accepted attempt)."""
        tg = [c.received_at for c in self.telegram.calls[mark["telegram"]:] if c.method == "sendMessage"]
        chats = self.chats.posted[mark["chats"]:]
        found = {
            "telegram": tg,
            "sms": [r.received_at for r in self.sms.requests[mark["sms"]:]],
            "call": [c.received_at for c in self.voice.calls[mark["call"]:]],
            "email": [m.received_at for m in self.smtp.mails[mark["email"]:]],
            "teams": [p.received_at for p in chats if p.platform == "teams"],
            "slack": [p.received_at for p in chats if p.platform == "slack"],
        }  # fmt: skip
        return {channel: (times[-1] if times else None) for channel, times in found.items()}


class Bench:
    def __init__(self, pager: Pager, redis: Any, doubles: Doubles) -> None:
        self.pager, self.redis, self.doubles = pager, redis, doubles
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
        mark = self.doubles.marks()
        t0 = time.perf_counter()
        await self.pager.engine.on_event(IncidentEvent("opened", inc.updated_at, inc))
        await drive()
        deadline = time.perf_counter() + timeout
        while not (delivered := await self._delivered(inc)) and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        t_done = time.perf_counter()
        arrivals = self.doubles.arrivals(mark)
        if not delivered or any(t is None for t in arrivals.values()):
            phase.missed += 1
            return
        for channel, at in arrivals.items():
            assert at is not None
            phase.arrivals[channel].append(at - t0)
        phase.done.append(t_done - t0)

    async def _delivered(self, inc: Incident) -> bool:
        timeline = await self.incidents.timeline(BRAND, inc.number)
        ok = {e["channel"] for e in timeline if e.get("kind") == "delivery" and e.get("ok")}
        return ok >= set(CHANNELS)


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


LABELS = {
    "telegram": "decision → Telegram sendMessage",
    "sms": "decision → SMS request",
    "call": "decision → call placed (Calls.json)",
    "email": "decision → mail accepted (SMTP)",
    "teams": "decision → Teams webhook post",
    "slack": "decision → Slack webhook post",
}


def report(phase: Phase) -> None:
    pages = len(phase.done)
    rate = pages / phase.elapsed if phase.elapsed else float("nan")
    pace = "paced by random pauses" if phase.paced else f"{rate:,.1f} incidents/s, one at a time"
    print(f"  {phase.name}: {pages} incidents x {len(CHANNELS)} channels, {phase.missed} missed, "
          f"{phase.elapsed:.2f} s ({pace})")  # fmt: skip
    rows = [(LABELS[c], phase.arrivals[c]) for c in CHANNELS] + [("decision → all delivered in timeline", phase.done)]
    for label, values in rows:
        ms = [v * 1000 for v in values]
        print(f"    {label:<38} p50 {percentile(ms, .5):7.1f} ms   p95 {percentile(ms, .95):7.1f} ms   "
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
        async with (
            TelegramApiDouble() as telegram,
            SmsGateway() as sms,
            VoiceApi(auth_token="twilio-test-token") as voice,
            SmtpServer() as smtp,
            ChatWebhooks() as chats,
        ):
            os.environ["BENCH_TEAMS_URL"] = chats.url("teams")
            os.environ["BENCH_SLACK_URL"] = chats.url("slack")
            text = CONFIG.format(
                telegram_id=ANNA_TELEGRAM, phone=ANNA_PHONE, email=ANNA_EMAIL, telegram=telegram.base_url,
                sms=sms.url, voice=voice.url, smtp=smtp.port,
            )  # fmt: skip
            config = parse_config(text, "bench-paging.yaml")
            pager = build_pager(config, redis, Metrics())
            assert pager is not None and pager.application is not None
            await pager.application.initialize()  # getMe; the bot does not poll here
            bench = Bench(pager, redis, Doubles(telegram, sms, voice, smtp, chats))
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
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"warner paging benchmark — alert decision → request at the doubles (127.0.0.1), "
          f"a team (Teams + Slack), then 1 person (Telegram + SMS + call + e-mail, delivery: all), "
          f"appendfsync {args.appendfsync}, {os.cpu_count()} CPUs")  # fmt: skip
    for phase in phases:
        report(phase)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=200, help="incidents paged with run_due right after on_event")
    parser.add_argument("--warmup", type=int, default=5, help="incidents paged first and not measured")
    parser.add_argument("--loop-incidents", type=int, default=20, help="incidents paged by the engine's timer loop")
    parser.add_argument("--throttled-incidents", type=int, default=5, help="incidents paged through one 429 each")
    parser.add_argument("--appendfsync", choices=["always", "everysec"], default="everysec")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
