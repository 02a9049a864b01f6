"""Send the weekly digest once a week from ``warner run`` — exactly once, late rather than never, never forever.

Due: the last complete ISO week, from its following ``weekday`` at ``at`` local time (by
default Monday 08:00). Every minute each worker asks "is a digest due that has not gone
out?". The answer lives in Redis, not in memory: a claim (``SET NX`` with a lease) lets one
worker build and send it; a final marker afterwards makes every later check a no-op, also
after a restart. A worker that dies while sending leaves only the lease, which expires, and
the next check sends it. A service that was down on Monday morning sends it when it comes
back (the latest missed week only: an old digest nobody asked for is noise).

Two things a new install met in its first week (issue 19):

- *No digest of a week before warner had data* (``since.py``): such a week is marked
  ``skipped`` with one info line, instead of "KW 48 … 0 Erwähnungen" on the first morning.
- *A failure is tried a bounded number of times*: after each failed try the next waits 1, 2,
  4 … minutes (at most an hour; ``warner:{digest}:tries:<week>`` keeps the count and the time,
  so restarts and other workers keep to it). A failure that retrying cannot fix (token
  refused, every chat refused, a secret missing: ``failures.py``) is given up after
  ``MAX_TRIES_PERMANENT`` tries, any other after ``MAX_TRIES`` (about two hours). Giving up
  is one warning line ``digest_given_up`` (week, tries, reason, what to do), the week's
  marker says ``given up``, and ``warner digest --week … --send`` can still send it by hand.

Markers of ``warner:{digest}:sent:<week>``: ``sending <owner>`` (lease), ``sent <time>`` (also
written by ``warner digest --send``, so a digest sent by hand is not sent again), ``skipped <why>``,
``given up <time> after <n> tries: <reason>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog

from warner.config.common import WEEKDAYS
from warner.core import Clock
from warner.digest.config import DigestConfig
from warner.digest.failures import ERROR, as_failure
from warner.digest.since import data_since
from warner.metrics import Metrics
from warner.store import keys
from warner.weeks import last_complete_week, parse_week, previous_week

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger()

LEASE_S = 600
CHECK_EVERY_S = 60.0
FIRST_BACKOFF_S = 60.0
MAX_BACKOFF_S = 3600.0
MAX_TRIES = 8  # waits 1+2+4+8+16+32+60 min: a Telegram outage of two hours is ridden out
MAX_TRIES_PERMANENT = 3  # a refused token does not fix itself; three tries rule out a blip
TRIES_TTL_S = 14 * 86400

Send = Callable[[str], Awaitable[object]]


def due_week(now: float, config: DigestConfig) -> str:
    """The ISO week whose digest is due at ``now`` (the last complete one once its send time passed)."""
    tz = ZoneInfo(config.time_zone)
    local = datetime.fromtimestamp(now, tz)
    this_monday = (local - timedelta(days=local.weekday())).date()
    send_day = this_monday + timedelta(days=WEEKDAYS.index(config.weekday))
    just_past = last_complete_week(now, tz)
    if local < datetime.combine(send_day, config.at, tzinfo=tz):
        return previous_week(just_past)  # this week's send time has not come: the one before is due
    return just_past


def tries_key(week: str) -> str:
    """Hash of a week's failed tries: tries, next_at (epoch), reason, error (TTL two weeks)."""
    return f"{keys.PREFIX}:{{digest}}:tries:{week}"


def backoff_s(tries: int) -> float:
    """Wait after the ``tries``-th failed try: 1, 2, 4 … minutes, at most an hour."""
    wait: float = FIRST_BACKOFF_S * 2 ** (tries - 1)  # float ** int is typed Any
    return min(wait, MAX_BACKOFF_S)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


async def mark_sent(redis: RedisClient, week: str, at: float, by: str = "") -> None:
    """The week's digest went out (``by``: how, when not by the scheduler): no worker sends it again."""
    await redis.set(keys.digest_sent(week), f"sent {_iso(at)}{' ' + by if by else ''}")


