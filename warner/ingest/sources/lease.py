"""One poller per pulled source across every worker: a lease per source in Redis.

Every worker runs the source runner. Without a lease each of them polled every feed — N
requests to the remote per interval, N ``source_failed`` lines for one outage, and cursor
writes racing each other. Now a source is polled only by the worker holding
``warner:{sources}:lease:<source>`` (its id, with a TTL of ``sources.lease_ttl``).

The keeper makes one pass every third of the TTL: a lease it holds is renewed by a
compare-and-renew script (only if the key still names this holder), a free one is taken with
``SET NX PX``. The holder so renews twice before its lease could expire; a holder that dies
(``kill -9``: nothing released) leaves a lease that expires, and the next pass of another
worker takes it — within TTL + a third of it. A clean stop releases the leases (compare and
delete), so the others take over at their next pass. A holder that cannot reach Redis for a
whole TTL stops polling on its own, since another worker may hold the lease by then.

``source_lease_taken`` and ``source_lease_lost`` are logged once per change, never per pass;
``warner_source_lease_held{source}`` is 1 in the process that polls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import structlog
from redis.exceptions import RedisError

from warner.metrics import Metrics
from warner.store import keys
from warner.store.values import as_text

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def holder_id() -> str:
    """This process, recognisably: host, pid and a random part (a restarted pid is another holder)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class SourceLeases:
    """The leases of one process's sources: which it holds, kept fresh by ``run``."""

    def __init__(
        self,
        redis: RedisClient,
        names: Sequence[str],
        ttl_s: float,
        metrics: Metrics,
        *,
        holder: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.ttl_ms = max(1, int(ttl_s * 1000))
        self.every_s = ttl_s / 3
        self.metrics = metrics
        self.holder = holder or holder_id()
        self.monotonic = monotonic
        self._held = {name: asyncio.Event() for name in names}
        for name in names:  # 0 from the start, so that "nobody polls it" is a sum of zeros, not an absence
            metrics.source_lease_held.labels(name).set(0)
        self._renewed_at: dict[str, float] = {}
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)

    def holds(self, name: str) -> bool:
        return self._held[name].is_set()

    async def wait_held(self, name: str, stop: asyncio.Event) -> bool:
        """Until this process holds ``name``'s lease (True) or ``stop`` is set (False)."""
        held = self._held[name]
        if not held.is_set() and not stop.is_set():
            waiters = [asyncio.create_task(held.wait()), asyncio.create_task(stop.wait())]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
        return held.is_set() and not stop.is_set()

    async def run(self, stop: asyncio.Event) -> None:
        """A pass now and every third of the TTL until ``stop``; then release what is held."""
        try:
            while not stop.is_set():
                try:
                    await self.check()
                except Exception:  # a bug here must not stop every source for good: next pass
                    log.exception("source_lease_check_failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.every_s)
        finally:
            await self.release()

    async def check(self) -> None:
        """One pass: renew what is held, take what is free, notice what was lost."""
        for name in self._held:
            try:
                await self._check(name)
            except RedisError as exc:
                if self.holds(name) and self.monotonic() - self._renewed_at[name] >= self.ttl_ms / 1000:
                    self._changed(name, False, reason="store_unavailable", error=str(exc))

    async def _check(self, name: str) -> None:
        key = keys.source_lease(name)
        if self.holds(name):
            if await self._renew(keys=[key], args=[self.holder, self.ttl_ms]):
                self._renewed_at[name] = self.monotonic()
                return
            holder = await self.redis.get(key)
            self._changed(name, False, reason="taken_over", by=as_text(holder) if holder else None)
        if await self.redis.set(key, self.holder, nx=True, px=self.ttl_ms):
            self._renewed_at[name] = self.monotonic()
            self._changed(name, True)

    def _changed(self, name: str, held: bool, **fields: object) -> None:
        if held:
            self._held[name].set()
            log.info("source_lease_taken", source=name, holder=self.holder)
        else:
            self._held[name].clear()
            log.warning("source_lease_lost", source=name, holder=self.holder, **fields)
        self.metrics.source_lease_held.labels(name).set(1 if held else 0)

    async def release(self) -> None:
        """Give back every lease held (a clean stop): the others take over at their next pass."""
        held = [n for n in self._held if self.holds(n)]
        for name in held:
            self._held[name].clear()
            self.metrics.source_lease_held.labels(name).set(0)
            try:
                await self._release(keys=[keys.source_lease(name)], args=[self.holder])
            except RedisError as exc:  # it expires by itself
                log.warning("source_lease_release_failed", source=name, error=str(exc))
        if held:
            log.info("source_leases_released", sources=held, holder=self.holder)
