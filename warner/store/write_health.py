"""Whether this process can make a write durable in Redis *now* — what ``/readyz`` answers.

Why not PING: a Redis that is full (``maxmemory`` with ``noeviction``), a read-only replica, a
server whose last RDB/AOF write failed (``MISCONF``) and a cluster with a master down all
answer PING while refusing every write, so ``/readyz`` said ready while ingest answered 503.

Two sources of truth, the newer wins:

* the real writes: ingest's append and the worker's batches report success or failure here
  (``succeeded``/``failed``), which costs nothing;
* a probe: ``SET`` with a 10 s TTL on one small key per hash tag the process writes under
  (``keys.write_probe``: ``{ingest}`` for the API; the worker adds ``{timers}`` and each
  brand's tag, so on a cluster every master the process writes to is asked), at most once per
  ``every`` seconds, and only when no real write reported within that time. A probe that
  takes longer than ``timeout`` counts as failed: a stuck Redis is not ready either.

``run`` probes on a timer so the ``warner_store_writable`` gauge is fresh even when nobody
asks ``/readyz``; ``problem`` probes on demand if the last result is older than ``every``. So
readiness turns false about ``every`` (+ ``timeout`` for a hanging server) after writes start
failing, and true again as soon after they work. A change is logged once
(``store_not_writable`` with the reason, ``store_writable_again`` with the seconds it lasted).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import structlog
from redis.exceptions import RedisClusterException, RedisError

from warner.store import keys

if TYPE_CHECKING:
    from prometheus_client import Gauge

    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

PROBE_EVERY_S = 1.0
PROBE_TIMEOUT_S = 2.0
PROBE_TTL_MS = 10_000


def describe(error: BaseException | str) -> str:
    """The reason as an operator reads it: Redis' own words, or the kind of failure."""
    if isinstance(error, str):
        return error
    return str(error) or type(error).__name__


class WriteHealth:
    """The last write result of one process, refreshed by a probe (see the module docstring)."""

    def __init__(
        self,
        redis: RedisClient,
        tags: Sequence[str] = (keys.INGEST_TAG,),
        *,
        gauge: Gauge | None = None,
        every: float = PROBE_EVERY_S,
        timeout: float = PROBE_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        process = f"{socket.gethostname()}-{os.getpid()}"
        self.probe_keys = [keys.write_probe(tag, process) for tag in dict.fromkeys(tags)]
        self.gauge = gauge
        self.every = every
        self.timeout = timeout
        self.clock = clock
        self._problem: str | None = "no write tried yet"
        self._known = False  # a write or probe has reported
        self._at = float("-inf")  # when the last result came in
        self._since = clock()  # when the current state (writable or not) began
        self._probing = asyncio.Lock()
        # what else /readyz shows, never deciding readiness (e.g. the Telegram poller's health)
        self.details: Callable[[], dict[str, object]] | None = None

    def succeeded(self) -> None:
        """A real write went through."""
        self._record(None)

    def failed(self, error: BaseException | str) -> None:
        """A real write failed because of the store (not because of the data)."""
        self._record(describe(error))

    async def problem(self) -> str | None:
        """None if a write works now; else why not (Redis' error, or the probe's timeout)."""
        if self.clock() - self._at >= self.every:
            async with self._probing:
                if self.clock() - self._at >= self.every:  # not already probed by a concurrent caller
                    await self.probe()
        return self._problem

    async def probe(self) -> None:
        """Write every probe key once, now, and record the outcome."""
        try:
            async with asyncio.timeout(self.timeout):
                pipe = self.redis.pipeline(transaction=False)
                for key in self.probe_keys:
                    pipe.set(key, b"1", px=PROBE_TTL_MS)
                await pipe.execute()
        except TimeoutError:  # a stuck server, or a cluster client still retrying a node that is gone
            self._record(f"no answer to a write within {self.timeout:g}s")
        except (RedisError, RedisClusterException, OSError) as exc:
            self._record(describe(exc))
        else:
            self._record(None)

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the result (and the gauge) at most ``every`` seconds old until ``stop`` is set."""
        while not stop.is_set():
            await self.problem()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.every)

    def _record(self, problem: str | None) -> None:
        now = self.clock()
        was_ok = (self._problem is None) if self._known else None
        if problem is not None and was_ok is not False:
            log.warning("store_not_writable", reason=problem)
        elif problem is None and was_ok is False:
            log.info("store_writable_again", after_s=round(now - self._since, 2))
        if was_ok is None or was_ok != (problem is None):
            self._since = now
        self._problem, self._at, self._known = problem, now, True
        if self.gauge is not None:
            self.gauge.set(0 if problem else 1)
