"""A local stand-in for the Bluesky XRPC API (aiohttp on 127.0.0.1, port 0).

Enough of the AppView for a search source: ``app.bsky.feed.searchPosts`` (q, limit, sort,
since, until, lang, cursor — ordered and filtered by ``sortAt`` like the real one),
``app.bsky.actor.getProfiles`` (at most 25 actors; unknown ones are left out) and
``com.atproto.server.createSession``. Answers have the real shapes (post views, profile
views, XRPC errors ``{"error", "message"}``). Every request is recorded (``requests``);
tests add posts (``post``, ``malformed``) and programme failures (``fail``).

    async with BlueskyApiDouble() as api:
        api.post("Kesselberger ist super", at=T0, handle="anna.bsky.social", followers=120)
        source = BlueskySource(BlueskyConfig(name="bsky", service=api.base_url, queries=["kesselberger"]))
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from doubles import serve_on_loopback

MAX_ACTORS = 25


@dataclass
class Request:
    method: str  # XRPC method, e.g. app.bsky.feed.searchPosts
    params: dict[str, list[str]]  # query parameters, repeated ones in order
    authorization: str | None = None


@dataclass
class _Failure:
    status: int
    times: int
    headers: dict[str, str]
    error: str


@dataclass
class _Entry:
    view: dict[str, Any]  # what searchPosts returns
    text: str  # what q matches against (kept apart so a malformed view still matches)
    sort_at: datetime
    lang: str | None


@dataclass
class BlueskyApiDouble:
    """The fake XRPC service. ``base_url`` is what BlueskyConfig.service should be."""

    requests: list[Request] = field(default_factory=list)
    followers: dict[str, int] = field(default_factory=dict)  # did -> followersCount (absent = no profile)
    credentials: tuple[str, str] | None = None  # (identifier, app password) createSession accepts
    port: int = 0
    _entries: list[_Entry] = field(default_factory=list)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _rkeys: Any = field(default_factory=lambda: itertools.count(1))
    _tokens: set[str] = field(default_factory=set)
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> BlueskyApiDouble:
        app = web.Application()
        app.router.add_get("/xrpc/app.bsky.feed.searchPosts", self._search_posts)
        app.router.add_get("/xrpc/app.bsky.actor.getProfiles", self._get_profiles)
        app.router.add_post("/xrpc/com.atproto.server.createSession", self._create_session)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests use -------------------------------------------------------------------

    def post(
        self,
        text: str,
        *,
        at: datetime,
        handle: str = "anna.bsky.social",
        followers: int | None = None,
        indexed_at: datetime | None = None,
        langs: list[str] | None = None,
        likes: int = 0,
        reposts: int = 0,
        replies: int = 0,
    ) -> dict[str, Any]:
        """Publish a post created ``at`` (indexed then, unless ``indexed_at``); returns its post view."""
        did = f"did:plc:{handle.split('.')[0]}"
        if followers is not None:
            self.followers[did] = followers
        n = next(self._rkeys)
        uri = f"at://{did}/app.bsky.feed.post/3k{n:011d}"
        indexed = indexed_at or at
        view = {
            "uri": uri,
            "cid": f"bafyrei{n:052d}",
            "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title(), "labels": []},
            "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": _iso(at), "langs": langs or ["de"]},
            "indexedAt": _iso(indexed),
            "likeCount": likes,
            "repostCount": reposts,
            "replyCount": replies,
            "quoteCount": 0,
            "labels": [],
        }
        self._entries.append(_Entry(view, text, min(at, indexed), (langs or ["de"])[0]))
        return view

    def malformed(self, text: str, *, at: datetime, drop: str = "createdAt") -> dict[str, Any]:
        """A post view that still matches ``text`` but lacks ``drop`` (createdAt, record or uri)."""
        view = self.post(text, at=at)
        if drop == "createdAt":
            del view["record"]["createdAt"]
        else:
            del view[drop]
        return view

    def fail(self, method: str, *, status: int = 500, times: int = 1, headers: dict[str, str] | None = None,
             error: str = "InternalServerError") -> None:  # fmt: skip
        """The next ``times`` calls of ``method`` answer ``status`` with ``headers`` (e.g. RateLimit-Reset)."""
        self._failures.setdefault(method, []).append(_Failure(status, times, headers or {}, error))

    def calls_of(self, method: str) -> list[dict[str, list[str]]]:
        return [r.params for r in self.requests if r.method == method]

    # --- the API ----------------------------------------------------------------------------

    def _record(self, request: web.Request, method: str) -> web.Response | None:
        params: dict[str, list[str]] = {}
        for key, value in request.query.items():
            params.setdefault(key, []).append(value)
        self.requests.append(Request(method, params, request.headers.get("Authorization")))
        failures = self._failures.get(method)
        if failures:
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.pop(0)
            body = {"error": failure.error, "message": f"programmed HTTP {failure.status}"}
            return web.json_response(body, status=failure.status, headers=failure.headers)
        if self.credentials is not None and method != "com.atproto.server.createSession":
            token = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token not in self._tokens:
                return _error(401, "AuthenticationRequired", "Authentication Required")
        return None

    async def _search_posts(self, request: web.Request) -> web.Response:
        if (failed := self._record(request, "app.bsky.feed.searchPosts")) is not None:
            return failed
        q = request.query.get("q", "").strip()
        if not q:
            return _error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        try:
            limit = int(request.query.get("limit", "25"))
            offset = int(request.query.get("cursor", "0"))
            since = _parse(request.query.get("since"))
            until = _parse(request.query.get("until"))
        except ValueError as exc:
            return _error(400, "InvalidRequest", str(exc))
        if not 1 <= limit <= 100:
            return _error(400, "InvalidRequest", "Error: limit must be between 1 and 100")
        lang = request.query.get("lang")
        hits = [
            e
            for e in self._entries
            if q.lower() in e.text.lower()
            and (since is None or e.sort_at >= since)
            and (until is None or e.sort_at < until)
            and (lang is None or e.lang == lang)
        ]
        hits.sort(key=lambda e: e.sort_at, reverse=True)
        page = hits[offset : offset + limit]
        body: dict[str, Any] = {"posts": [e.view for e in page], "hitsTotal": len(hits)}
        if offset + limit < len(hits):
            body["cursor"] = str(offset + limit)
        return web.json_response(body)

    async def _get_profiles(self, request: web.Request) -> web.Response:
        if (failed := self._record(request, "app.bsky.actor.getProfiles")) is not None:
            return failed
        actors = request.query.getall("actors", [])
        if not actors or len(actors) > MAX_ACTORS:
            return _error(400, "InvalidRequest", f"Error: actors must have between 1 and {MAX_ACTORS} items")
        profiles = [
            {"did": did, "handle": _handle_of(did, self._entries), "followersCount": self.followers[did],
             "followsCount": 10, "postsCount": 100}
            for did in actors
            if did in self.followers
        ]  # fmt: skip
        return web.json_response({"profiles": profiles})

    async def _create_session(self, request: web.Request) -> web.Response:
        if (failed := self._record(request, "com.atproto.server.createSession")) is not None:
            return failed
        body = await request.json()
        if self.credentials is None or (body.get("identifier"), body.get("password")) != self.credentials:
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        token = f"jwt-{len(self._tokens) + 1}"
        self._tokens.add(token)
        return web.json_response({"accessJwt": token, "refreshJwt": f"refresh-{token}", "did": "did:plc:warner",
                                  "handle": body["identifier"], "active": True})  # fmt: skip

    def expire_sessions(self) -> None:
        """Every access token issued so far stops working (as after its two hours)."""
        self._tokens.clear()


def _error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


def _handle_of(did: str, entries: list[_Entry]) -> str:
    for e in entries:
        author = e.view.get("author") or {}
        if author.get("did") == did:
            return author["handle"]
    return "handle.invalid"


def _parse(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"datetime without time zone: {value}")
    return parsed


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
