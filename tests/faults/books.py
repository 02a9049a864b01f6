"""The fault suite's books: HTTP ingest that remembers every 202, and the books to check against.

Every fault test ends with the same audit: each mention that got a ``202`` is counted exactly
once (the bucket counters, read key by key from ``warner/store/keys.py``, against what was
accepted), the stream backlog is empty, and each incident's figures match the counters of
its buckets. ``Ledger`` and ``audit`` are that audit, in one place.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
import orjson

from warner.incidents.store import IncidentStore
from warner.store import keys


@dataclass
class Ledger:
    """What the sender was told: accepted mention ids (with when), refusals and their reasons."""

    accepted: dict[str, float] = field(default_factory=dict)  # mention id -> time.monotonic() of its 202
    duplicates: int = 0
    refused: list[tuple[int, str | None]] = field(default_factory=list)  # (status, Retry-After)
    errors: list[str] = field(default_factory=list)  # no answer at all (connection reset, timeout)
    latencies: list[float] = field(default_factory=list)

    def statuses(self) -> set[int]:
        return {status for status, _ in self.refused}


class Ingest:
    """A source posting to ``POST /v1/mentions`` over real HTTP, as a webhook sender would."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = f"{base_url}/v1/mentions"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.ledger = Ledger()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, records: list[dict[str, Any]]) -> int:
        """One request; returns the status (0 for no answer). Accepted ids go into the ledger."""
        assert self._session is not None
        body = b"".join(orjson.dumps(r) + b"\n" for r in records)
        started = time.monotonic()
        try:
            async with self._session.post(self.url, data=body, headers=self.headers) as response:
                payload = await response.read()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.ledger.errors.append(f"{type(exc).__name__}: {exc}")
            return 0
        done = time.monotonic()
        self.ledger.latencies.append(done - started)
        if status == 202:
            answer = orjson.loads(payload)
            self.ledger.duplicates += answer["duplicates"]
            for r in records:
                self.ledger.accepted.setdefault(str(r["id"]), done)
        else:
            self.ledger.refused.append((status, retry_after))
        return status

    async def post_all(
        self, records: list[dict[str, Any]], *, per_request: int = 50, retry_until: float | None = None
    ) -> None:
        """Send ``records`` in order; with ``retry_until`` (monotonic), a refused request is sent again."""
        for i in range(0, len(records), per_request):
            chunk = records[i : i + per_request]
            while (status := await self.post(chunk)) != 202 and retry_until is not None:
                assert time.monotonic() < retry_until, f"ingest still refuses ({status}) at the deadline"
                await asyncio.sleep(0.05)


async def counted(redis: Any, brand: str) -> int:
    """Mentions counted for ``brand``: the sum of its bucket counters, read by key."""
    epochs = await redis.zrange(keys.bucket_index(brand), 0, -1)
    total = 0
    for epoch in epochs:
        value = await redis.hget(keys.bucket(brand, int(epoch)), "mentions")
        total += int(value or 0)
    return total


async def counted_keys(redis: Any, brand: str) -> list[str]:
    """Every ``source:id`` counted for ``brand``, one entry per bucket it was counted in."""
    out: list[str] = []
    for epoch in await redis.zrange(keys.bucket_index(brand), 0, -1):
        out += [m.decode() for m in await redis.smembers(keys.bucket_seen(brand, int(epoch)))]
    return out


async def bucket_mentions(redis: Any, brand: str, start: int, end: int) -> int:
    """Sum of ``brand``'s bucket counters with start in ``[start, end]``."""
    total = 0
    for epoch in await redis.zrangebyscore(keys.bucket_index(brand), start, end):
        total += int(await redis.hget(keys.bucket(brand, int(epoch)), "mentions") or 0)
    return total


@dataclass(frozen=True)
class Books:
    """The state of the books after a fault: what the audit found."""

    accepted: int
    counted: int
    counted_twice: list[str]
    backlog: int
    pending: int
    incidents: list[Any]


async def audit(redis: Any, brands: Iterable[str], source: str = "webhook") -> Books:
    """Count what Redis holds against nothing: the caller compares it with its ledger."""
    all_keys: list[str] = []
    total = 0
    for brand in [*brands, keys.NO_BRAND]:
        total += await counted(redis, brand)
        all_keys += await counted_keys(redis, brand)
    seen: set[str] = set()
    twice = sorted({k for k in all_keys if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
    backlog = int(await redis.xlen(keys.MENTION_STREAM))
    try:
        pending = int((await redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP))["pending"])
    except Exception:
        pending = 0
    incidents = await IncidentStore(redis).recent(limit=100)
    accepted = len([k for k in all_keys if k.startswith(f"{source}:")])
    return Books(accepted, total, twice, backlog, pending, incidents)


async def incident_mismatches(redis: Any) -> list[str]:
    """Incidents whose figures differ from the counters of their buckets (empty = consistent)."""
    out = []
    for incident in await IncidentStore(redis).recent(limit=100):
        in_buckets = await bucket_mentions(redis, incident.brand, incident.started_at, incident.updated_at)
        if in_buckets != incident.mentions:
            out.append(
                f"{incident.id}: incident says {incident.mentions} mentions, its buckets "
                f"[{incident.started_at}, {incident.updated_at}] hold {in_buckets}"
            )
    return out


async def eventually(predicate: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"not reached within {timeout:.0f}s: {what}"
        await asyncio.sleep(0.05)
