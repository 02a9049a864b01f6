"""Live updates for open pages: every warner process publishes, the console streams (server-sent events).

An incident that opens or changes — a detector event in a worker, a response (ack, snooze,
resolve …) wherever it was given — is published on the Redis channel ``keys.WEB_EVENTS`` as
``{"id": …, "kind": …}``. The web process subscribes once (``EventFanout``, started by
``start_web``) and hands each message to every open ``GET /events`` stream
(``WebContext.listeners``, one queue per browser tab). A quiet stream gets a keep-alive
comment every ``KEEP_ALIVE_S`` (proxies keep it open) and drops its queue within
``GONE_CHECK_S`` of its browser going. The pages re-fetch what they show when an event
arrives: the event only says *which* incident changed (``resync``: maybe several were missed).
The stream lifts the connection guard's body deadline (``http_server.lift_deadline``): it is a
GET that has nothing left to read.

Publishing is fire and forget: a lost message costs a page one refresh, never a page, so a
failed publish is logged and detection and responses go on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from aiohttp import web

from warner.http_server import lift_deadline
from warner.store import keys

if TYPE_CHECKING:
    from warner.incidents.lifecycle import Transition
    from warner.incidents.model import IncidentEvent
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

KEEP_ALIVE_S = 15.0
GONE_CHECK_S = 1.0  # how often a quiet stream looks whether its browser went away
QUEUE_SIZE = 64  # events a slow tab may fall behind by; beyond, it gets one "resync" instead
RETRY_S = 1.0  # wait before subscribing again after Redis went away
CLOSE = ""  # put on a listener's queue: the stream ends (server shutting down)
RESYNC = orjson.dumps({"id": None, "kind": "resync"}).decode()  # something may have been missed: reload all


async def publish(redis: RedisClient, incident_id: str, kind: str) -> None:
    """Tell every console that ``incident_id`` changed (``kind``: opened, escalated, acknowledged, …)."""
    try:
        await redis.publish(keys.WEB_EVENTS, orjson.dumps({"id": incident_id, "kind": kind}))
    except Exception:  # Redis away for a moment: an open page misses one refresh, nothing else
        log.warning("web_event_publish_failed", incident=incident_id, kind=kind, exc_info=True)


def incident_publisher(redis: RedisClient) -> Callable[[IncidentEvent], Awaitable[None]]:
    """A detect-stage hook (``IncidentHook``) that publishes each incident event."""

    async def hook(event: IncidentEvent) -> None:
        await publish(redis, event.incident.id, event.kind)

    return hook


def response_publisher(redis: RedisClient) -> Callable[[Transition], Awaitable[None]]:
    """A responder listener that publishes each response (ack, snooze, resolve, false alarm)."""

    async def listener(t: Transition) -> None:
        await publish(redis, t.response.incident_id, t.response.state)

    return listener


def deliver(listeners: set[asyncio.Queue[str]], data: str) -> None:
    """Hand ``data`` to every open stream; a queue that is full gets emptied and one resync instead."""
    for queue in list(listeners):
        try:
            queue.put_nowait(data)
        except asyncio.QueueFull:
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(RESYNC)


class EventFanout:
    """The web process's one subscription to ``keys.WEB_EVENTS``, fanned out to ``listeners``."""

    def __init__(self, redis: RedisClient, listeners: set[asyncio.Queue[str]]) -> None:
        self.redis = redis
        self.listeners = listeners
        self.subscribed = asyncio.Event()  # set once listening (tests and start-up wait for it)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="web-events")

    async def close(self) -> None:
        """Stop listening and end every open stream."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        deliver(self.listeners, CLOSE)

    async def _run(self) -> None:
        missed = False
        while True:
            try:
                await self._listen(missed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("web_events_subscription_lost", exc_info=True)
            self.subscribed.clear()
            missed = True
            await asyncio.sleep(RETRY_S)

    async def _listen(self, missed: bool) -> None:
        pubsub: Any = self.redis.pubsub(ignore_subscribe_messages=True)  # PubSub or ClusterPubSub: same calls
        try:
            await pubsub.subscribe(keys.WEB_EVENTS)
            self.subscribed.set()
            log.info("web_events_subscribed")
            if missed:  # events published while we were away are lost: every page reloads its list
                deliver(self.listeners, RESYNC)
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                data = message["data"]
                deliver(self.listeners, data.decode() if isinstance(data, bytes) else str(data))
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()


def stream_handler(listeners: set[asyncio.Queue[str]]) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /events``: ``event: incident`` with ``{"id", "kind"}`` per change, a comment every 15 s."""

    async def stream(request: web.Request) -> web.StreamResponse:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_SIZE)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "X-Accel-Buffering": "no",  # a proxy in front must not hold events back
            }
        )
        listeners.add(queue)
        try:
            await response.prepare(request)
            lift_deadline(request)
            await response.write(b"retry: 3000\n: connected\n\n")
            await _pump(request, response, queue)
        except ConnectionError:
            pass  # the browser went away
        finally:
            listeners.discard(queue)
        return response

    return stream


async def _pump(request: web.Request, response: web.StreamResponse, queue: asyncio.Queue[str]) -> None:
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while True:
        try:
            data = await asyncio.wait_for(queue.get(), timeout=GONE_CHECK_S)
        except TimeoutError:
            if request.transport is None or request.transport.is_closing():
                return  # the browser went away (tab closed, page left)
            if loop.time() - quiet_since >= KEEP_ALIVE_S:
                await response.write(b": keep-alive\n\n")
                quiet_since = loop.time()
            continue
        if data == CLOSE:
            return
        await response.write(b"event: incident\ndata: " + data.encode() + b"\n\n")
        quiet_since = loop.time()


def add_routes(app: web.Application, listeners: set[asyncio.Queue[str]]) -> None:
    """``GET /events`` on ``app``, streaming to ``listeners`` (``WebContext.listeners``); on shutdown every open
    stream ends, so the server need not wait for the browsers to go."""

    async def close_streams(app: web.Application) -> None:
        deliver(listeners, CLOSE)

    app.router.add_get("/events", stream_handler(listeners))
    app.on_shutdown.append(close_streams)
