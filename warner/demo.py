"""``warner demo``: a Saturday-evening storm on a small German brewery, end to end.

Detection, the incident, and the pages: Anna (on call) is paged on the console, does not
answer, Ben is paged at the second level and sleeps through it too; the escalation ends, as
on-call tools' do, with a phone call (spoken on the console): Ben presses 1 and the escalation
stops.

Starts a private embedded Redis in a temporary directory, the ingest API on a free
loopback port and a worker, then sends the bundled scenario over HTTP as a webhook
would (NDJSON, bearer token), six hours compressed into seconds, and shows what the
pipeline counts. Needs no Redis, no tokens and no network; cleans up after itself.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from warner.config.loading import parse_config
from warner.config.root import Config
from warner.core import BERLIN
from warner.detect.counters import BucketCounter, BucketCounts
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.ingest.parse import validate_record
from warner.metrics import Metrics
from warner.paging import Pager, build_pager
from warner.replay import paced_chunks
from warner.scenarios import Scenario, saturday_storm
from warner.service import build_worker, start_api
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis
from warner.store.streams import MentionStream

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

# Who gets paged in the demo: Anna is on call, Ben is the next level, then Ben is called.
# Pages and the call (voice provider "console": the spoken text) go to the console.
DEMO_PAGING = """
oncall:
  people:
    - {id: anna, name: Anna Becker, telegram_id: 1001, phone: "+4915111111111"}
    - {id: ben, name: Ben Yilmaz, telegram_id: 1002, phone: "+4915122222222"}
  schedules:
    - id: social
      layers:
        - {id: base, type: weekly, handoff: "09:00", start: 2026-11-16, members: [anna, ben]}
notify:
  console: true
  voice: {provider: console}
escalation:
  group_wait: {critical: 0s, warning: 0s}
  policies:
    - id: storm
      steps:
        - {notify_on_call: social, channels: [console]}
        - {wait: 5m}
        - {notify_persons: [ben], channels: [console]}
        - {wait: 5m}
        - {call: [ben]}
        - {wait: 10m}
        - {repeat: 2}
  routes:
    - {severity: [warning, critical], when: any, policy: storm}
respond:
  state: BY
  contacts:
    kesselberg:
      email: service@kesselberg-bier.example
      phone: "08821 123 45-0"
      dm: {de: "per Direktnachricht", en: "via direct message"}
      signature: {de: "Ihr Team der Brauerei Kesselberg", en: "Your Kesselberg Brewery team"}
