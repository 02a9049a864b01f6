"""A local SMS gateway double: a generic send endpoint and Twilio's Messages endpoint.

Runs on 127.0.0.1, port 0, in the test's event loop (after aiohttp's ``fake_server.py``).
Records every request as the gateway saw it, and can be told to fail the next requests
(429 with ``Retry-After``, 500, 400) or to be slow.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Self

import orjson
from aiohttp import web

from doubles import serve_on_loopback

GENERIC_PATH = "/send"


@dataclass(slots=True)
class GatewayRequest:
    """One request as received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)
    json: Any = None
    basic_auth: tuple[str, str] | None = None
    bearer: str | None = None
    received_at: float = 0.0  # time.perf_counter() when the request reached the double (latency benchmarks)


@dataclass(slots=True)
class _Failure:
    status: int
    retry_after: float | None
    body: str


class SmsGateway:
    """``async with SmsGateway() as gw:`` … ``gw.url``, ``gw.requests``, ``gw.fail_next(...)``."""

    def __init__(self, *, account_sid: str = "AC0123456789abcdef", auth_token: str = "twilio-test-token") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[GatewayRequest] = []
        self.latency = 0.0  # seconds before answering
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def fail_next(self, n: int, status: int, *, retry_after: float | None = None, body: str = "") -> None:
        """The next ``n`` requests (to any endpoint) get ``status``."""
        text = body or {429: "rate limited", 500: "internal error", 400: "invalid number"}.get(status, "error")
        self._failures += [_Failure(status, retry_after, text) for _ in range(n)]

    @property
    def twilio_messages_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_route("*", GENERIC_PATH, self._generic)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._twilio)
        self._runner, port = await serve_on_loopback(app)
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _receive(self, request: web.Request) -> tuple[GatewayRequest, web.Response | None]:
        received_at = time.perf_counter()
        body = await request.read()
        recorded = GatewayRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            body=body,
            received_at=received_at,
        )
        content_type = request.content_type
        if content_type == "application/x-www-form-urlencoded":
            recorded.form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        elif content_type == "application/json":
            recorded.json = orjson.loads(body)
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Basic":
            user, _, password = base64.b64decode(credentials).decode().partition(":")
            recorded.basic_auth = (user, password)
        elif scheme == "Bearer":
            recorded.bearer = credentials
        self.requests.append(recorded)
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._failures:
            failure = self._failures.pop(0)
            headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else None
            return recorded, web.json_response({"message": failure.body}, status=failure.status, headers=headers)
        return recorded, None

    async def _generic(self, request: web.Request) -> web.Response:
        _, failure = await self._receive(request)
        return failure or web.json_response({"id": f"msg-{next(self._ids)}", "status": "queued"})

    async def _twilio(self, request: web.Request) -> web.Response:
        recorded, failure = await self._receive(request)
        if failure is not None:
            return failure
        if request.match_info["sid"] != self.account_sid or recorded.basic_auth != (
            self.account_sid,
            self.auth_token,
        ):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        missing = [name for name in ("To", "From", "Body") if not recorded.form.get(name)]
        if missing:
            message = f"A '{missing[0]}' parameter is required."
            return web.json_response({"code": 21604, "message": message, "status": 400}, status=400)
        sid = f"SM{next(self._ids):032x}"
        return web.json_response(
            {"sid": sid, "status": "queued", "to": recorded.form["To"], "body": recorded.form["Body"]}, status=201
        )
