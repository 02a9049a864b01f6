"""A local Twilio Voice API double: places calls, plays their outcome, presses keys as Twilio would.

Runs on 127.0.0.1, port 0, in the test's event loop. ``POST Calls.json`` records the call
(To, From, Twiml, Timeout) and answers 201 with a sid and ``queued``; the first status read
says ``ringing``, the next the outcome scripted for the number (``answered`` by default,
read as ``in-progress``; or ``busy``, ``no-answer``, ``failed``; ``ringing`` rings for ever).
``fail_next`` makes the next requests 429/500/…; ``latency`` slows every answer.

``press(call, digits)`` does what Twilio does when the person presses a key: it POSTs the
``<Gather>`` action URL from the call's TwiML with the call's parameters, signed with the
auth token (``X-Twilio-Signature``, computed here as Twilio documents it, independently of
warner's code). A generic hook double (``VoiceHook``) answers warner's JSON call requests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import re
import time
from dataclasses import dataclass, field
from html import unescape
from typing import Any, Self

import aiohttp
import orjson
from aiohttp import web

from doubles import serve_on_loopback

OUTCOME_STATUS = {"answered": "in-progress", "busy": "busy", "no-answer": "no-answer", "failed": "failed"}


@dataclass(slots=True)
class PlacedCall:
    sid: str
    to: str
    sender: str
    twiml: str
    timeout: str
    outcome: str
    status_reads: int = 0
    canceled: bool = False
    received_at: float = 0.0  # time.perf_counter() when the call request arrived (latency benchmarks)

    @property
    def status(self) -> str:
        if self.canceled:
            return "canceled"
        if self.status_reads <= 1 or self.outcome == "ringing":
            return "ringing"
        return OUTCOME_STATUS[self.outcome]

    @property
    def gather_action(self) -> str:
        match = re.search(r'<Gather [^>]*action="([^"]+)"', self.twiml)
        assert match, f"no <Gather action> in {self.twiml}"
        return unescape(match.group(1))

    def said(self) -> list[tuple[str, str]]:
        """(language, text) of every <Say>, in order."""
        return [
            (lang, unescape(text)) for lang, text in re.findall(r'<Say language="([^"]+)">([^<]*)</Say>', self.twiml)
        ]


@dataclass(slots=True)
class _Failure:
    status: int
    retry_after: float | None


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature, as documented: HMAC-SHA1 of the URL and the sorted parameters."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class VoiceApi:
    """``async with VoiceApi() as api:`` … ``api.url``, ``api.calls``, ``api.script(number, outcome)``."""

    def __init__(self, *, account_sid: str = "AC0123456789abcdef", auth_token: str = "twilio-test-token") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.calls: list[PlacedCall] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.latency = 0.0
        self._outcomes: dict[str, str] = {}
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def script(self, number: str, outcome: str) -> None:
        """How calls to ``number`` end: answered, busy, no-answer, failed or ringing (for ever)."""
        assert outcome in (*OUTCOME_STATUS, "ringing")
        self._outcomes[number] = outcome

    def fail_next(self, n: int, status: int, *, retry_after: float | None = None) -> None:
        self._failures += [_Failure(status, retry_after) for _ in range(n)]

    async def start(self) -> Self:
        app = web.Application()
        base = "/2010-04-01/Accounts/{sid}/Calls"
        app.router.add_post(base + ".json", self._create)
        app.router.add_get(base + "/{call}.json", self._read)
        app.router.add_post(base + "/{call}.json", self._update)
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

    async def press(
        self,
        call: PlacedCall,
        digits: str,
        *,
        auth_token: str | None = None,
        url: str | None = None,
        signed_url: str | None = None,
    ) -> tuple[int, str]:
        """The person pressed ``digits``: POST the gather action as Twilio would; (status, body) of warner's answer.

        For forgeries: ``auth_token`` signs with another token, ``url`` posts elsewhere, ``signed_url``
        is what the signature covers (default: the URL posted to).
        """
        params = {
            "AccountSid": self.account_sid, "CallSid": call.sid, "CallStatus": "in-progress",
            "Direction": "outbound-api", "Digits": digits, "From": call.sender, "To": call.to, "FinishedOnKey": "",
        }  # fmt: skip
        action = url or call.gather_action
        signature = sign(auth_token or self.auth_token, signed_url or action, params)
        headers = {"X-Twilio-Signature": signature}
        async with aiohttp.ClientSession() as session, session.post(action, data=params, headers=headers) as response:
            return response.status, await response.text()

    async def _gate(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.method, request.path))
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._failures:
            failure = self._failures.pop(0)
            headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else None
            return web.json_response({"message": "failure"}, status=failure.status, headers=headers)
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.match_info["sid"] != self.account_sid or request.headers.get("Authorization") != expected:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        return None

    async def _create(self, request: web.Request) -> web.Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        missing = [name for name in ("To", "From", "Twiml") if not form.get(name)]
        if missing:
            return web.json_response({"code": 21205, "message": f"'{missing[0]}' is required"}, status=400)
        call = PlacedCall(
            f"CA{next(self._ids):032x}", form["To"], form["From"], form["Twiml"], form.get("Timeout", ""),
            self._outcomes.get(form["To"], "answered"), received_at=time.perf_counter(),
        )  # fmt: skip
        self.calls.append(call)
        return web.json_response(self._json(call, "queued"), status=201)

    def _call(self, request: web.Request) -> PlacedCall | None:
        return next((c for c in self.calls if c.sid == request.match_info["call"]), None)

    async def _read(self, request: web.Request) -> web.Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        call = self._call(request)
        if call is None:
            return web.json_response({"code": 20404, "message": "not found"}, status=404)
        call.status_reads += 1
        return web.json_response(self._json(call, call.status))

    async def _update(self, request: web.Request) -> web.Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        call = self._call(request)
        if call is None:
            return web.json_response({"code": 20404, "message": "not found"}, status=404)
        if (await request.post()).get("Status") == "canceled":
            call.canceled = True
        return web.json_response(self._json(call, call.status))

    def _json(self, call: PlacedCall, status: str) -> dict[str, Any]:
        return {"sid": call.sid, "to": call.to, "from": call.sender, "status": status, "account_sid": self.account_sid}


@dataclass(slots=True)
class VoiceHook:
    """A generic call hook: records warner's JSON requests, answers the scripted status."""

    token: str = "hook-test-token"  # what warner must send
    press_token: str = "press-test-token"  # what the hook sends with a key press
    status: str = "answered"
    http_status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    bearers: list[str] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/call", self._call)
        self._runner, port = await serve_on_loopback(app)
        self.url = f"http://127.0.0.1:{port}/call"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _call(self, request: web.Request) -> web.Response:
        self.bearers.append(request.headers.get("Authorization", ""))
        self.requests.append(orjson.loads(await request.read()))
        if self.http_status != 200:
            return web.json_response({"error": "hook failure"}, status=self.http_status)
        return web.json_response({"status": self.status, "id": f"hook-{len(self.requests)}"})

    async def press(self, digits: str, *, token: str | None = None, code: str | None = None) -> tuple[int, Any]:
        """The person pressed ``digits`` during the last call: POST its callback_url as the hook would."""
        call = self.requests[-1]
        body = {"code": code if code is not None else call["code"], "to": call["to"], "digits": digits}
        headers = {"Authorization": f"Bearer {token or self.press_token}"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(call["callback_url"], json=body, headers=headers) as response,
        ):
            return response.status, await response.json()