"""


class ReplayClock:
    """Scenario time while the demo replays it ``speed`` times faster: waits shrink to match."""

    def __init__(self, scenario_start: float, speed: float) -> None:
        self.scenario_start, self.speed, self.started = scenario_start, speed, time.monotonic()

    def now(self) -> float:
        return self.scenario_start + (time.monotonic() - self.started) * self.speed


def example_config(data_dir: Path) -> Config:
    text = resources.files("warner").joinpath("example.yaml").read_text(encoding="utf-8")
    config = parse_config(text + DEMO_PAGING, "warner/example.yaml + demo paging")
    return config.model_copy(update={"redis": config.redis.model_copy(update={"data_dir": data_dir, "url": None})})


@dataclass
class DemoState:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    scenario_now: datetime | None = None
    buckets: dict[str, list[BucketCounts]] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)
    timelines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # JSON, from IncidentStore.timeline


async def run_demo(console: Console, *, seconds: float = 20.0, seed: int = 7, live: bool = True) -> DemoState:
    scenario = saturday_storm(seed=seed)
    speed = (scenario.end - scenario.start).total_seconds() / seconds
    state = DemoState()
    with tempfile.TemporaryDirectory(prefix="warner-demo-") as tmp:
        config = example_config(Path(tmp))
        token = secrets.token_urlsafe(24)
        os.environ["WARNER_TOKEN_WEBHOOK"] = token  # this process only; the demo's own source
        with EmbeddedRedis(Path(tmp), appendfsync="everysec") as server:
            redis = connect(server.url)
            try:
                await _run(console, config, redis, scenario, speed, token, state, live)
            finally:
                await redis.aclose()
    return state


async def _run(
    console: Console,
    config: Config,
    redis: RedisClient,
    scenario: Scenario,
    speed: float,
    token: str,
    state: DemoState,
    live: bool,
) -> None:
    metrics = Metrics()
    api = await start_api(config, redis, metrics, port=0)
    stop = asyncio.Event()
    clock = ReplayClock(scenario.start.timestamp(), speed)
    pager = build_pager(config, redis, metrics, clock=clock, console=console, poll=0.02)
    assert pager is not None
    worker = build_worker(config, redis, metrics, hooks=pager.hooks)
    worker_task = asyncio.create_task(worker.run(stop))
    paging_task = asyncio.create_task(pager.engine.run(stop))
    answering = asyncio.create_task(_second_level_answers(pager, console, stop))
    counter = BucketCounter(redis, config.bucket, config.retention.buckets)
    mentions = [validate_record(r) for r in scenario.mentions]
    url = f"http://127.0.0.1:{api.port}/v1/mentions"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    console.print(
        Panel.fit(
            f"[bold]{scenario.description}[/bold]\n{len(mentions)} mentions, "
            f"{scenario.start.astimezone(BERLIN):%a %d.%m.%Y %H:%M}–{scenario.end.astimezone(BERLIN):%H:%M}, "
            f"replayed at {speed:.0f}× through POST {url}",
            title="warner demo",
        )
    )

    incidents = IncidentStore(redis)

    async def refresh() -> None:
        for brand in [b.name for b in config.brands]:
            state.buckets[brand] = await counter.read(brand)
        state.incidents = await incidents.recent()
        for incident in state.incidents:
            state.timelines[incident.id] = await incidents.timeline(incident.brand, incident.number)

    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        with Live(
            _view(config, scenario, state), console=console, refresh_per_second=4, transient=False, auto_refresh=live
        ) as view:
            for due, chunk in paced_chunks(mentions, speed, size=200):
                while (delay := started + due - time.monotonic()) > 0:
                    await refresh()
                    view.update(_view(config, scenario, state))
                    await asyncio.sleep(min(delay, 0.25))
                body = b"".join(m.model_dump_json(exclude_none=True).encode() + b"\n" for m in chunk)
                async with http.post(url, data=body, headers=headers) as response:
                    reply = await response.json()
                    if response.status != 202:
                        raise RuntimeError(f"ingest refused the demo batch: {response.status} {reply}")
                state.sent += len(chunk)
                state.accepted += reply["accepted"]
                state.duplicates += reply["duplicates"]
                state.scenario_now = chunk[-1].created_at
            while await MentionStream(redis).backlog():
                await asyncio.sleep(0.05)
            await refresh()
            view.update(_view(config, scenario, state))
    stop.set()
    await asyncio.gather(worker_task, paging_task, answering)
    await pager.notifier.close()
    await api.close()
    console.print(_summary(config, scenario, state))
    console.print(_incidents(config, scenario, state))
    if state.incidents:
        console.print(await _drafts(config, redis, state.incidents[-1]))
    try:
        console.print(await _digest(config, redis, scenario))
    except Exception as exc:  # the demo's story is told; a digest problem must not end it in a traceback
        console.print(f"[red]digest unavailable: {exc}[/red]")
    console.print(
        f"accepted {state.accepted} of {state.sent} sent; {state.duplicates} duplicate deliveries "
        "were acknowledged and not counted again. Red = negative.",
        soft_wrap=True,
    )


async def _second_level_answers(pager: Pager, console: Console, stop: asyncio.Event) -> None:
    """Anna sleeps through her page, Ben through his message; the call wakes Ben and he presses 1."""
    incidents = pager.engine.incidents
    while not stop.is_set():
        for incident in await incidents.recent():
            timeline = await incidents.timeline(incident.brand, incident.number)
            called = [e for e in timeline if e.get("kind") == "delivery" and e.get("channel") == "call" and e.get("ok")]
            if any(e.get("recipient") == "ben" for e in called):
                line = await pager.responder.act(incident.id, "ack", "ben", via="call")
                console.print(
                    f"[bold green]{incident.id}: Ben drückt 1 — {line}[/bold green] — the escalation stops here."
                )
                return
        await asyncio.sleep(0.05)


async def _digest(config: Config, redis: RedisClient, scenario: Scenario) -> Panel:
    """The Monday digest of the scenario's week, as the team lead would read it."""
    from rich.markdown import Markdown

    from warner.digest.report import render_markdown
    from warner.digest.weekly import build_digest
    from warner.weeks import week_of

    digest = await build_digest(redis, config, week_of(scenario.start, config.digest.time_zone))
    return Panel(Markdown(render_markdown(digest.figures, "de")), title="Wochenbericht (warner digest)")


