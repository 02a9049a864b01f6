"""The HTTP ingest API: ``POST /v1/mentions``, health, readiness and metrics.

Handlers parse, check and delegate; the atomic, deduplicated append lives in
:class:`warner.store.MentionStream`. A ``202`` is sent only after Redis has the mentions
(with ``appendfsync always``, after they are on disk). A source may have to sign its
requests (:mod:`warner.ingest.signing`) and may be rate-limited (:mod:`warner.ingest.ratelimit`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from warner.ingest.accept import append, defaults, resolve
from warner.ingest.auth import TokenRegistry
from warner.ingest.brands import BrandMatcher
from warner.ingest.config import IngestSettings
from warner.ingest.encoding import content_encoding
from warner.ingest.parse import JSON_TYPES, NDJSON_TYPES, InvalidBody, parse_body
from warner.ingest.ratelimit import RateLimited, RateLimiter, source_rates
from warner.ingest.refusals import RefusalLog
from warner.ingest.signing import ReplayGuard, SignatureError, SignatureVerifier, SignedRequest, source_verifiers
from warner.mention import Mention
from warner.metrics import Metrics
from warner.secret_digest import same_secret
from warner.store.scrape import refresh_store_gauges
from warner.store.streams import MentionStream
from warner.store.write_health import WriteHealth

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class IngestContext:
    """What the handlers need, built once per application."""

    config: IngestSettings
    stream: MentionStream
    tokens: TokenRegistry
    matcher: BrandMatcher
    metrics: Metrics
    wall_ms: Callable[[], int]
    verifiers: Mapping[str, SignatureVerifier]
    replays: ReplayGuard
    limiter: RateLimiter
    refusals: RefusalLog
    write_health: WriteHealth


CONTEXT = web.AppKey("ingest_context", IngestContext)


def json_response(status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


def _refuse(
    ctx: IngestContext,
    status: int,
    reason: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> web.Response:
    ctx.metrics.rejected.labels(reason).inc()
    return json_response(status, {"error": message, **extra}, headers)


async def post_mentions(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    started = time.perf_counter()
    source = ctx.tokens.source_for(request.headers.get("Authorization"))
    if source is None:
        missing = "Authorization" not in request.headers
        reason = "missing" if missing else "unknown"
        ctx.refusals.refused(ctx.wall_ms() / 1000, request.remote, "missing_token" if missing else "wrong_token")
        return _refuse(
            ctx, 401, "unauthorized", f"{reason} bearer token", headers={"WWW-Authenticate": 'Bearer realm="warner"'}
        )
    verifier = ctx.verifiers.get(source)
    signed: SignedRequest | None = None
    if verifier is not None:
        try:
            signed = verifier.check_headers(request.headers, ctx.wall_ms() / 1000)
        except SignatureError as exc:
            return _refuse_signature(ctx, source, exc)
    content_type = request.content_type
    if content_type not in JSON_TYPES | NDJSON_TYPES:
        return _refuse(
            ctx,
            415,
            "unsupported_media_type",
            f"unsupported content type {content_type!r}; use application/json or application/x-ndjson",
        )
    try:
        exhausted = await ctx.limiter.exhausted(source, ctx.wall_ms())
    except RedisError as exc:
        return _store_unavailable(ctx, source, exc)
    if exhausted is not None:  # before the body is parsed: an over-limit source costs no decoding
        return _rate_limited(ctx, exhausted)
    limit = ctx.config.ingest.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _refuse(ctx, 413, "too_large", f"body larger than {limit} bytes")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _refuse(ctx, 413, "too_large", f"body larger than {limit} bytes")
    except web.RequestPayloadError as exc:  # e.g. gzip declared, plain body sent
        return _refuse(ctx, 400, "bad_body", f"the body does not match its Content-Encoding: {exc}")
    if signed is not None:
        try:
            ctx.verifiers[source].verify(signed, body)
        except SignatureError as exc:
            return _refuse_signature(ctx, source, exc)
    try:
        mentions = parse_body(
            body, content_type, ctx.config.ingest.max_mentions_per_request, fill=defaults(source, ctx.matcher)
        )
        foreign = sorted({m.source for m in mentions if m.source is not None and m.source != source})
        if foreign:
            return _refuse(
                ctx,
                403,
                "forbidden",
                f"the token of source {source!r} may not send mentions of source(s) {', '.join(foreign)}",
            )
        mentions = resolve(mentions, source, ctx.config, ctx.matcher, matched=True)  # checks named brands
    except InvalidBody as exc:
        return _refuse(
            ctx, 400, "invalid", "invalid request body", errors=[e.as_dict() for e in exc.errors], error_count=exc.total
        )
    return await _admit(ctx, source, mentions, started, signed)


def _refuse_signature(ctx: IngestContext, source: str, exc: SignatureError) -> web.Response:
    log.warning("ingest_signature_refused", source=source, reason=str(exc))
    return _refuse(ctx, 401, "bad_signature", str(exc))


async def _admit(
    ctx: IngestContext, source: str, mentions: list[Mention], started: float, signed: SignedRequest | None
) -> web.Response:
    """Replay guard and rate limit, then the append; a signed request refused after its claim is released."""
    try:
        if signed is not None:
            tolerance = ctx.verifiers[source].tolerance
            if not await ctx.replays.claim(source, signed, tolerance):
                log.warning("ingest_replay_refused", source=source)
                return _refuse(ctx, 409, "replayed", "replayed request: this signed request was already accepted")
        limited = await ctx.limiter.admit(source, len(mentions), ctx.wall_ms())
    except RedisError as exc:
        response = _store_unavailable(ctx, source, exc)
    else:
        if limited is not None:
            response = _rate_limited(ctx, limited)
        else:
            response = await _append(ctx, source, mentions, started)
    if signed is not None and response.status != 202:
        try:
            await ctx.replays.release(source, signed)
        except RedisError as exc:  # the retry will be taken for a replay until the mark expires
            log.error("ingest_replay_release_failed", source=source, error=str(exc))
    return response


def _rate_limited(ctx: IngestContext, limited: RateLimited) -> web.Response:
    log.info("ingest_rate_limited", source=limited.source, limit=limited.rate.unit, retry_after=limited.retry_after)
    return _refuse(
        ctx,
        429,
        "rate_limited",
        limited.message,
        limit=limited.rate.unit,
        per_second=limited.rate.per_second,
        burst=limited.rate.burst,
        headers={"Retry-After": str(limited.retry_after)},
    )


def _store_unavailable(ctx: IngestContext, source: str, exc: RedisError) -> web.Response:
    log.error("ingest_store_unavailable", source=source, error=str(exc))
    ctx.write_health.failed(exc)
    retry_after = str(max(1, int(ctx.config.ingest.retry_after.total_seconds())))
    return _refuse(
        ctx,
        503,
        "store_unavailable",
        "store unavailable, nothing was accepted; retry later",
        headers={"Retry-After": retry_after},
    )


async def _append(ctx: IngestContext, source: str, mentions: list[Mention], started: float) -> web.Response:
    retry_after = str(max(1, int(ctx.config.ingest.retry_after.total_seconds())))
    try:
        result = await append(ctx.stream, mentions, ctx.config, ctx.wall_ms())
    except RedisError as exc:
        return _store_unavailable(ctx, source, exc)
    if result.backlog_full:
        log.warning("ingest_backpressure", source=source, backlog=result.backlog)
        return _refuse(
            ctx,
            503,
            "backpressure",
            "backlog full, nothing was accepted; retry later",
            backlog=result.backlog,
            headers={"Retry-After": retry_after},
        )
    ctx.write_health.succeeded()
    ctx.metrics.accepted.labels(source).inc(result.accepted)
    ctx.metrics.duplicates.labels(source).inc(result.duplicates)
    # Said in the answer and counted: a mention that matches no brand is kept (under "_none"),
    # but a sender whose brand aliases are wrong should learn it from the first response.
    unmatched = sum(m.brand is None for m in mentions)
    if unmatched:
        ctx.metrics.unmatched.labels(source).inc(unmatched)
    ctx.metrics.request_seconds.observe(time.perf_counter() - started)
    log.debug("mentions_accepted", source=source, accepted=result.accepted, duplicates=result.duplicates)
    return json_response(202, {"accepted": result.accepted, "duplicates": result.duplicates, "unmatched": unmatched})


async def healthz(request: web.Request) -> web.Response:
    return json_response(200, {"status": "ok"})


WRITE_HEALTH = web.AppKey("write_health", WriteHealth)


async def readyz(request: web.Request) -> web.Response:
    """Ready = a mention accepted now could be made durable now (store/write_health.py), not merely PING."""
    health = request.app[WRITE_HEALTH]
    problem = await health.problem()
    details = health.details() if health.details is not None else {}
    if problem is not None:
        return json_response(503, {"status": "unavailable", "write": problem, **details})
    return json_response(200, {"status": "ready", **details})


def add_readiness_route(app: web.Application, health: WriteHealth) -> None:
    """Mount GET /readyz answering from ``health`` (the API, and a worker's metrics port)."""
    app[WRITE_HEALTH] = health
    app.router.add_get("/readyz", readyz)


@dataclass(frozen=True, slots=True)
class MetricsSource:
    """What GET /metrics serves: the registry, the stream whose backlog it reports (if any), and
    the token it requires (None: open; "": a named variable that is empty, so closed)."""

    metrics: Metrics
    stream: MentionStream | None
    token: str | None


METRICS = web.AppKey("metrics_source", MetricsSource)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus' text format; behind a bearer token when ``ingest.metrics_token_env`` is set,
    because it shows each brand's detector score and threshold."""
    source = request.app[METRICS]
    token = source.token
    if token == "" or token is not None and not same_secret(f"Bearer {token}", request.headers.get("Authorization")):
        return json_response(
            401,
            {"error": "missing or wrong bearer token for /metrics"},
            {"WWW-Authenticate": 'Bearer realm="warner-metrics"'},
        )
    if source.stream is not None:  # the backlog and Redis memory, read now (one XLEN, one INFO)
        await refresh_store_gauges(source.metrics, source.stream.redis)
    return web.Response(body=generate_latest(source.metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_metrics_route(
    app: web.Application, config: IngestSettings, metrics_: Metrics, stream: MentionStream | None
) -> None:
    """Mount GET /metrics (with the token check the config asks for) on ``app``."""
    # A token variable that is named but empty closes /metrics ("" never matches) rather than open it.
    token = (config.ingest.metrics_token() or "") if config.ingest.metrics_token_env else None
    app[METRICS] = MetricsSource(metrics_, stream, token)
    app.router.add_get("/metrics", metrics)


def source_tokens(config: IngestSettings) -> TokenRegistry:
    """Tokens of every configured source whose env variable is set (several while one is rotated)."""
    return TokenRegistry({s.name: tokens for s in config.ingest.sources if (tokens := s.tokens())})


def create_app(
    config: IngestSettings,
    redis: RedisClient,
    *,
    tokens: TokenRegistry | None = None,
    metrics_: Metrics | None = None,
    wall_ms: Callable[[], int] | None = None,
    write_health: WriteHealth | None = None,
) -> web.Application:
    """Build the ingest application; the caller owns the Redis client.

    ``write_health``: the process's (shared with its worker, kept fresh by ``serve``); without it,
    one of the app's own that probes when ``/readyz`` asks.
    """
    app = web.Application(client_max_size=config.ingest.max_body_bytes, middlewares=[content_encoding])
    metrics_ = metrics_ or Metrics()
    health = write_health or WriteHealth(redis, gauge=metrics_.store_writable)
    app[CONTEXT] = IngestContext(
        config=config,
        stream=MentionStream(redis),
        tokens=tokens if tokens is not None else source_tokens(config),
        matcher=BrandMatcher(config.brands),
        metrics=metrics_,
        wall_ms=wall_ms or (lambda: int(time.time() * 1000)),
        verifiers=source_verifiers(config),
        replays=ReplayGuard(redis),
        limiter=RateLimiter(redis, source_rates(config)),
        refusals=RefusalLog(),
        write_health=health,
    )
    app.router.add_post("/v1/mentions", post_mentions)
    app.router.add_get("/healthz", healthz)
    add_readiness_route(app, health)
    if config.ingest.metrics_port is None:  # else served on its own port (service.start_api)
        add_metrics_route(app, config, app[CONTEXT].metrics, app[CONTEXT].stream)
    return app
