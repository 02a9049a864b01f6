"""Mastodon: hashtag and keyword timelines of one instance, polled forward from a cursor.

Hashtags are read from the public tag timeline (``/api/v1/timelines/tag/{tag}``), which
needs no token on most instances. Keywords use full-text search (``/api/v2/search``),
which Mastodon only answers with statuses for a signed-in account — so keywords require
``token_env``; without a token the instance silently returns no statuses.

No gaps: a tag timeline is walked forward with ``min_id`` (each page is the block of
statuses *immediately* after the cursor), so a burst larger than a page is read page by
page, and a page cut short only defers the rest to the next poll. After ``max_pages``
pages the poll stops and asks to be polled again soon (``next_poll_s``). Search cannot be
walked by id (it pages by ``offset`` below a fixed ``min_id``); a keyword burst larger
than ``max_pages`` pages is truncated and logged as ``source_backlog_truncated``.

The cursor is ``{"tags": {tag: newest id}, "keywords": {keyword: newest id}}``. A new tag
or keyword starts with the newest page (no backfill beyond that).

Reach: ``author_followers`` is the account's followers; ``extra`` carries ``boosts`` and
``favourites``. A boost is mapped to the post it boosts, so a post and its boosts are one
mention. Ids are ``<instance host>:<status id>``: a remote post seen through two
configured instances has two ids (the ``uri`` in ``extra`` is the same).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, overload
from urllib.parse import quote

import aiohttp
import structlog
from pydantic import ValidationError

from warner.core import Clock, SystemClock
from warner.ingest.sources.base import Cursor, Poll, Relevant, SourceError
from warner.ingest.sources.mastodon_config import MastodonConfig
from warner.mention import MAX_FOLLOWERS, Mention

log = structlog.get_logger(__name__)

MAX_LIMIT = 40  # Mastodon caps `limit` at 40 statuses per request
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_LANG = re.compile(r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$")  # what Mention accepts


class MastodonSource:
    """A PullSource over one instance's tag timelines and status searches."""

    kind = "mastodon"

    def __init__(self, config: MastodonConfig, relevant: Relevant | None = None, *, clock: Clock | None = None) -> None:
        self.config = config
        self.name = config.name
        self.interval_s = config.interval.total_seconds()
        self._relevant = relevant
        self._clock = clock or SystemClock()
        self._session: aiohttp.ClientSession | None = None
        self._log = log.bind(source=config.name, kind=self.kind)

    async def poll(self, cursor: Cursor) -> Poll:
        """Read every followed timeline forward from ``cursor``; raise SourceError, never half a poll."""
        session = self._open()
        found: dict[str, Mention] = {}
        skipped = 0
        behind = False
        tags_at: dict[str, str] = dict(cursor.get("tags") or {})
        keywords_at: dict[str, str] = dict(cursor.get("keywords") or {})
        for tag in self.config.hashtags:
            statuses, newest, more = await self._walk_tag(session, tag, tags_at.get(tag))
            skipped += self._collect(statuses, found)
            behind |= more
            if newest is not None:
                tags_at[tag] = newest
        for keyword in self.config.keywords:
            statuses, newest = await self._search(session, keyword, keywords_at.get(keyword))
            skipped += self._collect(statuses, found)
            if newest is not None:
                keywords_at[keyword] = newest
        new_cursor = {
            "tags": {t: tags_at[t] for t in self.config.hashtags if t in tags_at},
            "keywords": {k: keywords_at[k] for k in self.config.keywords if k in keywords_at},
        }
        return Poll(list(found.values()), new_cursor, skipped=skipped, next_poll_s=1.0 if behind else None)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- reading ---------------------------------------------------------------------------

    async def _walk_tag(
        self, session: aiohttp.ClientSession, tag: str, since: str | None
    ) -> tuple[list[dict[str, Any]], str | None, bool]:
        """Pages after ``since`` oldest block first; returns statuses, the newest id and whether more remain."""
        path = f"/api/v1/timelines/tag/{quote(tag, safe='')}"
        params = {"limit": str(self.config.limit)}
        if since is None:  # a new tag: the newest page only
            page = await self._get(session, path, params)
            return page, _newest(page, None), False
        statuses: list[dict[str, Any]] = []
        newest = since
        for _ in range(self.config.max_pages):
            page = await self._get(session, path, {**params, "min_id": newest})
            statuses += page
            newest = _newest(page, newest)
            if len(page) < self.config.limit:
                return statuses, newest, False
        return statuses, newest, True

    async def _search(
        self, session: aiohttp.ClientSession, keyword: str, since: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Statuses matching ``keyword`` newer than ``since``, paged by offset (search has no id walk)."""
        params = {"q": keyword, "type": "statuses", "limit": str(self.config.limit)}
        if since is not None:
            params["min_id"] = since
        statuses: list[dict[str, Any]] = []
        pages = 1 if since is None else self.config.max_pages
        for n in range(pages):
            body = await self._get(session, "/api/v2/search", {**params, "offset": str(n * self.config.limit)})
            page = body.get("statuses") if isinstance(body, dict) else None
            if not isinstance(page, list):
                raise SourceError(f"{self.config.host}: search answered without a statuses list")
            statuses += page
            if len(page) < self.config.limit:
                break
        else:
            if since is not None:
                self._log.warning("source_backlog_truncated", keyword=keyword, read=len(statuses))
        return statuses, _newest(statuses, since)

    async def _get(self, session: aiohttp.ClientSession, path: str, params: dict[str, str]) -> Any:
        url = self.config.instance + path
        try:
            async with session.get(url, params=params) as response:
                if response.status != 200:
                    raise self._error(response, path)
                return await response.json(content_type=None)
        except SourceError:
            raise
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise SourceError(f"{self.config.host}{path}: {type(exc).__name__}: {exc}") from exc

    def _error(self, response: aiohttp.ClientResponse, path: str) -> SourceError:
        status = response.status
        where = f"{self.config.host}{path}: HTTP {status}"
        if status in (429, 503):
            return SourceError(where, retry_after=self._retry_after(response.headers))
        if status in (401, 403) and self.config.token_env:
            return SourceError(f"{where} (check the token in {self.config.token_env})", permanent=True)
        if 400 <= status < 500 and status != 408:
            return SourceError(where, permanent=True)
        return SourceError(where)

    def _retry_after(self, headers: Any) -> float | None:
        """Seconds from Retry-After (seconds or HTTP date), else Mastodon's X-RateLimit-Reset (ISO 8601)."""
        now = self._clock.now()
        if value := headers.get("Retry-After"):
            if value.strip().isdigit():
                return float(value)
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError):
                pass
        if value := headers.get("X-RateLimit-Reset"):
            try:
                reset = datetime.fromisoformat(value)
                reset = reset if reset.tzinfo else reset.replace(tzinfo=UTC)
                return max(0.0, reset.timestamp() - now)
            except ValueError:
                pass
        return None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            headers = {"Accept": "application/json", "User-Agent": "warner (brand monitoring)"}
            if self.config.token_env:
                token = self.config.token()
                if token is None:
                    raise SourceError("; ".join(self.config.missing_secrets()), permanent=True)
                headers["Authorization"] = f"Bearer {token}"
            timeout = aiohttp.ClientTimeout(total=self.config.timeout.total_seconds())
            self._session = aiohttp.ClientSession(headers=headers, timeout=timeout)
        return self._session

    # --- mapping ---------------------------------------------------------------------------

    def _collect(self, statuses: list[dict[str, Any]], found: dict[str, Mention]) -> int:
        """Map statuses into ``found`` (keyed by mention id, so boosts fold into the original); return skips."""
        skipped = 0
        for item in statuses:
            status = item.get("reblog") if isinstance(item, dict) and isinstance(item.get("reblog"), dict) else item
            mention, problem = self._mention(status)
            if mention is None:
                skipped += 1
                item_id = item.get("id") if isinstance(item, dict) else None
                self._log.warning("source_entry_skipped", entry_id=item_id, reason=problem)
                continue
            if mention.id in found:
                continue
            if self._relevant is not None and not self._relevant(mention.text):
                self._log.debug("source_entry_irrelevant", entry_id=mention.id)
                continue
            found[mention.id] = mention
        return skipped

    def _mention(self, status: Any) -> tuple[Mention | None, str]:
        if not isinstance(status, dict):
            return None, "not an object"
        missing = [f for f in ("id", "created_at") if not status.get(f)]
        if not isinstance(status.get("content"), str):  # "" is fine: a post with only media
            missing.append("content")
        if missing:
            return None, f"missing {', '.join(missing)}"
        account = given if isinstance(given := status.get("account"), dict) else {}
        text = html_to_text(status["content"])
        if spoiler := status.get("spoiler_text"):
            text = f"{spoiler}\n\n{text}" if text else str(spoiler)
        url = status.get("url") or status.get("uri")
        followers = account.get("followers_count")
        lang = status.get("language")
        try:
            mention = Mention(
                id=f"{self.config.host}:{status['id']}",
                source=self.config.name,
                brand=self.config.brand,
                text=text,
                created_at=status["created_at"],
                author=account.get("acct") or None,
                author_followers=min(followers, MAX_FOLLOWERS)
                if isinstance(followers, int) and followers >= 0
                else None,
                url=url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
                lang=lang if isinstance(lang, str) and _LANG.match(lang) else None,
                reply_to=status.get("in_reply_to_id") or None,
                extra={
                    "boosts": _count(status.get("reblogs_count")),
                    "favourites": _count(status.get("favourites_count")),
                    "replies": _count(status.get("replies_count")),
                    "uri": status.get("uri"),
                },
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            return None, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        return mention, ""


def html_to_text(content: str) -> str:
    """Mastodon's status HTML as plain text: paragraphs as blank lines, <br> as newlines, entities decoded."""
    parser = _TextParser()
    parser.feed(content)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._parts.append("\n")
        elif tag in ("p", "blockquote", "li", "pre") and self._parts:
            self._parts.append("\n\n" if tag != "li" else "\n")

    def handle_data(self, data: str) -> None:
        self._parts.append(data)

    def text(self) -> str:
        lines = "".join(self._parts).split("\n")
        return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in lines)).strip()


def _id_order(status_id: str) -> tuple[int, str]:
    """Mastodon ids are decimal snowflakes, Pleroma's fixed-length flakes: both sort by (length, text)."""
    return len(status_id), status_id


@overload
def _newest(statuses: list[dict[str, Any]], current: str) -> str: ...
@overload
def _newest(statuses: list[dict[str, Any]], current: None) -> str | None: ...


def _newest(statuses: list[dict[str, Any]], current: str | None) -> str | None:
    ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and isinstance(s.get("id"), str | int)]
    if current is not None:
        ids.append(current)
    return max(ids, key=_id_order) if ids else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
