"""Running warner: the ingest API and the worker, together or as separate roles."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import structlog
from aiohttp import web

from warner.config.root import Config
from warner.detect.counters import BucketCounter, CountStage
from warner.detect.stage import DetectStage, IncidentHook
from warner.http_server import ConnectionGuard, ConnectionLimits, serve_guarded
from warner.ingest.app import CONTEXT, add_metrics_route, add_readiness_route, create_app
from warner.metrics import Metrics
from warner.paging import Pager, build_pager
from warner.pipeline import Stage
from warner.scoring.base import Scorer
from warner.scoring.models import default_scorer
from warner.scoring.stage import ScoreStage
from warner.store import keys
from warner.store.streams import MentionStream
from warner.store.tolerant import StateUnreadable
from warner.store.write_health import WriteHealth
from warner.worker import Worker

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

Role = Literal["all", "api", "worker", "web"]


def build_stages(
    config: Config,
    redis: RedisClient,
    metrics: Metrics,
    scorer: Scorer | None = None,
    hooks: Sequence[IncidentHook] = (),
) -> list[Stage]:
    """The pipeline, in order: score, count, detect (which opens and updates incidents)."""
    counter = BucketCounter(
        redis,
        config.bucket,
        config.retention.buckets,
        brand_names={b.name: b.names for b in config.brands},
        terms_time_zone=config.digest.time_zone,
    )
    return [
        ScoreStage(scorer or default_scorer(), metrics),
        CountStage(counter, metrics),
        DetectStage(redis, config, counter, hooks=hooks, metrics=metrics),
    ]


def build_worker(
    config: Config,
    redis: RedisClient,
    metrics: Metrics,
    scorer: Scorer | None = None,
    hooks: Sequence[IncidentHook] = (),
    write_health: WriteHealth | None = None,
) -> Worker:
    stages = build_stages(config, redis, metrics, scorer, hooks)
    return Worker(MentionStream(redis), stages, config.worker, metrics=metrics, write_health=write_health)


def write_probe_tags(config: Config, role: Role) -> list[str]:
    """The hash tags a role writes under, so its write probe asks every master it needs (on a cluster)."""
    tags = [keys.INGEST_TAG]
    if role in ("all", "worker"):
        tags += [keys.TIMERS_TAG, *(keys.brand_tag(b.name) for b in config.brands)]
    return tags


async def tick_detectors(worker: Worker, config: Config, stop: asyncio.Event) -> None:
    """Every bucket, let live brands' detectors see the wall clock (quiet minutes, endings)."""
    stages = [s for s in worker.stages if isinstance(s, DetectStage)]
    period = config.bucket.total_seconds()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=period)
        if stop.is_set():
            return
        for stage in stages:
            try:
                await stage.tick()
            except StateUnreadable:  # the worker's own state: stop the process (serve), as the worker does
                raise
            except Exception:  # Redis away for a moment: the next tick catches up
                log.exception("detect_tick_failed")


@dataclass
class RunningApi:
    runner: web.AppRunner
    port: int
    guard: ConnectionGuard | None = None
    also: RunningApi | None = None  # a second listener of the same process (/metrics on its own port)

    async def close(self) -> None:
        if self.also is not None:
            await self.also.close()
        await self.runner.cleanup()


def connection_limits(config: Config) -> ConnectionLimits:
    ingest = config.ingest
    return ConnectionLimits(
        max_connections=ingest.max_connections,
        header_timeout=ingest.header_timeout.total_seconds(),
        body_timeout=ingest.body_timeout.total_seconds(),
    )


async def start_api(
    config: Config,
    redis: RedisClient,
    metrics: Metrics,
    *,
    port: int | None = None,
    extra_routes: Callable[[web.Application], None] | None = None,
    write_health: WriteHealth | None = None,
) -> RunningApi:
    """Serve the ingest API; ``port=0`` picks a free port (see ``RunningApi.port``).

    ``extra_routes`` mounts more routes before the app starts (SMS replies, Telegram webhook).
    With ``ingest.metrics_port`` set, /metrics is served there instead (same host).
    """
    app = create_app(config, redis, metrics_=metrics, write_health=write_health)
    if extra_routes is not None:
        extra_routes(app)
    api = await _listen(app, config, config.ingest.port if port is None else port, "api_listening")
    if config.ingest.metrics_port is not None:
        health = app[CONTEXT].write_health
        api.also = await _metrics_listener(config, metrics, MentionStream(redis), config.ingest.metrics_port, health)
    return api


async def _listen(app: web.Application, config: Config, port: int, event: str) -> RunningApi:
    runner, site, guard = await serve_guarded(app, config.ingest.host, port, connection_limits(config))
    log.info(event, host=config.ingest.host, port=site.bound_port)
    return RunningApi(runner, site.bound_port, guard)


