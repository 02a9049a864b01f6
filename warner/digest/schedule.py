"""Send the weekly digest once a week from ``warner run`` — exactly once, and late rather than never.

Due: the last complete ISO week, from its following ``weekday`` at ``at`` local time (by
default Monday 08:00). Every minute each worker asks "is a digest due that has not gone
out?". The answer lives in Redis, not in memory: a claim (``SET NX`` with a lease) lets one
worker build and send it; a ``sent`` marker afterwards makes every later check a no-op, also
after a restart. A worker that dies while sending leaves only the lease, which expires, and
the next check sends it. A service that was down on Monday morning sends it when it comes
back (the latest missed week only: an old digest nobody asked for is noise).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
import structlog

from warner.digest.config import DigestConfig
from warner.digest.week import last_complete_week, previous_week
from warner.oncall.clock import Clock
from warner.oncall.config import WEEKDAYS
from warner.store import keys

log = structlog.get_logger()

LEASE_S = 600
CHECK_EVERY_S = 60.0

Send = Callable[[str], Awaitable[None]]


def due_week(now: float, config: DigestConfig) -> str | None:
    """The ISO week whose digest is due at ``now`` (the last complete one once its send time passed)."""
    tz = ZoneInfo(config.time_zone)
    local = datetime.fromtimestamp(now, tz)
    this_monday = (local - timedelta(days=local.weekday())).date()
    send_day = this_monday + timedelta(days=WEEKDAYS.index(config.weekday))
    just_past = last_complete_week(now, tz)
    if local < datetime.combine(send_day, config.at, tzinfo=tz):
        return previous_week(just_past)  # this week's send time has not come: the one before is due
    return just_past


class DigestScheduler:
    """Checks every minute whether a digest is due and sends it once (see the module docstring)."""

    def __init__(self, redis: aioredis.Redis, config: DigestConfig, send: Send, clock: Clock) -> None:
        self.redis, self.config, self.send, self.clock = redis, config, send, clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    async def check(self) -> str | None:
        """Send the due digest if nobody has; returns the week sent by this call, if any."""
        week = due_week(self.clock.now(), self.config)
        if week is None:
            return None
        key = keys.digest_sent(week)
        if not await self.redis.set(key, f"sending {self.owner}", nx=True, ex=LEASE_S):
            return None  # sent already, or another worker is sending it right now
        try:
            await self.send(week)
        except BaseException:
            await self.redis.delete(key)  # let the next check (here or elsewhere) try again
            raise
        await self.redis.set(key, f"sent {datetime.fromtimestamp(self.clock.now(), UTC).isoformat()}")
        log.info("digest_sent", week=week)
        return week

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except Exception:  # a failed send is retried at the next check, never given up
                log.exception("digest_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_EVERY_S)
