"""Serving warner's aiohttp apps with the limits aiohttp's server lacks.

aiohttp waits for ever for a request's headers and body, and for a client to read its
answer: a client that opens a connection and never finishes its request holds it until the
client goes (slowloris), and nothing caps how many are open. Here:

- **header timeout**: from a connection's start, and again from the end of each request on a
  kept-alive connection, the next request's headers must be complete within
  ``header_timeout``, else the connection is closed (so an idle kept-alive connection, or a
  pipelined request cut off half way, ends after ``header_timeout`` too);
- **body timeout**: once the headers are in, the handler — which reads the body when it needs
  it, after authentication and rate limits — must be done within ``body_timeout``, else
  ``408`` and the connection is closed; a client that stops reading our answer for that long
  (the socket's buffers full) is dropped too;
- **connection cap**: beyond ``max_connections`` open connections a new one is answered ``503``
  with ``Retry-After: 1`` and closed without reading it (refused connections are logged once
  per ``_REFUSAL_LOG_EVERY_S`` with their count);

Why a proxy protocol around aiohttp's ``RequestHandler``: aiohttp offers no hook between
"bytes arrived" and "headers parsed"; the proxy sees the bytes and the socket's write
buffer, the middleware sees the parsed request, and together they know when a connection is
stuck before its handler ever runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from aiohttp import web

log = structlog.get_logger(__name__)

_REFUSAL_LOG_EVERY_S = 10.0
_LINGER_S = 1.0  # after answering a request whose body never came, read on this long (aiohttp: 10 s), then close
_OVER_CAPACITY_BODY = b'{"error": "too many open connections, nothing was read; retry later"}'
_OVER_CAPACITY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: " + str(len(_OVER_CAPACITY_BODY)).encode() + b"\r\n\r\n"
    + _OVER_CAPACITY_BODY
)


DEADLINE = web.RequestKey("warner_http_deadline", asyncio.Timeout)  # the request's body deadline (``lift_deadline``)


def lift_deadline(request: web.Request) -> None:
    """A handler that streams for long (server-sent events) lifts its request's body deadline, once it has
    answered the headers: a GET without a body has nothing left to read slowly, and the stream ends when the
    client goes or the server shuts down."""
    deadline = request.get(DEADLINE)
    if deadline is not None:
        deadline.reschedule(None)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What one server tolerates from its clients; seconds."""

    max_connections: int = 1024
    header_timeout: float = 10.0
    body_timeout: float = 30.0


