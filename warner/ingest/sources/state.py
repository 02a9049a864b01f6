"""A pulled source's state in Redis: its cursor and its health, in one hash per source.

The cursor is written together with the success fields in one transaction, and only after
the poll's mentions are in the stream — so what a restart resumes from is never ahead of
what warner has (no gaps), and re-polled entries are dropped by the stream's dedupe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from warner.ingest.sources.base import Cursor
from warner.store import keys
from warner.store.values import as_text

if TYPE_CHECKING:
    from redis.typing import EncodableT, FieldT

    from warner.store.connection import RedisClient


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What ``warner sources status`` shows of one source."""

    name: str
    kind: str | None = None
    last_success: float | None = None  # epoch seconds
    last_error: str | None = None
    last_error_at: float | None = None
    errors: int = 0  # failed polls, ever
    failures: int = 0  # consecutive failed polls (0 = healthy)
    lag_s: float | None = None  # at the last poll with mentions: poll time - newest mention's created_at
    mentions: int = 0  # accepted into the stream, ever
    next_poll: float | None = None


class SourceState:
    """Load and save cursors and health of pulled sources."""

    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis

    async def cursor(self, name: str) -> Cursor:
        raw = await self.redis.hget(keys.source_state(name), "cursor")
        return orjson.loads(raw) if raw else {}

    async def succeeded(
        self, name: str, kind: str, cursor: Cursor, *, at: float, accepted: int, lag_s: float | None, next_poll: float
    ) -> None:
        """The poll's mentions are durable: store its cursor and mark the source healthy."""
        key = keys.source_state(name)
        fields: dict[FieldT, EncodableT] = {
            "cursor": orjson.dumps(cursor),
            "kind": kind,
            "last_success": at,
            "failures": 0,
            "next_poll": next_poll,
        }
        if lag_s is not None:
            fields["lag"] = lag_s
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.hincrby(key, "mentions", accepted)
            await pipe.execute()

    async def failed(self, name: str, kind: str, error: str, *, at: float, next_poll: float) -> None:
        key = keys.source_state(name)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key, mapping={"kind": kind, "last_error": error[:500], "last_error_at": at, "next_poll": next_poll}
            )
            pipe.hincrby(key, "errors", 1)
            pipe.hincrby(key, "failures", 1)
            await pipe.execute()

    async def failures(self, name: str) -> int:
        """Consecutive failures so far (backoff resumes where it was after a restart)."""
        return int(await self.redis.hget(keys.source_state(name), "failures") or 0)

    async def health(self, name: str) -> SourceHealth:
        raw = {as_text(k): as_text(v) for k, v in (await self.redis.hgetall(keys.source_state(name))).items()}

        def number(field: str) -> float | None:
            return float(raw[field]) if field in raw else None

        return SourceHealth(
            name=name,
            kind=raw.get("kind"),
            last_success=number("last_success"),
            last_error=raw.get("last_error"),
            last_error_at=number("last_error_at"),
            errors=int(raw.get("errors", 0)),
            failures=int(raw.get("failures", 0)),
            lag_s=number("lag"),
            mentions=int(raw.get("mentions", 0)),
            next_poll=number("next_poll"),
        )

