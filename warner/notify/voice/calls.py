"""What every call channel shares: who can be called, what a call says, one HTTP session, verdicts.

A call rings a person awake, so it is only placed for what is still open: a page that an
incident was acknowledged or resolved is refused as a permanent failure, and the notifier
moves on to the next channel (a text). Answered counts as delivered even without a key
press: the escalation goes on until someone acknowledges, as for every other channel.
Unanswered, busy and failed calls are permanent failures — ringing the same phone again
within seconds rarely helps; the next channel should get its turn at once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

import aiohttp

from warner.core import BERLIN, Recipient
from warner.notify.base import Delivery, Page
from warner.notify.http_session import LazySession
from warner.notify.http_verdict import is_transient, retry_after
from warner.notify.voice.texts import spoken_page

ERROR_BODY_CHARS = 200
NOT_RINGING_FOR = ("acknowledged", "resolved")


class CallChannel:
    """Base of the provider channels: the text, one lazily created session, timing and verdicts."""

    def __init__(
        self,
        *,
        name: str,
        timeout: float,
        labels: Mapping[str, str] | None = None,
        tz: tzinfo = BERLIN,
    ) -> None:
        self.name = name
        self._labels = dict(labels or {})
        self._tz = tz
        self._http = LazySession(timeout)

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.phone)

    def text(self, page: Page) -> str:
        return spoken_page(page, label=self._labels.get(page.incident.brand), tz=self._tz)

    def refusal(self, page: Page) -> Delivery | None:
        """Why this page is no call (no phone, nothing left to acknowledge); None when it is one."""
        if not page.recipient.phone:
            return Delivery(
                self.name, "", ok=False, latency_s=0.0, error=f"{page.recipient.id} has no phone number", permanent=True
            )
        if page.kind in NOT_RINGING_FOR:
            error = f"no call for a page of kind {page.kind}: nothing to acknowledge"
            return Delivery(self.name, page.recipient.phone, ok=False, latency_s=0.0, error=error, permanent=True)
        return None

    async def close(self) -> None:
        await self._http.close()

    def client(self) -> aiohttp.ClientSession:
        return self._http.get()

    async def request(self, method: str, url: str, **kwargs: Any) -> tuple[int, Mapping[str, str], str] | str:
        """(status, headers, body), or the error text of a timeout or a connection failure."""
        try:
            async with self.client().request(method, url, **kwargs) as response:
                return response.status, response.headers, await response.text(errors="replace")
        except TimeoutError:
            return "timeout"
        except aiohttp.ClientError as exc:
            return f"{type(exc).__name__}: {exc}"

    def http_failure(self, target: str, started: float, status: int, headers: Mapping[str, str], body: str) -> Delivery:
        """A non-2xx answer: 429 and 5xx transient (with Retry-After), any other 4xx permanent."""
        transient = is_transient(status)
        return Delivery(
            self.name,
            target,
            ok=False,
            latency_s=time.perf_counter() - started,
            error=f"HTTP {status}: {body.strip()[:ERROR_BODY_CHARS]}",
            retry_after=retry_after(headers.get("Retry-After")) if transient else None,
            permanent=not transient,
        )

    def failed(self, target: str, started: float, error: str, *, permanent: bool = False) -> Delivery:
        return Delivery(
            self.name, target, ok=False, latency_s=time.perf_counter() - started, error=error, permanent=permanent
        )