class DigestScheduler:
    """Checks every minute whether a digest is due and sends it once (see the module docstring)."""

    def __init__(
        self,
        redis: RedisClient,
        config: DigestConfig,
        send: Send,
        clock: Clock,
        *,
        metrics: Metrics | None = None,
        brands: Iterable[str] = (),
    ) -> None:
        self.redis, self.config, self.send, self.clock, self.metrics = redis, config, send, clock, metrics
        self.brands = list(brands)  # whose counters tell since when warner has data (since.py)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._since: float | None = None  # never moves once recorded, so asked once per process

    async def check(self) -> str | None:
        """Send the due digest if nobody has; returns the week sent by this call, if any.

        A failed send is recorded and retried by a later check after its backoff; it does not raise.
        """
        now = self.clock.now()
        week = due_week(now, self.config)
        key = keys.digest_sent(week)
        marker = await self.redis.get(key)
        if marker is not None:
            self._note_success(marker)
            return None  # sent, skipped, given up, or another worker is sending it right now
        if await self._before_data(week, key, now):
            return None
        if not await self.redis.set(key, f"sending {self.owner}", nx=True, ex=LEASE_S):
            return None
        tried = await self.redis.hgetall(tries_key(week))  # read under the lease: nobody else writes it now
        if tried and now < float(tried[b"next_at"]):
            await self.redis.delete(key)  # still backing off
            return None
        tries = int(tried.get(b"tries", 0)) + 1
        try:
            await self.send(week)
        except Exception as exc:
            await self._failed(week, key, tries, exc)
            return None
        except BaseException:
            await self.redis.delete(key)  # cancelled mid-send: let the next check (here or elsewhere) try again
            raise
        sent_at = self.clock.now()
        await mark_sent(self.redis, week, sent_at)
        log.info("digest_sent", week=week, tries=tries)
        if self.metrics is not None:
            self.metrics.digest_sent.inc()
            self.metrics.digest_last_success.set(sent_at)
        return week

    async def _before_data(self, week: str, key: str, now: float) -> bool:
        """True (and the week marked skipped, logged once) if the week ended before warner had data."""
        if self._since is None:
            self._since = await data_since(self.redis, now, self.brands)
        _, end = parse_week(week, self.config.time_zone)
        if end > self._since:
            return False
        if await self.redis.set(key, f"skipped: ended before warner had data ({_iso(self._since)})", nx=True):
            log.info("digest_skipped", week=week, reason="before_first_data", data_since=_iso(self._since))
        return True

    async def _failed(self, week: str, key: str, tries: int, exc: Exception) -> None:
        failure = as_failure(exc)
        if failure.reason == ERROR:  # a bug, not an outage: keep its traceback for whoever turns on debug
            log.debug("digest_failure_traceback", week=week, exc_info=exc)
        if self.metrics is not None:
            self.metrics.digest_failures.labels(failure.reason).inc()
        now = self.clock.now()
        limit = MAX_TRIES_PERMANENT if failure.permanent else MAX_TRIES
        details: dict[str, str | int] = {"tries": tries, "reason": failure.reason, "error": failure.message}
        await self.redis.hset(
            tries_key(week), mapping=dict([*details.items(), ("next_at", repr(now + backoff_s(tries)))])
        )
        await self.redis.expire(tries_key(week), TRIES_TTL_S)
        if tries >= limit:
            await self.redis.set(key, f"given up {_iso(now)} after {tries} tries: {failure.reason}")
            log.warning("digest_given_up", week=week, **details)
            if self.metrics is not None:
                self.metrics.digest_given_up.labels(failure.reason).inc()
            return
        await self.redis.delete(key)  # after the tries hash: a worker that claims next sees the backoff
        log.info("digest_try_failed", week=week, retry_in_s=backoff_s(tries), **details)

    def _note_success(self, marker: bytes | str) -> None:
        """Report the last sent digest's time, also from a process that did not send it (restarts, other workers)."""
        if isinstance(marker, str):  # the client answers bytes; its types allow str
            marker = marker.encode()
        if self.metrics is None or not marker.startswith(b"sent "):
            return
        with contextlib.suppress(ValueError, IndexError):
            self.metrics.digest_last_success.set(datetime.fromisoformat(marker.split()[1].decode()).timestamp())

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except Exception as exc:  # Redis away for a moment (send failures are handled in check): next minute
                log.warning("digest_check_failed", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_EVERY_S)
