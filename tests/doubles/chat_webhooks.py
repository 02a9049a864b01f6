"""A local double of team-chat webhooks: Microsoft Teams Workflows URLs and Slack incoming webhooks.

Runs on 127.0.0.1, port 0, in the test's event loop. Every POST to ``/teams/<hook>`` or
``/slack/<hook>`` is recorded with its JSON body; the answers are the platforms' own (Teams
Workflows: 202 and an empty body; Slack: 200 ``ok``) unless the test scripts failures for the
next requests: any status with a body (Slack names its reason there: ``channel_is_archived``),
``Retry-After``, or a delay longer than the client waits. ``/slack/respond/<id>`` stands in for
the ``response_url`` of a Slack interaction and records what warner answers a button press with.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal, Self

import orjson
from aiohttp import web

from doubles import serve_on_loopback

Platform = Literal["teams", "slack"]


@dataclass(slots=True)
class Posted:
    """One webhook request as the platform received it."""

    platform: str
    hook: str
    content_type: str
    json: Any
    received_at: float


@dataclass(slots=True)
class _Scripted:
    status: int
    body: str
    retry_after: float | None
    delay: float


class ChatWebhooks:
    """``async with ChatWebhooks() as hooks:`` … ``hooks.url("slack")``, ``hooks.posted``, ``hooks.fail_next(...)``."""

    def __init__(self) -> None:
        self.posted: list[Posted] = []
        self.responses: list[Posted] = []  # posts to a Slack interaction's response_url
        self.base = ""
        self._script: list[_Scripted] = []
        self._runner: web.AppRunner | None = None

    def url(self, platform: Platform, hook: str | None = None) -> str:
        """A new webhook URL of ``platform`` whose path is a secret, like the real ones."""
        return f"{self.base}/{platform}/{hook or secrets.token_urlsafe(12)}"

    def fail_next(
        self, n: int, status: int, *, body: str = "", retry_after: float | None = None, delay: float = 0.0
    ) -> None:
        """The next ``n`` webhook posts get ``status`` (after ``delay`` seconds)."""
        self._script += [_Scripted(status, body, retry_after, delay) for _ in range(n)]

    def slow_next(self, n: int, delay: float) -> None:
        """The next ``n`` posts are answered normally, but only after ``delay`` seconds."""
        self._script += [_Scripted(0, "", None, delay) for _ in range(n)]

    def bodies(self, platform: Platform) -> list[Any]:
        return [p.json for p in self.posted if p.platform == platform]

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_post("/teams/{hook}", self._receive)
        app.router.add_post("/slack/respond/{hook}", self._respond)
        app.router.add_post("/slack/{hook}", self._receive)
        self._runner, port = await serve_on_loopback(app)
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _record(self, request: web.Request) -> Posted:
        body = await request.read()
        platform = request.path.split("/")[1]
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            parsed = None
        return Posted(platform, request.match_info["hook"], request.content_type, parsed, time.perf_counter())

    async def _receive(self, request: web.Request) -> web.Response:
        posted = await self._record(request)
        self.posted.append(posted)
        scripted = self._script.pop(0) if self._script else None
        if scripted is not None and scripted.delay:
            await asyncio.sleep(scripted.delay)
        if scripted is not None and scripted.status:
            headers = {"Retry-After": f"{scripted.retry_after:g}"} if scripted.retry_after is not None else None
            return web.Response(status=scripted.status, text=scripted.body, headers=headers)
        if posted.json is None:
            return web.Response(status=400, text="invalid_payload")
        if posted.platform == "teams":
            return web.Response(status=202)
        return web.Response(text="ok")

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(await self._record(request))
        return web.Response(text="ok")
