"""RSS 2.0 and Atom feeds: a conditional GET, parsed by feedparser, one mention per new entry.

The cursor holds the feed's ``ETag`` and ``Last-Modified`` (sent back as ``If-None-Match`` /
``If-Modified-Since``; a ``304`` means nothing new) and the ids of the most recent entries,
so an entry is offered to the stream once even when a feed keeps it for weeks. The stream's
own (source, id) dedupe catches what falls out of that window.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

import aiohttp
import feedparser
import structlog
from pydantic import ValidationError

from warner.ingest.sources.base import Cursor, Poll, Relevant, SourceError
from warner.ingest.sources.config import RssFeedConfig
from warner.mention import Mention

log = structlog.get_logger(__name__)

SEEN_WINDOW = 500  # entry ids remembered in the cursor (at least twice the feed's length)
MAX_BODY = 10 * 1024 * 1024
USER_AGENT = "warner (+https://github.com/warner; feed reader)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"


class RssSource:
    """A :class:`~warner.ingest.sources.base.PullSource` for one feed."""

    kind = "rss"

    def __init__(
        self,
        config: RssFeedConfig,
        relevant: Relevant | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.name = config.name
        self.interval_s = config.interval.total_seconds()
        self.relevant = None if config.brand else relevant
        self.clock = clock
        self._session: aiohttp.ClientSession | None = None
        self.log = log.bind(source=self.name, kind=self.kind)

    async def poll(self, cursor: Cursor) -> Poll:
        status, headers, body = await self._fetch(cursor)
        if status == 304:
            return Poll([], cursor)
        parsed = feedparser.parse(body, response_headers={"content-location": self.config.url, **headers})
        if parsed.bozo and not parsed.entries:
            raise SourceError(f"unparseable feed: {parsed.get('bozo_exception', 'no entries')}")
        if parsed.bozo:
            self.log.warning("feed_malformed", error=str(parsed.get("bozo_exception")), entries=len(parsed.entries))
        seen: list[str] = list(cursor.get("seen", []))
        known = set(seen)
        mentions: list[Mention] = []
        skipped = 0
        for position, entry in reversed(list(enumerate(parsed.entries))):  # feeds list newest first
            mention = self._mention(entry, position)
            if mention is None:
                skipped += 1
                continue
            if mention.id in known:
                continue
            known.add(mention.id)
            seen.append(mention.id)
            if self.relevant is None or self.relevant(mention.text):
                mentions.append(mention)
        window = max(SEEN_WINDOW, 2 * len(parsed.entries))
        new_cursor: Cursor = {"seen": seen[-window:]}
        for header, field in (("etag", "etag"), ("last-modified", "modified")):
            if value := headers.get(header):
                new_cursor[field] = value
        return Poll(mentions, new_cursor, skipped=skipped)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch(self, cursor: Cursor) -> tuple[int, dict[str, str], bytes]:
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
        if cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("modified"):
            headers["If-Modified-Since"] = cursor["modified"]
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout.total_seconds())
            )
        try:
            async with self._session.get(self.config.url, headers=headers) as response:
                status = response.status
                got = {k.lower(): v for k, v in response.headers.items()}
                if status in (429, 503):
                    retry = _retry_after(got.get("retry-after"), self.clock())
                    raise SourceError(f"HTTP {status} from {self.config.url}", retry_after=retry)
                if 400 <= status < 500 and status != 408:
                    raise SourceError(f"HTTP {status} from {self.config.url}", permanent=True)
                if status >= 400 or status not in (200, 203, 304):
                    raise SourceError(f"HTTP {status} from {self.config.url}")
                body = await response.content.read(MAX_BODY + 1) if status != 304 else b""
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SourceError(f"cannot fetch {self.config.url}: {type(exc).__name__} {exc}".strip()) from None
        if len(body) > MAX_BODY:
            raise SourceError(f"feed larger than {MAX_BODY} bytes")
        return status, got, body

    def _mention(self, entry: Any, position: int) -> Mention | None:
        """The entry as a mention, or None (logged) when it is too malformed to be one."""
        title = _plain(entry.get("title", ""))
        link = entry.get("link") or None
        entry_id = entry.get("id") or link
        if not entry_id and (title or link):
            entry_id = "sha256:" + hashlib.sha256(f"{title}\n{link or ''}".encode()).hexdigest()[:32]
        summary = _plain(entry.get("summary", ""))
        text = "\n\n".join(part for part in (title, summary) if part)
        if not entry_id or not text:
            self.log.warning("feed_entry_skipped", position=position, reason="no id, link or title, or no text")
            return None
        stamp: time.struct_time | None = next(
            (dict.__getitem__(entry, k) for k in ("published_parsed", "updated_parsed") if _has(entry, k)), None
        )
        created = datetime(*stamp[:6], tzinfo=UTC) if stamp else datetime.fromtimestamp(self.clock(), UTC)
        try:
            return Mention(
                id=entry_id[:512],
                source=self.name,
                brand=self.config.brand,
                text=text[:50_000],
                created_at=created,
                author=(entry.get("author") or None) and entry["author"][:256],
                url=link if link and link.startswith(("http://", "https://")) and len(link) <= 2048 else None,
            )
        except ValidationError as exc:
            self.log.warning(
                "feed_entry_skipped", position=position, entry_id=entry_id, reason=str(exc.errors()[0]["msg"])
            )
            return None


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment (character references decoded), without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _has(entry: Any, key: str) -> bool:
    """Present and set, without feedparser's deprecated updated/published fallback (which warns)."""
    return dict.__contains__(entry, key) and bool(dict.__getitem__(entry, key))


def _plain(fragment: str) -> str:
    """HTML (as feeds carry it in titles and summaries) to one line of plain text."""
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    return " ".join(unescape("".join(parser.parts)).split())


def _retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds (RFC 9110: delay-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None


__all__ = ["RssSource"]
