"""Running the pulled sources: one task per source, each on its own clock.

A source's loop, top to bottom: load its cursor, poll (with a timeout), resolve brands,
append to the stream (deduplicated by source and id), save the cursor, sleep. A failure is
logged as ``source_failed``, counted and backed off — exponentially with jitter, or exactly
as long as the remote's ``Retry-After`` says — and never touches the other sources' tasks.

With several workers, a source's loop polls only while this process holds the source's lease
(``lease.py``); otherwise it waits until the lease comes its way and then polls at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import structlog
from redis.exceptions import RedisError

from warner.ingest.accept import append, resolve
from warner.ingest.brands import BrandMatcher
from warner.ingest.config import IngestSettings
from warner.ingest.parse import InvalidBody
from warner.ingest.sources.base import PullSource, SourceError
from warner.ingest.sources.lease import SourceLeases
from warner.ingest.sources.state import SourceState
from warner.metrics import Metrics
from warner.store.streams import MentionStream

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class SourceRunner:
    """Polls every source until ``stop`` is set; ``poll_once`` is one turn of one source's loop."""

    def __init__(
        self,
        redis: RedisClient,
        config: IngestSettings,
        sources: Sequence[PullSource],
        metrics: Metrics,
        *,
        matcher: BrandMatcher | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep | None = None,
        jitter: Callable[[], float] = random.random,
        leases: SourceLeases | None = None,
    ) -> None:
        self.config = config
        self.sources = list(sources)
        self.metrics = metrics
        self.matcher = matcher or BrandMatcher(config.brands)
        self.stream = MentionStream(redis)
        self.state = SourceState(redis)
        self.clock = clock
        self.sleep = sleep  # None: wait on the stop event (tests inject one that records waits)
        self.jitter = jitter
        ttl = config.sources.lease_ttl.total_seconds()
        self.leases = leases or SourceLeases(redis, [s.name for s in self.sources], ttl, metrics)

    async def run(self, stop: asyncio.Event) -> None:
        """One task per source; returns once ``stop`` is set and every task has finished."""
        leases_stop = asyncio.Event()  # set only once every poll has ended: a lease is never given back mid-poll
        keeper = asyncio.create_task(self.leases.run(leases_stop), name="source-leases")
        tasks = [asyncio.create_task(self._loop(s, stop), name=f"source-{s.name}") for s in self.sources]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            leases_stop.set()
            await asyncio.gather(keeper, return_exceptions=True)
            for source in self.sources:
                try:
                    await source.close()
                except Exception:
                    log.exception("source_close_failed", source=source.name)

    async def _loop(self, source: PullSource, stop: asyncio.Event) -> None:
        while await self.leases.wait_held(source.name, stop):
            delay = await self.poll_once(source)
            if stop.is_set():
                return
            if self.sleep is not None:
                await self.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)

    async def poll_once(self, source: PullSource) -> float:
        """Poll ``source`` once and store the outcome; returns the seconds to wait before the next poll."""
        bound = log.bind(source=source.name, kind=source.kind)
        try:
            cursor = await self.state.cursor(source.name)
            timeout = self.config.sources.poll_timeout.total_seconds()
            try:
                poll = await asyncio.wait_for(source.poll(cursor), timeout=timeout)
            except TimeoutError:
                raise SourceError(f"poll took longer than {timeout:g}s") from None
            if poll.skipped:
                self.metrics.source_entries_skipped.labels(source.name).inc(poll.skipped)
            try:
                mentions = resolve(poll.mentions, source.name, self.config, self.matcher)
            except InvalidBody as exc:
                raise SourceError(
                    f"adapter produced invalid mentions: {exc.errors[0].message}", permanent=True
                ) from None
            now = self.clock()
            result = await append(self.stream, mentions, self.config, int(now * 1000))
            if result.backlog_full:
                retry = self.config.ingest.retry_after.total_seconds()
                raise SourceError(f"stream backlog full ({result.backlog})", retry_after=retry)
            lag = now - max(m.created_at for m in mentions).timestamp() if mentions else None
            delay = poll.next_poll_s if poll.next_poll_s is not None else source.interval_s
            await self.state.succeeded(
                source.name,
                source.kind,
                poll.cursor,
                at=now,
                accepted=result.accepted,
                lag_s=lag,
                next_poll=now + delay,
            )
        except SourceError as exc:
            return await self._failed(source, exc, bound)
        except RedisError as exc:
            bound.error("source_store_unavailable", error=str(exc))
            return self._backoff(1)
        except Exception as exc:
            bound.exception("source_poll_crashed")
            return await self._failed(source, SourceError(f"{type(exc).__name__}: {exc}"), bound)
        self.metrics.source_last_success.labels(source.name).set(now)
        self.metrics.source_mentions.labels(source.name).inc(result.accepted)
        self.metrics.accepted.labels(source.name).inc(result.accepted)
        self.metrics.duplicates.labels(source.name).inc(result.duplicates)
        self.metrics.source_failures.labels(source.name).set(0)
        if lag is not None:
            self.metrics.source_lag.labels(source.name).set(lag)
        bound.debug("source_polled", accepted=result.accepted, duplicates=result.duplicates, skipped=poll.skipped)
        return delay

    async def _failed(
        self, source: PullSource, exc: SourceError, bound: structlog.typing.FilteringBoundLogger
    ) -> float:
        failures = 1
        with contextlib.suppress(RedisError):
            failures = await self.state.failures(source.name) + 1
        if exc.retry_after is not None:
            kind, delay = "rate_limited", exc.retry_after
        elif exc.permanent:
            kind, delay = "permanent", self.config.sources.max_backoff.total_seconds()
        else:
            kind, delay = "transient", self._backoff(failures)
        now = self.clock()
        bound.warning("source_failed", error=str(exc), failure=kind, failures=failures, retry_in_s=round(delay, 1))
        self.metrics.source_errors.labels(source.name, kind).inc()
        self.metrics.source_failures.labels(source.name).set(failures)
        try:
            await self.state.failed(source.name, source.kind, str(exc), at=now, next_poll=now + delay)
        except RedisError as redis_exc:
            bound.error("source_store_unavailable", error=str(redis_exc))
        return delay

    def _backoff(self, failures: int) -> float:
        """Exponential from ``sources.backoff``, capped, with equal jitter (half fixed, half random)."""
        base = self.config.sources.backoff.total_seconds()
        cap = self.config.sources.max_backoff.total_seconds()
        full: float = min(cap, base * 2 ** min(failures - 1, 30))  # int ** int is typed Any
        return full / 2 + self.jitter() * full / 2
