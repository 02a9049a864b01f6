"""Bluesky: brand mentions from post search (``app.bsky.feed.searchPosts``), reach from ``getProfiles``.

Each configured query (a brand name, ``#hashtag``, ``@handle``) is searched newest first
(``sort=latest``) from its own high-water mark. Search orders and filters by the AppView's
``sortAt`` (the earlier of a post's ``createdAt`` and ``indexedAt``), so a post can appear
a little behind the newest one already seen: every poll asks again from ``newest - overlap``
and drops the URIs it already returned. A poll reads at most ``max_pages`` pages per query;
when that is not enough, the range it could not reach is kept as a backlog
(``since``..``until``) and read, with its own ``max_pages``, on the following polls — a
burst delays mentions, it does not lose them. Re-reading the overlap is best effort: once a
walk has gone past the previous newest post, the rest of the overlap is not chased.

The cursor, per query: ``{"newest": iso, "seen": {uri: sortAt iso}, "backlog": {...} | null}``.
A query seen for the first time reads one page (the latest posts) and starts from there.

Follow-up (not here): the Jetstream firehose (a long-lived websocket) for lower latency.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import structlog
from pydantic import ValidationError

from warner.core import Clock, SystemClock
from warner.ingest.sources.base import Cursor, Poll, Relevant, SourceError
from warner.ingest.sources.bluesky_config import BlueskyConfig
from warner.mention import MAX_FOLLOWERS, Mention

log = structlog.get_logger(__name__)

PUBLIC_APPVIEW = "https://public.api.bsky.app"
PROFILES_PER_REQUEST = 25  # app.bsky.actor.getProfiles accepts at most 25 actors
SEEN_CAP = 2000  # per query; more posts than this inside one overlap window would re-emit a few (dedupe drops them)
_COUNTS = {"likes": "likeCount", "reposts": "repostCount", "replies": "replyCount"}  # Mention.extra <- post view
_UNTIL_SLACK = timedelta(milliseconds=1)  # ``until`` is exclusive: include the oldest post's own instant


class BlueskySource:
    """A PullSource over ``app.bsky.feed.searchPosts``; one aiohttp session, opened on first poll."""

    kind = "bluesky"

    def __init__(self, config: BlueskyConfig, relevant: Relevant | None = None, *, clock: Clock | None = None) -> None:
        self.config = config
        self.name = config.name
        self.interval_s = config.interval.total_seconds()
        self._relevant = relevant
        self._clock = clock or SystemClock()
        self._session: aiohttp.ClientSession | None = None
        self._access_jwt: str | None = None
        self._log = log.bind(source=config.name)

    async def poll(self, cursor: Cursor) -> Poll:
        """Search every query from its high-water mark; mentions newest-first per query."""
        states = cursor.get("queries", {}) if isinstance(cursor, dict) else {}
        found: dict[str, dict[str, Any]] = {}  # uri -> post view, across queries
        skipped = 0
        new_states: dict[str, Any] = {}
        for query in self.config.queries:
            state, posts, bad = await self._search(query, _QueryState.load(states.get(query)))
            new_states[query] = state.dump()
            skipped += bad
            for post in posts:
                found.setdefault(post["uri"], post)
        followers = await self._followers({p["author"].get("did") for p in found.values()} - {None})
        mentions = []
        for post in found.values():
            mention = self._mention(post, followers)
            if mention is None:
                skipped += 1
            elif self._relevant is None or self._relevant(mention.text):
                mentions.append(mention)
            else:
                self._log.debug("source_entry_irrelevant", id=mention.id)
        return Poll(mentions=mentions, cursor={"queries": new_states}, skipped=skipped)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- searching ---------------------------------------------------------------------------

    async def _search(self, query: str, state: _QueryState) -> tuple[_QueryState, list[dict[str, Any]], int]:
        """New posts for one query (well-formed ones), the state after them, and how many were malformed."""
        pages = self.config.max_pages
        since: datetime | None  # a backlog may start open
        if state.newest is None:  # first sight: the latest page, nothing older
            fresh, _ = await self._pages(query, since=None, until=None, pages=1)
        else:
            since = state.newest - self.config.overlap
            fresh, reached = await self._pages(query, since=since, until=None, pages=pages)
            if not reached.end and reached.oldest is not None and reached.oldest >= state.newest:
                state.add_backlog(since, reached.oldest + _UNTIL_SLACK)  # a burst: keep what we could not read
        if state.backlog is not None:
            since, until = state.backlog
            posts, reached = await self._pages(query, since=since, until=until, pages=pages)
            fresh += posts
            state.backlog = None if reached.end or reached.oldest is None else (since, reached.oldest + _UNTIL_SLACK)
        new, bad = [], 0
        for post in fresh:
            uri, sort_at = _uri_of(post), post["_sort_at"]
            if uri is not None and uri in state.seen:
                continue
            if uri is not None and sort_at is not None:
                state.remember(uri, sort_at)  # a malformed post too: skipped (and logged) once, not every poll
            if sort_at is None or not _well_formed(post):
                bad += 1
                self._log.warning("source_entry_skipped", query=query, uri=uri, reason="malformed post")
                continue
            new.append(post)
        state.prune(self.config.overlap)
        if new or bad:
            self._log.info("source_polled", query=query, new=len(new), skipped=bad, backlog=state.backlog is not None)
        return state, new, bad

    async def _pages(
        self, query: str, *, since: datetime | None, until: datetime | None, pages: int
    ) -> tuple[list[dict[str, Any]], _Reached]:
        """Walk up to ``pages`` result pages; every post comes back with its ``_sort_at`` (None if unknown)."""
        params: dict[str, str] = {"q": query, "limit": str(self.config.limit), "sort": "latest"}
        if since is not None:
            params["since"] = _iso(since)
        if until is not None:
            params["until"] = _iso(until)
        if self.config.lang:
            params["lang"] = self.config.lang
        posts: list[dict[str, Any]] = []
        reached = _Reached()
        while reached.pages < pages:
            body = await self._get("app.bsky.feed.searchPosts", params)
            reached.pages += 1
            page = body.get("posts")
            if not isinstance(page, list):
                raise SourceError("searchPosts answered without a posts list")
            for post in page:
                sort_at = _sort_at(post)
                if sort_at is not None:
                    reached.oldest = sort_at if reached.oldest is None else min(reached.oldest, sort_at)
                posts.append({**post, "_sort_at": sort_at} if isinstance(post, dict) else {"_sort_at": None})
            next_cursor = body.get("cursor")
            if not page or not isinstance(next_cursor, str) or not next_cursor:
                reached.end = True
                break
            params["cursor"] = next_cursor
        return posts, reached

    # --- reach ------------------------------------------------------------------------------

    async def _followers(self, dids: set[str]) -> dict[str | None, int]:
        """followersCount per DID, batched by 25; a failed lookup (other than 429) leaves reach unknown."""
        counts: dict[str | None, int] = {}  # a profile without a did lands under None
        ordered = sorted(dids)
        for start in range(0, len(ordered), PROFILES_PER_REQUEST):
            batch = ordered[start : start + PROFILES_PER_REQUEST]
            try:
                body = await self._get("app.bsky.actor.getProfiles", [("actors", did) for did in batch])
            except SourceError as exc:
                if exc.retry_after is not None:
                    raise
                self._log.warning("source_reach_unavailable", error=str(exc), actors=len(batch))
                continue
            for profile in body.get("profiles") or []:
                if isinstance(profile, dict) and isinstance(profile.get("followersCount"), int):
                    counts[profile.get("did")] = min(max(profile["followersCount"], 0), MAX_FOLLOWERS)
        return counts

    def _mention(self, post: dict[str, Any], followers: dict[str | None, int]) -> Mention | None:
        record, author = post["record"], post.get("author") or {}
        uri: str = post["uri"]
        handle = author.get("handle") if isinstance(author.get("handle"), str) else None
        profile = handle if handle and handle != "handle.invalid" else author.get("did")
        langs = record.get("langs")
        lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
        reply = record.get("reply")
        parent = reply.get("parent") if isinstance(reply, dict) else None
        fields = {
            "id": uri,
            "source": self.name,
            "text": record.get("text") if isinstance(record.get("text"), str) else "",
            "created_at": record["createdAt"],
            "brand": self.config.brand,
            "author": handle,
            "author_followers": followers.get(author.get("did")),
            "url": f"https://bsky.app/profile/{profile}/post/{uri.rsplit('/', 1)[-1]}" if profile else None,
            "lang": lang,
            "reply_to": parent.get("uri") if isinstance(parent, dict) and isinstance(parent.get("uri"), str) else None,
            "extra": {key: _count(post.get(field)) for key, field in _COUNTS.items()},
        }
        try:
            return Mention(**fields)
        except ValidationError as exc:
            if lang is not None:  # an odd language tag is not worth losing the post over
                try:
                    return Mention(**{**fields, "lang": None})
                except ValidationError:
                    pass
            self._log.warning("source_entry_skipped", uri=uri, reason=exc.errors()[0]["msg"])
            return None

    # --- HTTP -------------------------------------------------------------------------------

    async def _get(self, method: str, params: Any) -> dict[str, Any]:
        """One XRPC query, mapped to SourceError; an expired session is renewed once."""
        for attempt in (1, 2):
            headers = await self._auth_headers()
            status, body, response_headers = await self._request("GET", method, params=params, headers=headers)
            if status == 401 and self._access_jwt is not None and attempt == 1:
                self._access_jwt = None
                continue
            return self._answer(method, status, body, response_headers)
        raise AssertionError("unreachable")

    async def _auth_headers(self) -> dict[str, str]:
        if self.config.identifier_env is None or self.config.app_password_env is None:
            return {}
        if self._access_jwt is None:
            identifier = os.environ.get(self.config.identifier_env, "")
            password = os.environ.get(self.config.app_password_env, "")
            if not identifier or not password:
                raise SourceError(
                    f"{self.config.identifier_env} and {self.config.app_password_env} must be set", permanent=True
                )
            payload = {"identifier": identifier, "password": password}
            status, body, headers = await self._request("POST", "com.atproto.server.createSession", json=payload)
            jwt = self._answer("com.atproto.server.createSession", status, body, headers).get("accessJwt")
            if not isinstance(jwt, str):
                raise SourceError("createSession answered without accessJwt")
            self._access_jwt = jwt
        return {"Authorization": f"Bearer {self._access_jwt}"}

    async def _request(self, http_method: str, method: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=self.config.timeout.total_seconds())
            self._session = aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": "warner"})
        url = f"{self.config.service.rstrip('/')}/xrpc/{method}"
        try:
            async with self._session.request(http_method, url, **kwargs) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                return response.status, body, dict(response.headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SourceError(f"{method}: {type(exc).__name__}: {exc}") from exc

    def _answer(self, method: str, status: int, body: Any, headers: dict[str, str]) -> dict[str, Any]:
        if status == 200:
            if not isinstance(body, dict):
                raise SourceError(f"{method}: answer is not a JSON object")
            return body
        detail = (body.get("message") or body.get("error")) if isinstance(body, dict) else None
        message = f"{method}: HTTP {status}" + (f": {detail}" if detail else "")
        if status == 429 or status == 503:
            raise SourceError(message, retry_after=self._retry_after(headers))
        if 400 <= status < 500 and status != 408:
            raise SourceError(message, permanent=True)  # 400 bad query, 401/403 credentials, 404 wrong service
        raise SourceError(message)

    def _retry_after(self, headers: dict[str, str]) -> float | None:
        """Retry-After (seconds) or RateLimit-Reset (epoch seconds, as Bluesky sends it)."""
        lower = {k.lower(): v for k, v in headers.items()}
        for name, base in (("retry-after", 0.0), ("ratelimit-reset", self._clock.now())):
            try:
                return max(float(lower[name]) - base, 0.0)
            except (KeyError, ValueError):
                continue
        return None


@dataclass(slots=True)
class _Reached:
    """How far one walk through result pages got."""

    pages: int = 0
    end: bool = False  # the last page came: nothing older left in the range
    oldest: datetime | None = None


class _QueryState:
    """One query's part of the cursor."""

    __slots__ = ("backlog", "newest", "seen")

    def __init__(
        self, newest: datetime | None, seen: dict[str, datetime], backlog: tuple[datetime | None, datetime] | None
    ) -> None:
        self.newest = newest
        self.seen = seen
        self.backlog = backlog

    @classmethod
    def load(cls, raw: Any) -> _QueryState:
        if not isinstance(raw, dict):
            return cls(None, {}, None)
        raw_seen = given if isinstance(given := raw.get("seen"), dict) else {}
        seen = {uri: at for uri, text in raw_seen.items() if (at := _parse_time(text)) is not None}
        backlog = raw.get("backlog")
        until = _parse_time(backlog.get("until")) if isinstance(backlog, dict) else None
        since = _parse_time(backlog.get("since")) if isinstance(backlog, dict) else None
        return cls(_parse_time(raw.get("newest")), seen, (since, until) if until is not None else None)

    def dump(self) -> dict[str, Any]:
        backlog = None
        if self.backlog is not None:
            since, until = self.backlog
            backlog = {"since": _iso(since) if since else None, "until": _iso(until)}
        return {
            "newest": _iso(self.newest) if self.newest else None,
            "seen": {uri: _iso(at) for uri, at in self.seen.items()},
            "backlog": backlog,
        }

    def remember(self, uri: str, sort_at: datetime) -> None:
        self.seen[uri] = sort_at
        if self.newest is None or sort_at > self.newest:
            self.newest = sort_at

    def add_backlog(self, since: datetime, until: datetime) -> None:
        """The range ``since``..``until`` was not read; merge with an older unread range if there is one."""
        if self.backlog is not None:
            since = self.backlog[0] or since  # the older range's start; ours ends where it begins
        self.backlog = (since, until)

    def prune(self, overlap: timedelta) -> None:
        """Keep the URIs a later search can return again: those inside the overlap or the backlog."""
        if self.newest is None:
            return
        keep_from = self.newest - overlap
        if self.backlog is not None:
            keep_from = min(keep_from, self.backlog[0] or self.backlog[1] - overlap)
        recent = sorted(((at, uri) for uri, at in self.seen.items() if at >= keep_from), reverse=True)
        self.seen = {uri: at for at, uri in recent[:SEEN_CAP]}


def _well_formed(post: Any) -> bool:
    record = post.get("record")
    return (
        isinstance(post.get("uri"), str)
        and post["uri"].startswith("at://")
        and "/app.bsky.feed.post/" in post["uri"]
        and isinstance(record, dict)
        and isinstance(record.get("createdAt"), str)
        and isinstance(post.get("author"), dict)
    )


def _sort_at(post: Any) -> datetime | None:
    """The AppView's sort key: the earlier of createdAt and indexedAt (whichever parse)."""
    if not isinstance(post, dict):
        return None
    record = given if isinstance(given := post.get("record"), dict) else {}
    times = [t for t in (_parse_time(record.get("createdAt")), _parse_time(post.get("indexedAt"))) if t is not None]
    return min(times) if times else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _uri_of(post: Any) -> str | None:
    return post.get("uri") if isinstance(post, dict) and isinstance(post.get("uri"), str) else None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
