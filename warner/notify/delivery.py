"""Getting one page to one person: retries, backoff, failover, and a record of every attempt.

Channels only report (``Delivery``); every decision is made here, in one place:

- channels are tried in the order given (``deliver``), or all at once (``deliver_all``, for
  ``delivery: all``); one that cannot reach the recipient (no phone, no Telegram id) counts
  as a permanent failure, recorded like any other attempt;
- a transient failure is retried on the same channel with exponential backoff and full
  jitter, or after the remote's ``retry_after`` when it asked for one; a ``retry_after``
  longer than the policy's cap moves on to the next channel at once (a page waiting minutes
  for a rate limit is a page too late), as does running out of attempts;
- a permanent failure moves on to the next channel at once; the first success ends it;
- every attempt goes to ``record`` (the incident timeline) and to the metrics;
- a page that no channel delivered is never dropped quietly: an error event
  ``page_undeliverable`` and ``warner_pages_undeliverable_total`` — once per page, and not
  for a page that another channel of ``deliver_all`` got through.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import structlog

from warner.metrics import Metrics
from warner.notify.base import Channel, Delivery, Page

log = structlog.get_logger(__name__)

Record = Callable[[Page, Delivery], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try one channel before the next.

    ``max_attempts`` is per channel; the n-th retry waits a random time in
    ``[0, min(max_delay, base_delay * 2**(n-1))]`` ("full jitter", so many pages failing at
    once do not retry in lockstep), or exactly the remote's ``retry_after`` if that is at
    most ``max_retry_after``.
    """

    max_attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 20.0
    jitter: Literal["full", "none"] = "full"
    max_retry_after: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Wait before retry number ``retry`` (1 = the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return rng.uniform(0.0, ceiling) if self.jitter == "full" else ceiling


def _result(delivery: Delivery) -> str:
    if delivery.ok:
        return "ok"
    return "permanent" if delivery.permanent else "transient"


class Notifier:
    """Delivers pages over named channels, following a ``RetryPolicy``."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        policy: RetryPolicy,
        record: Record,
        metrics: Metrics | None = None,
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.channels = dict(channels)
        self.policy = policy
        self._record = record
        self._metrics = metrics
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    async def deliver(self, page: Page, order: list[str]) -> list[Delivery]:
        """Try ``order``'s channels until one delivers; return every attempt, in order.

        Delivered iff the last attempt is ``ok``. Cancelling the task (an ack arrived) stops
        it between attempts.
        """
        started = self._clock()
        attempts = await self._failover(page, order)
        if not (attempts and attempts[-1].ok):
            self._undeliverable(page, attempts, self._clock() - started)
        return attempts

    async def deliver_all(self, page: Page, channels: list[str]) -> list[Delivery]:
        """Every channel at once (``delivery: all``), each with its retries; return every attempt.

        Undeliverable only if no channel got through: a person reached by SMS while Telegram
        is down was reached.
        """
        started = self._clock()
        results = await asyncio.gather(*(self._failover(page, [name]) for name in channels))
        attempts = [d for result in results for d in result]
        if not any(d.ok for d in attempts):
            self._undeliverable(page, attempts, self._clock() - started)
        return attempts

    async def _failover(self, page: Page, order: list[str]) -> list[Delivery]:
        plog = log.bind(incident_id=page.incident.id, recipient=page.recipient.id, kind=page.kind)
        attempts: list[Delivery] = []
        for name in order:
            channel = self.channels.get(name)
            if channel is None:
                plog.error("page_channel_unknown", channel=name)
                await self._attempted(
                    page, Delivery(name, "", False, 0.0, error="no such channel", permanent=True), attempts
                )
                continue
            if not channel.can_reach(page.recipient):
                delivery = Delivery(name, "", False, 0.0, error=f"cannot reach {page.recipient.id}", permanent=True)
                await self._attempted(page, delivery, attempts, result="unreachable")
                continue
            if await self._try_channel(channel, page, attempts, plog):
                break
        return attempts

    async def _try_channel(
        self, channel: Channel, page: Page, attempts: list[Delivery], plog: structlog.typing.FilteringBoundLogger
    ) -> bool:
        for attempt in range(1, self.policy.max_attempts + 1):
            delivery = await self._send(channel, page, plog)
            await self._attempted(page, delivery, attempts)
            if delivery.ok:
                return True
            if delivery.permanent or attempt == self.policy.max_attempts:
                return False
            if delivery.retry_after is not None:
                if delivery.retry_after > self.policy.max_retry_after:
                    plog.warning("page_retry_after_too_long", channel=channel.name, retry_after=delivery.retry_after)
                    return False
                wait = delivery.retry_after
            else:
                wait = self.policy.backoff(attempt, self._rng)
            plog.info("page_retry", channel=channel.name, attempt=attempt, wait_s=round(wait, 3), error=delivery.error)
            await self._sleep(wait)
        return False

    async def _send(self, channel: Channel, page: Page, plog: structlog.typing.FilteringBoundLogger) -> Delivery:
        """``channel.send``, with a channel's bug turned into a permanent failure, not a lost page."""
        started = self._clock()
        try:
            return await channel.send(page)
        except Exception as exc:
            plog.exception("page_channel_crashed", channel=channel.name)
            return Delivery(
                channel.name, "", False, self._clock() - started, error=f"{type(exc).__name__}: {exc}", permanent=True
            )

    async def _attempted(
        self, page: Page, delivery: Delivery, attempts: list[Delivery], result: str | None = None
    ) -> None:
        attempts.append(delivery)
        if self._metrics is not None:
            self._metrics.page_attempts.labels(delivery.channel, result or _result(delivery)).inc()
            if result is None:
                self._metrics.page_attempt_seconds.labels(delivery.channel).observe(delivery.latency_s)
            if delivery.ok:
                self._metrics.pages_delivered.labels(delivery.channel).inc()
        try:
            await self._record(page, delivery)
        except Exception:
            # The page itself goes on; the timeline misses a line, and says so loudly here.
            log.exception(
                "page_attempt_unrecorded",
                incident_id=page.incident.id,
                recipient=page.recipient.id,
                channel=delivery.channel,
                ok=delivery.ok,
            )

    def _undeliverable(self, page: Page, attempts: list[Delivery], elapsed: float) -> None:
        if self._metrics is not None:
            self._metrics.pages_undeliverable.inc()
        log.error(
            "page_undeliverable",
            incident_id=page.incident.id,
            recipient=page.recipient.id,
            kind=page.kind,
            attempts=[
                {"channel": d.channel, "target": d.target, "error": d.error, "permanent": d.permanent} for d in attempts
            ],
            elapsed_s=round(elapsed, 3),
        )

    async def close(self) -> None:
        """Close every channel (their HTTP sessions)."""
        for channel in self.channels.values():
            await channel.close()