async def _drafts(config: Config, redis: RedisClient, incident: Incident) -> Group:
    """The three drafts the on-call person gets behind "Entwürfe", ten minutes into the storm."""
    from warner.respond.render import Responder
    from warner.respond.schema import PURPOSE_LABELS

    at = datetime.fromtimestamp(incident.started_at + 600, BERLIN)
    texts = await IncidentStore(redis).texts_to_answer(incident)
    drafts = Responder.from_config(config).rank_drafts(incident, texts, "de", at, top=3)
    parts: list[RenderableType] = [
        f"[bold]Entwürfe für {incident.id}[/bold], {at:%a %H:%M} (außerhalb der Geschäftszeit):"
    ]
    for n, d in enumerate(drafts, start=1):
        purpose = PURPOSE_LABELS["de"][d.purpose]
        warn = f"\n[yellow]länger als: {', '.join(d.exceeds)}[/yellow]" if d.exceeds else ""
        parts.append(Panel(f"{d.text}{warn}", title=f"{n}. {d.title} · {purpose}", subtitle=d.reason, expand=False))
    return Group(*parts)


def _describe(entry: dict[str, Any]) -> str:
    """One timeline entry in words: the detector's numbers, a page, or a person's answer."""
    kind = entry.get("kind")
    if kind == "delivery":
        result = "[green]delivered[/green]" if entry.get("ok") else f"[red]failed: {entry.get('error')}[/red]"
        return f"page ({entry.get('page')}) to {entry.get('recipient')} via {entry.get('channel')}: {result}"
    if kind == "response":
        return f"{entry.get('state')} by {entry.get('by')} via {entry.get('via')}"
    if kind == "escalation":
        return str(entry.get("event"))
    mentions, negatives = int(entry.get("mentions", 0)), int(entry.get("negatives", 0))
    share = f", {negatives / mentions:.0%} negative" if mentions else ""
    return f"{entry.get('severity')}: {mentions} mentions (expected {entry.get('expected')}){share}"


def _label(config: Config, brand: str) -> str:
    """The brand's display name (its name when the config does not know it)."""
    known = config.brand(brand)
    return known.label if known is not None else brand


def _bar(value: int, scale: int, width: int = 40) -> str:
    return "█" * max(0, round(value / scale * width)) if scale else ""


