"""A local stand-in for a Mastodon instance's read API (aiohttp on 127.0.0.1, port 0).

Serves ``GET /api/v1/timelines/tag/{tag}`` and ``GET /api/v2/search?type=statuses`` with
statuses shaped like Mastodon's (ids as decimal strings, ISO ``created_at``, HTML
``content``, ``account`` with ``acct`` and ``followers_count``, ``reblog``, counts, …).
Paging follows Mastodon: ``max_id``/``since_id`` give the newest page, ``min_id`` the page
immediately after it; ``limit`` is capped at 40; ``Link`` carries next (max_id) and prev
(min_id). Every request is recorded with its query and Authorization header; tests post
statuses, boosts and malformed statuses and programme failures (429 with Retry-After or
X-RateLimit-Reset, 500, 401).

    async with MastodonApiDouble() as api:
        api.post("warner", "<p>Ich liebe <a href='…'>#warner</a></p>", followers=120)
        source = MastodonSource(MastodonConfig(name="m", instance=api.base_url, hashtags=["warner"]))
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from aiohttp import web

from doubles import serve_on_loopback

MAX_LIMIT = 40
HOST = "social.example"


@dataclass
class Request:
    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass
class _Failure:
    status: int
    times: int
    headers: dict[str, str]


@dataclass
class MastodonApiDouble:
    """The fake instance. ``base_url`` is what MastodonConfig.instance should be."""

    token: str | None = None  # when set, requests without "Bearer <token>" get 401
    requests: list[Request] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)  # oldest first, as posted

    def __post_init__(self) -> None:
        self._ids = itertools.count(110_000_000_000_000_001)
        self._clock = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
        self._failures: list[_Failure] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/api/v1/timelines/tag/{tag}", self._tag_timeline)
        app.router.add_get("/api/v2/search", self._search)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests use -------------------------------------------------------------------

    def post(
        self,
        tag: str | None,
        content: str,
        *,
        acct: str = "anna@social.example",
        followers: int = 100,
        boosts: int = 0,
        favourites: int = 0,
        language: str | None = "de",
        spoiler: str = "",
    ) -> dict[str, Any]:
        """Publish a public status (tagged with ``tag`` when given) and return it."""
        status_id = str(next(self._ids))
        self._clock += timedelta(seconds=7)
        username = acct.split("@")[0]
        status = {
            "id": status_id,
            "created_at": self._clock.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": bool(spoiler),
            "spoiler_text": spoiler,
            "visibility": "public",
            "language": language,
            "uri": f"https://{HOST}/users/{username}/statuses/{status_id}",
            "url": f"https://{HOST}/@{username}/{status_id}",
            "replies_count": 0,
            "reblogs_count": boosts,
            "favourites_count": favourites,
            "edited_at": None,
            "content": content,
            "reblog": None,
            "application": {"name": "Web", "website": None},
            "account": _account(acct, followers),
            "media_attachments": [],
            "mentions": [],
            "tags": [{"name": tag, "url": f"https://{HOST}/tags/{tag}"}] if tag else [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        self.statuses.append(status)
        return status

    def boost(self, original: dict[str, Any], *, acct: str = "ben@other.example") -> dict[str, Any]:
        """A reblog of ``original`` (its own id, ``content`` empty, ``reblog`` the original)."""
        wrapper = self.post(_tag_of(original), "", acct=acct, followers=5)
        wrapper.update(reblog=original, uri=f"{original['uri']}/activity", url=None, language=None)
        original["reblogs_count"] += 1
        return wrapper

    def post_malformed(self, tag: str, *, drop: str = "created_at") -> dict[str, Any]:
        """A status missing the field ``drop`` (still with an id, so paging works)."""
        status = self.post(tag, "<p>kaputt</p>")
        del status[drop]
        return status

    def fail(self, *, status: int = 500, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """The next ``times`` requests answer ``status`` with ``headers`` (e.g. Retry-After)."""
        self._failures.append(_Failure(status, times, headers or {}))

    def queries(self, path_prefix: str = "/api/") -> list[dict[str, str]]:
        return [r.query for r in self.requests if r.path.startswith(path_prefix)]

    # --- handlers -------------------------------------------------------------------------

    async def _tag_timeline(self, request: web.Request) -> web.Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        tag = request.match_info["tag"].lower()
        timeline = [s for s in self.statuses if _tag_of(s) == tag]
        return self._page(request, timeline)

    async def _search(self, request: web.Request) -> web.Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        if request.query.get("type") != "statuses":
            return web.json_response({"error": "only type=statuses in this double"}, status=422)
        signed_in = self.token is not None and request.headers.get("Authorization") == f"Bearer {self.token}"
        if "offset" in request.query and int(request.query["offset"]) > 0 and not signed_in:
            return web.json_response({"error": "Search queries pagination is not supported without authentication"},
                                     status=401)  # fmt: skip
        if not signed_in:  # as Mastodon: no full-text status search for anonymous requests
            return web.json_response({"accounts": [], "statuses": [], "hashtags": []})
        q = request.query.get("q", "").lower()
        hits = [s for s in self.statuses if s.get("reblog") is None and q in str(s.get("content", "")).lower()]
        ordered = _filtered(hits, request.query)
        offset = int(request.query.get("offset", "0"))
        page = ordered[offset : offset + _limit(request.query)]
        return web.json_response({"accounts": [], "statuses": page, "hashtags": []})

    def _refuse(self, request: web.Request) -> web.Response | None:
        self.requests.append(Request(request.path, dict(request.query), request.headers.get("Authorization")))
        if self._failures:
            failure = self._failures[0]
            failure.times -= 1
            if failure.times <= 0:
                self._failures.pop(0)
            return web.json_response({"error": f"programmed {failure.status}"}, status=failure.status,
                                     headers=failure.headers)  # fmt: skip
        if self.token is not None and request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "The access token is invalid"}, status=401)
        return None

    def _page(self, request: web.Request, timeline: list[dict[str, Any]]) -> web.Response:
        newest_first = _filtered(timeline, request.query)
        limit = _limit(request.query)
        if "min_id" in request.query:  # the block immediately after min_id, still newest first
            page = newest_first[-limit:] if newest_first else []
        else:
            page = newest_first[:limit]
        headers = {}
        if page:
            base = f"{self.base_url}{request.path}"
            headers["Link"] = (
                f'<{base}?max_id={page[-1]["id"]}>; rel="next", <{base}?min_id={page[0]["id"]}>; rel="prev"'
            )
        return web.json_response(page, headers=headers)


def _account(acct: str, followers: int) -> dict[str, Any]:
    username, _, domain = acct.partition("@")
    return {
        "id": str(abs(hash(acct)) % 10**9),
        "username": username,
        "acct": acct,
        "display_name": username.title(),
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": "2023-01-01T00:00:00.000Z",
        "note": "",
        "url": f"https://{domain or HOST}/@{username}",
        "avatar": f"https://{HOST}/avatars/original/missing.png",
        "header": f"https://{HOST}/headers/original/missing.png",
        "followers_count": followers,
        "following_count": 12,
        "statuses_count": 345,
        "last_status_at": "2026-11-21",
        "emojis": [],
        "fields": [],
    }


def _tag_of(status: dict[str, Any]) -> str | None:
    tags = status.get("tags") or []
    return tags[0]["name"].lower() if tags else None


def _key(status_id: str) -> tuple[int, str]:
    return len(status_id), status_id


def _limit(query: Any) -> int:
    return max(1, min(MAX_LIMIT, int(query.get("limit", "20"))))


def _filtered(statuses: list[dict[str, Any]], query: Any) -> list[dict[str, Any]]:
    """Newest first, within max_id / since_id / min_id (all exclusive)."""
    out = sorted(statuses, key=lambda s: _key(s["id"]), reverse=True)
    if max_id := query.get("max_id"):
        out = [s for s in out if _key(s["id"]) < _key(max_id)]
    for lower in ("since_id", "min_id"):
        if bound := query.get(lower):
            out = [s for s in out if _key(s["id"]) > _key(bound)]
    return out
