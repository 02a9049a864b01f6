"""Posting one JSON message to a chat webhook (Teams, Slack), and what its answer means as a ``Delivery``.

Both platforms answer alike: 2xx delivered; 429 (with ``Retry-After``), 408, 5xx, timeouts and
connection errors transient; any other 4xx permanent — the webhook is gone, the channel
archived, the payload refused, and retrying cannot help. Slack names the reason in the body
(``channel_is_archived``), so the error keeps the first bytes of it.

The webhook URL *is* the credential (Slack's path, the ``sig=`` of a Teams Workflows URL): it
never appears in an error, a target or a log line — the target is the team id.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from warner.notify.base import Delivery
from warner.notify.http_session import LazySession

_ERROR_BODY_CHARS = 200


class WebhookPoster:
    """One lazily created HTTP session for one channel's webhooks; ``post`` never raises for remote failures."""

    def __init__(self, channel: str, timeout: float) -> None:
        self.channel = channel
        self._http = LazySession(timeout)

    async def post(self, url: str, body: Mapping[str, Any], *, target: str) -> Delivery:
        """POST ``body`` as JSON to ``url``; the ``Delivery`` names ``target`` (a team id), never the URL."""
        started = time.perf_counter()
        try:
            async with self._http.get().post(
                url, data=orjson.dumps(body), headers={"Content-Type": "application/json"}
            ) as response:
                text = await response.text(errors="replace")
                return verdict(
                    self.channel, target, response.status, response.headers, text, time.perf_counter() - started
                )
        except TimeoutError:
            return self._failed(target, started, "timeout")
        except aiohttp.ClientError as exc:
            return self._failed(target, started, _without_url(f"{type(exc).__name__}: {exc}", url))

    async def close(self) -> None:
        await self._http.close()

    def _failed(self, target: str, started: float, error: str) -> Delivery:
        return Delivery(self.channel, target, ok=False, latency_s=time.perf_counter() - started, error=error)


def verdict(
    channel: str, target: str, status: int, headers: Mapping[str, str], body: str, latency: float
) -> Delivery:
    """The ``Delivery`` for a webhook's HTTP answer (see the module docstring)."""
    if 200 <= status < 300:
        return Delivery(channel, target, ok=True, latency_s=latency)
    reason = " ".join(body.split())[:_ERROR_BODY_CHARS]
    error = f"HTTP {status}: {reason}" if reason else f"HTTP {status}"
    transient = status in (408, 429) or status >= 500
    return Delivery(
        channel,
        target,
        ok=False,
        latency_s=latency,
        error=error,
        retry_after=retry_after_seconds(headers.get("Retry-After")) if transient else None,
        permanent=not transient,
    )


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header; an HTTP date is ignored (no clock is read here)."""
    if value is None:
        return None
    try:
        return max(float(value.strip()), 0.0)
    except ValueError:
        return None


def _without_url(message: str, url: str) -> str:
    """A client error's text with the webhook URL (and its path, the secret part) cut out."""
    from urllib.parse import urlsplit

    message = message.replace(url, "<webhook URL>")
    path = urlsplit(url).path
    return message.replace(path, "/<secret path>") if len(path) > 1 else message
