"""What every pulled source (RSS/Atom, Mastodon, Bluesky) shares: poll with a cursor, get mentions.

An adapter only talks to its remote API: ``poll(cursor)`` returns the new mentions and the
cursor to store *after* they are durable. The runner (``runner.py``) owns everything else —
loading and saving the cursor in Redis, appending to the mention stream (deduplicated by
source and id), backoff, rate limits, health and metrics — so a crash between append and
cursor save re-polls at most a page that dedupe then drops: no gaps, no duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from warner.mention import Mention

Cursor = dict[str, Any]  # JSON-serialisable adapter state (since_id, ETag, seen ids, …)
Relevant = Callable[[str], bool]  # does this text concern one of our brands? (the brand matcher)


@dataclass(frozen=True, slots=True)
class Poll:
    """One poll's outcome."""

    mentions: list[Mention]  # source and id set; brand may be None (matched on accept)
    cursor: Cursor  # the state to persist once the mentions are durable
    skipped: int = 0  # malformed entries skipped (the adapter logs each one)
    next_poll_s: float | None = None  # when to poll again, if the adapter knows better than its interval


class SourceError(Exception):
    """A poll failed; ``retry_after`` when the remote said how long to wait (HTTP 429 / 503)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent  # e.g. 401/404: retrying at the normal pace is pointless; back off long


class PullSource(Protocol):
    name: str  # unique; also the ``source`` of its mentions
    kind: str  # "rss" | "mastodon" | "bluesky"
    interval_s: float  # seconds between polls when all is well

    async def poll(self, cursor: Cursor) -> Poll:
        """Fetch what is new since ``cursor``. Raises SourceError on failure (never returns half a page)."""
        ...

    async def close(self) -> None: ...
