"""A local feed server double: an RSS 2.0 feed and an Atom feed, as real sites serve them.

Runs on 127.0.0.1, port 0, in the test's event loop. Each feed has an ``ETag`` and a
``Last-Modified`` that change when an entry is added, answers ``304`` to a matching
``If-None-Match`` / ``If-Modified-Since``, and can be told to fail the next requests (429
with ``Retry-After``, 500) or to serve a broken body. Every request is recorded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from typing import Self

from aiohttp import web

from doubles import serve_on_loopback

RSS_PATH = "/feed.rss"
ATOM_PATH = "/feed.atom"


@dataclass(slots=True)
class FeedEntry:
    id: str | None
    title: str | None
    link: str | None
    summary: str = ""
    published: datetime | str | None = None  # a str is served as is (a broken date)
    author: str | None = None


@dataclass(slots=True)
class FeedRequest:
    path: str
    headers: dict[str, str]
    status: int = 0


@dataclass(slots=True)
class _Feed:
    entries: list[FeedEntry] = field(default_factory=list)
    version: int = 1
    modified: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 18, 0, tzinfo=UTC))
    broken: bytes | None = None

    @property
    def etag(self) -> str:
        return f'"v{self.version}"'

    @property
    def last_modified(self) -> str:
        return format_datetime(self.modified, usegmt=True)


class FeedServer:
    """``async with FeedServer() as feeds:`` … ``feeds.url(RSS_PATH)``, ``feeds.add(...)``, ``feeds.requests``."""

    def __init__(self) -> None:
        self.feeds = {RSS_PATH: _Feed(), ATOM_PATH: _Feed()}
        self.requests: list[FeedRequest] = []
        self.latency = 0.0
        self._failures: dict[str, list[tuple[int, str | None]]] = {}
        self._runner: web.AppRunner | None = None
        self.base = ""

    def url(self, path: str = RSS_PATH) -> str:
        return self.base + path

    def add(self, path: str, *entries: FeedEntry) -> None:
        """New entries on top of the feed (newest first, as feeds list them); a new ETag."""
        feed = self.feeds[path]
        feed.entries[:0] = reversed(entries)
        feed.version += 1
        feed.modified = feed.modified.replace(minute=(feed.modified.minute + 1) % 60)

    def break_body(self, path: str, body: bytes | None) -> None:
        """Serve ``body`` (status 200) instead of the feed; None to heal."""
        self.feeds[path].broken = body
        self.feeds[path].version += 1

    def fail_next(self, path: str, n: int, status: int, *, retry_after: str | None = None) -> None:
        self._failures.setdefault(path, []).extend([(status, retry_after)] * n)

    def served(self, path: str) -> list[int]:
        return [r.status for r in self.requests if r.path == path]

    async def start(self) -> Self:
        app = web.Application()
        for path in self.feeds:
            app.router.add_get(path, self._serve)
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

    async def _serve(self, request: web.Request) -> web.Response:
        recorded = FeedRequest(request.path, dict(request.headers))
        self.requests.append(recorded)
        response = await self._answer(request)
        recorded.status = response.status
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        if failures := self._failures.get(request.path):
            status, retry_after = failures.pop(0)
            headers = {"Retry-After": retry_after} if retry_after is not None else None
            return web.Response(status=status, text="slow down" if status == 429 else "error", headers=headers)
        feed = self.feeds[request.path]
        validators = {"ETag": feed.etag, "Last-Modified": feed.last_modified}
        if request.headers.get("If-None-Match") == feed.etag or (
            "If-None-Match" not in request.headers and request.headers.get("If-Modified-Since") == feed.last_modified
        ):
            return web.Response(status=304, headers=validators)
        if feed.broken is not None:
            return web.Response(body=feed.broken, content_type="application/rss+xml", headers=validators)
        if request.path == RSS_PATH:
            return web.Response(
                text=_rss(feed), content_type="application/rss+xml", charset="utf-8", headers=validators
            )
        return web.Response(text=_atom(feed), content_type="application/atom+xml", charset="utf-8", headers=validators)


def _date(value: datetime | str | None, rfc822: bool) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return format_datetime(value, usegmt=True) if rfc822 else value.isoformat()


def _rss(feed: _Feed) -> str:
    items = []
    for e in feed.entries:
        parts = []
        if e.title is not None:
            parts.append(f"<title>{escape(e.title)}</title>")
        if e.link is not None:
            parts.append(f"<link>{escape(e.link)}</link>")
        if e.id is not None:
            parts.append(f'<guid isPermaLink="false">{escape(e.id)}</guid>')
        if e.summary:
            parts.append(f"<description>{escape(e.summary)}</description>")
        if (date := _date(e.published, True)) is not None:
            parts.append(f"<pubDate>{escape(date)}</pubDate>")
        if e.author:
            parts.append(f"<dc:creator>{escape(e.author)}</dc:creator>")
        items.append("<item>" + "".join(parts) + "</item>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>Bier-Blog</title>
<link>https://bier.example/</link>
<description>Neues aus der Welt des Bieres</description>
<language>de-de</language>
<lastBuildDate>{feed.last_modified}</lastBuildDate>
{"".join(items)}
</channel>
</rss>
"""


def _atom(feed: _Feed) -> str:
    entries = []
    for e in feed.entries:
        parts = []
        if e.title is not None:
            parts.append(f'<title type="html">{escape(e.title)}</title>')
        if e.link is not None:
            parts.append(f'<link rel="alternate" type="text/html" href="{escape(e.link)}"/>')
        if e.id is not None:
            parts.append(f"<id>{escape(e.id)}</id>")
        if (date := _date(e.published, False)) is not None:
            parts.append(f"<published>{escape(date)}</published><updated>{escape(date)}</updated>")
        if e.author:
            parts.append(f"<author><name>{escape(e.author)}</name></author>")
        if e.summary:
            parts.append(f'<summary type="html">{escape(e.summary)}</summary>')
        entries.append("<entry>" + "".join(parts) + "</entry>")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">
<title>Reisen-Forum</title>
<id>tag:reisen.example,2026:feed</id>
<link rel="self" href="https://reisen.example/feed.atom"/>
<updated>{feed.modified.isoformat()}</updated>
{"".join(entries)}
</feed>
"""