def _view(config: Config, scenario: Scenario, state: DemoState) -> Group:
    rows = state.buckets.get(scenario.brand, [])[-12:]
    table = Table(title=f"{_label(config, scenario.brand)} — mentions per minute (last 12)", expand=False)
    for column in ("time", "mentions", "negative", "toxic", "reach", ""):
        table.add_column(column, justify="right" if column not in ("", "time") else "left")
    scale = max((r.mentions for r in rows), default=1)
    for r in rows:
        at = datetime.fromtimestamp(r.start, BERLIN)
        table.add_row(
            f"{at:%H:%M}",
            str(r.mentions),
            f"{r.negatives}",
            f"{r.toxic}",
            f"{r.reach:,}",
            f"[red]{_bar(r.negatives, scale)}[/red][green]{_bar(r.mentions - r.negatives, scale)}[/green]",
        )
    clock = state.scenario_now.astimezone(BERLIN).strftime("%a %H:%M") if state.scenario_now else "—"
    status = f"scenario time {clock}   sent {state.sent}   accepted {state.accepted}   duplicates {state.duplicates}"
    alerts = [
        f"[bold red]INCIDENT {i.id}[/bold red] since {datetime.fromtimestamp(i.started_at, BERLIN):%H:%M}: "
        f"{i.severity}, {i.status}, {i.mentions} mentions ({i.volume_ratio:.0f}x normal), "
        f"{i.negative_share:.0%} negative"
        for i in state.incidents
    ]
    return Group(status, table, *alerts)


def _incidents(config: Config, scenario: Scenario, state: DemoState) -> Group | str:
    """What the detector made of it: each incident, how soon it opened, and its timeline."""
    if not state.incidents:
        return "[bold]No incident[/bold]: the detector saw nothing unusual."
    parts: list[RenderableType] = []
    for i in state.incidents:
        opened = datetime.fromtimestamp(i.started_at, BERLIN)
        lead = ""
        if scenario.onset is not None and i.brand == scenario.brand:
            lead = f", {(i.started_at - scenario.onset.timestamp()) / 60:.0f} min after the first storm post"
        table = Table(
            title=f"Incident {i.id} — {_label(config, i.brand)}: opened {opened:%H:%M}{lead}",
            title_justify="left",
        )
        for column in ("time", "event", "what"):
            table.add_column(column)
        for entry in sorted(state.timelines.get(i.id, []), key=lambda e: float(e["at"])):
            at = datetime.fromtimestamp(float(entry["at"]), BERLIN)
            table.add_row(f"{at:%H:%M}", str(entry.get("kind")), _describe(entry))
        parts.append(table)
        for m in i.top[:3]:
            parts.append(f"  reach {m.reach:>9,}  {m.text[:100]}")
    return Group(*parts)


def _summary(config: Config, scenario: Scenario, state: DemoState) -> Group:
    totals = Table(title="What the pipeline counted")
    for column in ("brand", "mentions", "negative share", "toxic", "reach", "busiest minute"):
        totals.add_column(column, justify="left" if column == "brand" else "right")
    for brand, rows in state.buckets.items():
        mentions = sum(r.mentions for r in rows)
        negatives = sum(r.negatives for r in rows)
        peak = max(rows, key=lambda r: r.mentions, default=None)
        busiest = f"{datetime.fromtimestamp(peak.start, BERLIN):%H:%M} ({peak.mentions})" if peak else "—"
        totals.add_row(
            _label(config, brand),
            str(mentions),
            f"{negatives / mentions:.0%}" if mentions else "—",
            str(sum(r.toxic for r in rows)),
            f"{sum(r.reach for r in rows):,}",
            busiest,
        )
    curve = Table(title=f"{_label(config, scenario.brand)}: mentions per 15 minutes", show_header=False, box=None)
    per_quarter: dict[int, list[int]] = {}
    for r in state.buckets.get(scenario.brand, []):
        slot = per_quarter.setdefault(r.start - r.start % 900, [0, 0])
        slot[0] += r.mentions
        slot[1] += r.negatives
    start = int(scenario.start.timestamp())
    scale = max((v[0] for v in per_quarter.values()), default=1)
    for quarter in range(start, int(scenario.end.timestamp()), 900):
        total, negative = per_quarter.get(quarter, [0, 0])
        curve.add_row(
            f"{datetime.fromtimestamp(quarter, BERLIN):%H:%M}",
            f"{total:>5}",
            f"[red]{_bar(negative, scale, 50)}[/red][green]{_bar(total - negative, scale, 50)}[/green]",
        )
    return Group(totals, curve)
