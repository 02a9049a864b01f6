"""The worker: reads the mention stream in a consumer group and runs the stages.

Loop, top to bottom: take over entries a dead consumer left behind (XAUTOCLAIM), read new
ones (XREADGROUP), decode, run every stage on the batch in order, then XACK (+XDEL). An
entry is acknowledged only after all stages are done, so a crash means re-delivery, and
idempotent stages make re-delivery harmless. A batch that fails is retried entry by entry
so one poisoned mention cannot hold back the others; an entry that keeps failing is moved
to the dead-letter stream after ``max_deliveries``. A failure to read the worker's *own* stored
state (``StateUnreadable``: a detector state or incident another version wrote) blames no
mention: the worker stops and the batch stays pending for a worker that can read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence

import structlog
from pydantic import ValidationError
from redis import exceptions as redis_errors
from redis.exceptions import RedisClusterException, RedisError

from warner.config.root import WorkerConfig
from warner.mention import Mention
from warner.metrics import Metrics
from warner.pipeline import Envelope, Stage
from warner.store.streams import MentionStream, StreamEntry
from warner.store.tolerant import StateUnreadable
from warner.store.write_health import WriteHealth

log = structlog.get_logger(__name__)


# Redis cannot work now (unreachable, loading, read-only replica, full, cluster moving or down,
# not allowed): wait and retry the same batch. Plain error replies that mean the same:
_OUTAGE_TYPES = (
    redis_errors.ConnectionError,  # BusyLoadingError and AuthenticationError too
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
    redis_errors.ClusterError,  # ClusterDownError, MasterDownError
    redis_errors.TryAgainError,
    redis_errors.AskError,  # MovedError
    redis_errors.NoPermissionError,
    RedisClusterException,
)
_OUTAGE_REPLIES = ("MISCONF", "BUSY ", "NOREPLICAS", "LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN")


def is_outage(exc: BaseException) -> bool:
    """Whether an error means waiting and retrying the same batch rather than a bad batch.

    Anything else from Redis — a script's ``error_reply``, a wrong type, a value redis-py
    cannot send (``DataError``) — is about the data: retrying it for ever would stall every
    brand behind one mention, so the batch goes entry by entry and the bad one ends in the
    dead letters.
    """
    if isinstance(exc, _OUTAGE_TYPES):
        return True
    return isinstance(exc, RedisError) and any(marker in str(exc) for marker in _OUTAGE_REPLIES)


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Worker:
    """One consumer in the ``workers`` group."""

    def __init__(
        self,
        stream: MentionStream,
        stages: Sequence[Stage],
        config: WorkerConfig,
        *,
        metrics: Metrics | None = None,
        consumer: str | None = None,
        wall_ms: Callable[[], int] | None = None,
        write_health: WriteHealth | None = None,
    ) -> None:
        self.stream = stream
        self.stages = list(stages)
        self.config = config
        self.metrics = metrics or Metrics()
        self.consumer = consumer or consumer_name()
        self.wall_ms = wall_ms or (lambda: int(time.time() * 1000))
        self.write_health = write_health  # told how the batches' writes went (the process's /readyz)
        self.log = log.bind(consumer=self.consumer)
        self._last_claim = 0.0
        self._group_ready = False

    async def run(self, stop: asyncio.Event) -> None:
        """Process until ``stop`` is set; survives Redis outages by waiting and retrying."""
        self.log.info("worker_started", stages=[s.name for s in self.stages])
        backoff = 0.1
        while not stop.is_set():
            try:
                if await self.step() and self.write_health is not None:
                    self.write_health.succeeded()
                backoff = 0.1
            except (RedisError, RedisClusterException) as exc:  # also a cluster unreachable since start
                if self.write_health is not None:
                    self.write_health.failed(exc)
                self._group_ready = False  # the stream may be gone (Redis restarted without data)
                self.log.warning("worker_redis_error", error=str(exc), retry_in=backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 5.0)
        self.log.info("worker_stopped")

    async def step(self, block_ms: int | None = None) -> int:
        """One round: reclaim if due, read a batch, process it. Returns entries acknowledged."""
        if not self._group_ready:
            await self.stream.ensure_group()
            self._group_ready = True
        done = 0
        claim_every = self.config.claim_idle.total_seconds() / 2
        if time.monotonic() - self._last_claim >= claim_every:
            self._last_claim = time.monotonic()
            done += await self.reclaim()
        block = int(self.config.block.total_seconds() * 1000) if block_ms is None else block_ms
        entries = await self.stream.read(self.consumer, self.config.batch_size, block)
        if entries:
            done += await self.process(entries)
        return done

    async def reclaim(self) -> int:
        """Dead-letter entries that failed too often, then take over the rest of the idle ones."""
        idle_ms = int(self.config.claim_idle.total_seconds() * 1000)
        poisoned = await self.stream.over_delivered(idle_ms, self.config.max_deliveries, self.config.batch_size)
        if poisoned:
            moved = await self.stream.dead_letter(poisoned, "max_deliveries")
            self.metrics.dead_lettered.labels("max_deliveries").inc(moved)
            self.log.error("entries_dead_lettered", reason="max_deliveries", count=moved, entry_ids=poisoned[:10])
        entries = await self.stream.claim_idle(self.consumer, idle_ms, self.config.batch_size)
        forgotten = await self.stream.forget_idle_consumers(
            int(self.config.forget_consumers_after.total_seconds() * 1000), keep=self.consumer)
        if forgotten:
            self.log.info("consumers_forgotten", consumers=forgotten)
        if not entries:
            return 0
        self.metrics.reclaimed.inc(len(entries))
        self.log.warning("entries_reclaimed", count=len(entries), first=entries[0].entry_id)
        return await self.process(entries)

    async def process(self, entries: Sequence[StreamEntry]) -> int:
        """Run the stages over ``entries`` and acknowledge what went through."""
        envelopes, undecodable = self._decode(entries)
        if undecodable:
            moved = await self.stream.dead_letter(undecodable, "undecodable")
            self.metrics.dead_lettered.labels("undecodable").inc(moved)
        try:
            await self._run_stages(envelopes)
            ok = envelopes
        except StateUnreadable as exc:
            raise self._stopping(exc, len(envelopes)) from None
        except Exception as exc:
            if is_outage(exc):
                raise
            self.log.exception("batch_failed_retrying_one_by_one", size=len(envelopes))
            ok = []
            for envelope in envelopes:
                try:
                    await self._run_stages([envelope])
                    ok.append(envelope)
                except StateUnreadable as exc:
                    raise self._stopping(exc, len(envelopes)) from None
                except Exception as one:
                    if is_outage(one):
                        raise
                    self.log.exception("mention_failed", entry_id=envelope.entry_id,
                                       mention_id=envelope.mention.id, brand=envelope.brand)
        acked = await self.stream.ack([e.entry_id for e in ok])
        now = self.wall_ms()
        for e in ok:
            self.metrics.decision_seconds.observe(max(0, now - e.received_ms) / 1000)
        self.metrics.processed.inc(acked)
        return acked + len(undecodable)

    def _stopping(self, exc: StateUnreadable, pending: int) -> StateUnreadable:
        """This worker's own state is unreadable (another version's, or damaged): no mention is to blame.

        Dead-lettering would lose every mention for a fault of the worker, so it stops (``warner run``
        exits 1 with the reason) and leaves the batch pending for a worker that can read the state.
        """
        self.log.error("worker_stopped_state_unreadable", key=exc.key, error=str(exc), pending=pending)
        return exc

    async def _run_stages(self, envelopes: list[Envelope]) -> None:
        if not envelopes:
            return
        for stage in self.stages:
            try:
                await stage.process(envelopes)
            except Exception:
                self.metrics.failures.labels(stage.name).inc()
                raise

    def _decode(self, entries: Sequence[StreamEntry]) -> tuple[list[Envelope], list[str]]:
        envelopes, bad = [], []
        for entry in entries:
            try:
                mention = Mention.model_validate_json(entry.payload)
            except ValidationError as exc:
                self.log.error("entry_undecodable", entry_id=entry.entry_id, error=str(exc)[:300])
                bad.append(entry.entry_id)
                continue
            envelopes.append(Envelope(entry.entry_id, mention, entry.received_ms))
        return envelopes, bad

    async def drain(self, idle_rounds: int = 1) -> int:
        """Process until the stream is empty (used by replay, the demo and tests)."""
        total, quiet = 0, 0
        while quiet < idle_rounds:
            n = await self.step(block_ms=50)
            total += n
            quiet = quiet + 1 if n == 0 and await self.stream.backlog() == 0 else 0
        return total
