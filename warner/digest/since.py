"""Since when warner has data — weeks that ended before are not worth a digest.

A fresh install used to send last week's digest at once ("KW 48 … 0 Erwähnungen", a week
before warner existed). What "had data" means has to survive restarts, several workers and
an upgrade of an install that has run for months, so it is one moment kept in Redis:

- the first time the scheduler asks, it records the *earliest* of: now (warner's first start
  with the digest on), the oldest bucket any brand (or ``_none``) has counters for, and the
  oldest incident. An upgraded install therefore dates back to its oldest kept data, a fresh
  one to its first start;
- ``SET NX``: whichever worker asks first wins, and the moment never moves afterwards, so a
  feed that later delivers old posts (counted into old buckets) does not make a digest of a
  week warner never watched.

``warner:{digest}:since`` (string, epoch seconds; no TTL; listed in ``store/keys.py``). Its
``{digest}`` tag matches the sent markers', and every command here is single-key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from warner.store import keys

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

SINCE_KEY = f"{keys.PREFIX}:{{digest}}:since"


async def earliest_data(redis: RedisClient, brands: Iterable[str]) -> float | None:
    """Epoch of the oldest bucket of any of ``brands`` (and ``_none``) or oldest incident; None if there is none."""
    indexes = [keys.bucket_index(b) for b in {*brands, keys.NO_BRAND}] + [keys.INCIDENT_INDEX]
    oldest: float | None = None
    for index in indexes:  # one key per command: fine on a Redis Cluster
        first = await redis.zrange(index, 0, 0, withscores=True)
        if first and (oldest is None or float(first[0][1]) < oldest):
            oldest = float(first[0][1])
    return oldest


async def data_since(redis: RedisClient, now: float, brands: Iterable[str]) -> float:
    """The recorded moment warner has data since; recorded now (see the module docstring) if it was not."""
    recorded = await redis.get(SINCE_KEY)
    if recorded is None:
        oldest = await earliest_data(redis, brands)
        await redis.set(SINCE_KEY, repr(now if oldest is None else min(now, oldest)), nx=True)
        recorded = await redis.get(SINCE_KEY)
        assert recorded is not None  # just set (nx), by this call or another process
    return float(recorded)


async def record_since(redis: RedisClient, at: float) -> None:
    """Set the moment outright (tests; an operator who wants older weeks' digests after all)."""
    await redis.set(SINCE_KEY, repr(float(at)))