async def _metrics_listener(
    config: Config, metrics: Metrics, stream: MentionStream | None, port: int, health: WriteHealth
) -> RunningApi:
    """/metrics, /healthz and /readyz alone, on their own port."""

    async def alive(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    add_metrics_route(app, config, metrics, stream)
    app.router.add_get("/healthz", alive)
    add_readiness_route(app, health)
    return await _listen(app, config, port, "metrics_listening")


async def start_worker_metrics(
    config: Config, metrics: Metrics, port: int, redis: RedisClient, health: WriteHealth
) -> RunningApi:
    """A worker-only process still exposes /metrics, /healthz and /readyz (no ingest routes), with the
    stream's real backlog (read at each scrape, as the API does)."""
    return await _metrics_listener(config, metrics, MentionStream(redis), port, health)


async def weekly_digests(
    config: Config, redis: RedisClient, stop: asyncio.Event, metrics: Metrics | None = None
) -> None:
    """Every Monday morning (``digest:``), last week's digest — once, whichever worker gets there.

    ``metrics``: where ``warner_digest_*`` are counted (the process's /metrics); without it they are not exposed.
    """
    from warner.core import SystemClock
    from warner.digest.schedule import DigestScheduler
    from warner.digest.weekly import send_weekly_digest

    async def send(week: str) -> None:
        await send_weekly_digest(redis, config, week)

    brands = [b.name for b in config.brands]
    await DigestScheduler(redis, config.digest, send, SystemClock(), metrics=metrics, brands=brands).run(stop)


async def pull_sources(config: Config, redis: RedisClient, metrics: Metrics, stop: asyncio.Event) -> None:
    """Poll the pulled sources (``sources:``) into the mention stream, each on its own task."""
    from warner.ingest.brands import BrandMatcher
    from warner.ingest.sources.factory import build_sources
    from warner.ingest.sources.runner import SourceRunner

    matcher = BrandMatcher(config.brands)
    sources = build_sources(config, matcher)
    log.info("sources_started", sources=[s.name for s in sources])
    await SourceRunner(redis, config, sources, metrics, matcher=matcher).run(stop)


def _worker_metrics_at_zero(config: Config, metrics: Metrics, worker: Worker, pager: Pager | None) -> None:
    """Every labelled series a worker may count, at 0 from the start (what alert rules need)."""
    from warner.digest.failures import REASONS

    metrics.start_worker_at_zero(
        brands=[b.name for b in config.brands],
        stages=[s.name for s in worker.stages],
        channels=sorted(pager.notifier.channels) if pager else [],
        pulled_sources=config.sources.names(),
        digest_reasons=REASONS if config.digest.enabled else (),
    )


async def serve(config: Config, redis: RedisClient, role: Role, stop: asyncio.Event) -> None:
    """Run the chosen role(s) until ``stop`` is set, then shut down in order."""
    from warner import __version__
    from warner.web.events import incident_publisher, response_publisher

    # Which code runs, first: during a rolling upgrade two versions share the store.
    log.info("warner_starting", version=__version__, role=role, code=os.path.dirname(__file__))
    metrics = Metrics()
    # Every role builds the pager: workers escalate; the API serves SMS replies and, in webhook
    # mode, Telegram's updates (so split roles lose neither).
    pager = build_pager(config, redis, metrics)
    if pager is not None:  # a response given in this process (button, SMS, console) reaches every open page
        pager.responder.listeners.append(response_publisher(redis))
        # and so do the engine's own changes: a snooze that ran out, a resolve by policy
        pager.engine.lifecycle.listeners.append(response_publisher(redis))
    if role in ("all", "api"):
        metrics.start_ingest_at_zero(s.name for s in config.ingest.sources)
    extra = pager.add_routes if pager and role in ("all", "api") else None
    health = WriteHealth(redis, write_probe_tags(config, role), gauge=metrics.store_writable)
    if pager is not None and config.notify.telegram is not None:
        poller = pager.poller_health
        health.details = lambda: {"telegram_poller": poller.as_json()}  # detail only: never makes a process unready
    api = None
    if role in ("all", "api"):
        api = await start_api(config, redis, metrics, extra_routes=extra, write_health=health)
    if role == "worker" and config.worker.metrics_port is not None:
        api = await start_worker_metrics(config, metrics, config.worker.metrics_port, redis, health)
    console = None
    if role in ("all", "web") and config.web.port is not None:
        from warner.web.serve import start_web

        console = await start_web(config, redis, connection_limits(config), pager.responder if pager else None)
    probing = asyncio.create_task(health.run(stop), name="write-probe")  # keeps the gauge fresh
    worker_task = ticker = paging = digests = pulling = None
    try:
        if role in ("all", "worker"):
            # The open console pages hear of every incident event first (a page to send must not delay them).
            hooks = [incident_publisher(redis), *(pager.hooks if pager else ())]
            worker = build_worker(config, redis, metrics, hooks=hooks, write_health=health)
            _worker_metrics_at_zero(config, metrics, worker, pager)
            worker_task = asyncio.create_task(worker.run(stop), name="worker")
            ticker = asyncio.create_task(tick_detectors(worker, config, stop), name="detect-ticker")
            if pager is not None:
                # In webhook mode a split worker leaves Telegram's updates to the API process.
                bot = role == "all" or pager.webhook is None
                paging = asyncio.create_task(pager.run(stop, bot=bot), name="pager")
            if config.digest.enabled:
                digests = asyncio.create_task(weekly_digests(config, redis, stop, metrics), name="digest")
            if config.sources.names():
                pulling = asyncio.create_task(pull_sources(config, redis, metrics, stop), name="sources")
        elif pager is not None and pager.webhook is not None:
            paging = asyncio.create_task(pager.serve_webhook(stop), name="telegram-webhook")
        waiter = asyncio.create_task(stop.wait())
        watched = [task for task in (worker_task, ticker) if task is not None]
        done, _ = await asyncio.wait({waiter, *watched}, return_when=asyncio.FIRST_COMPLETED)
        for task in watched:
            if task in done and (failure := task.exception()) is not None:
                raise failure
    finally:
        stop.set()
        await asyncio.gather(probing, return_exceptions=True)
        if api:
            await api.close()
        if console:
            await console.close()
        if worker_task:
            await asyncio.gather(worker_task, return_exceptions=True)
        if ticker:
            await asyncio.gather(ticker, return_exceptions=True)
        if paging:
            await asyncio.gather(paging, return_exceptions=True)
        if digests:
            await asyncio.gather(digests, return_exceptions=True)
        if pulling:
            await asyncio.gather(pulling, return_exceptions=True)