class _Guarded(asyncio.Protocol):
    """One connection: aiohttp's handler behind a header deadline and a write deadline."""

    def __init__(self, guard: ConnectionGuard, handler: asyncio.Protocol) -> None:
        self._guard = guard
        self._handler = handler
        self.transport: asyncio.Transport | None = None
        self._header_deadline: asyncio.TimerHandle | None = None
        self._write_deadline: asyncio.TimerHandle | None = None
        self._refused = False
        self.in_request = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self._guard.admit(self):
            self._refused = True
            transport.write(_OVER_CAPACITY)  # a sender that honours Retry-After comes back; then close
            transport.close()
            return
        self._arm_header_deadline()
        self._handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self._handler.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel(self._header_deadline)
        self._cancel(self._write_deadline)
        self._header_deadline = self._write_deadline = None
        if self._refused:
            return
        self._guard.forget(self)
        self._handler.connection_lost(exc)

    def pause_writing(self) -> None:
        """The client does not read our answer: it has ``body_timeout`` to start again."""
        if self._write_deadline is None:
            loop = asyncio.get_running_loop()
            self._write_deadline = loop.call_later(self._guard.limits.body_timeout, self._drop_reader)
        self._handler.pause_writing()

    def resume_writing(self) -> None:
        self._cancel(self._write_deadline)
        self._write_deadline = None
        self._handler.resume_writing()

    def request_started(self) -> None:
        self.in_request = True
        self._cancel(self._header_deadline)
        self._header_deadline = None

    def request_done(self) -> None:
        """The next request's headers are on the clock (a pipelined one may be half in already)."""
        self.in_request = False
        self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        self._cancel(self._header_deadline)
        loop = asyncio.get_running_loop()
        self._header_deadline = loop.call_later(self._guard.limits.header_timeout, self._expire_headers)

    @staticmethod
    def _cancel(handle: asyncio.TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()

    def _expire_headers(self) -> None:
        self._header_deadline = None
        if self.transport is not None and (self._write_deadline is not None or self.transport.get_write_buffer_size()):
            self._arm_header_deadline()  # our answer is still going out: the write deadline watches that
            return
        if not self.in_request and self.transport is not None and not self.transport.is_closing():
            self._guard.header_timeouts += 1
            log.debug("http_header_timeout", peer=_peer(self.transport))
            self.transport.abort()

    def _drop_reader(self) -> None:
        self._write_deadline = None
        if self.transport is not None and not self.transport.is_closing():
            self._guard.write_timeouts += 1
            log.info("http_write_timeout", peer=_peer(self.transport))
            self.transport.abort()


class ConnectionGuard:
    """Connection bookkeeping shared by the proxy protocols and the middleware of one app."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self._open: dict[int, _Guarded] = {}
        self.refused = 0
        self.header_timeouts = 0
        self.body_timeouts = 0
        self.write_timeouts = 0
        self._refused_since_log = 0
        self._last_refusal_log = 0.0

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def protocol_factory(self, make_handler: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        return lambda: _Guarded(self, make_handler())

    def admit(self, connection: _Guarded) -> bool:
        if len(self._open) >= self.limits.max_connections:
            self.refused += 1
            self._refused_since_log += 1
            now = time.monotonic()
            if now - self._last_refusal_log >= _REFUSAL_LOG_EVERY_S:
                log.warning("http_connections_refused", count=self._refused_since_log,
                            max_connections=self.limits.max_connections)
                self._refused_since_log, self._last_refusal_log = 0, now
            return False
        self._open[id(connection.transport)] = connection
        return True

    def forget(self, connection: _Guarded) -> None:
        self._open.pop(id(connection.transport), None)

    def connection_of(self, request: web.Request) -> _Guarded | None:
        return self._open.get(id(request.transport)) if request.transport is not None else None

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Headers are in: stop the header clock; the handler (body included) has ``body_timeout``.

        The body is not read here: a handler refuses a bad token or an exhausted rate limit
        before it reads (and decompresses) anything.
        """
        connection = self.connection_of(request)
        if connection is not None:
            connection.request_started()
        try:
            deadline = asyncio.timeout(self.limits.body_timeout)
            request[DEADLINE] = deadline
            try:
                async with deadline:
                    return await handler(request)
            except TimeoutError:
                if not deadline.expired():
                    raise  # the handler's own timeout, not ours
            self.body_timeouts += 1
            log.info("http_body_timeout", path=request.path, peer=request.remote)
            response = web.json_response(
                {"error": f"request not received and handled within {self.limits.body_timeout:g}s"}, status=408
            )
            response.force_close()
            return response
        finally:
            if connection is not None:
                connection.request_done()


class GuardedSite(web.BaseSite):
    """A TCP site whose connections go through a :class:`ConnectionGuard`."""

    __slots__ = ("_guard", "_host", "_port", "bound_port")

    def __init__(self, runner: web.BaseRunner, guard: ConnectionGuard, host: str, port: int, backlog: int = 1024):
        super().__init__(runner, backlog=backlog)
        self._guard = guard
        self._host = host
        self._port = port
        self.bound_port = 0

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self.bound_port or self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self._guard.protocol_factory(server), self._host, self._port, backlog=self._backlog, reuse_address=True
        )
        sockets = self._server.sockets
        self.bound_port = sockets[0].getsockname()[1] if sockets else self._port


async def serve_guarded(app: web.Application, host: str, port: int, limits: ConnectionLimits) -> tuple[
    web.AppRunner, GuardedSite, ConnectionGuard
]:
    """Start ``app`` on ``host:port`` behind the limits; the caller cleans up the runner."""
    guard = ConnectionGuard(limits)
    app.middlewares.insert(0, guard.middleware)
    runner = web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        keepalive_timeout=limits.header_timeout,  # the header clock ends idle connections; this is aiohttp's backstop
        lingering_time=_LINGER_S,
    )
    await runner.setup()
    site = GuardedSite(runner, guard, host, port)
    await site.start()
    return runner, site, guard


def _peer(transport: asyncio.BaseTransport) -> str | None:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else None
