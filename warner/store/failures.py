"""Counters of wrong guesses that lock after a few, shared by every process: SMS reply codes, passwords.

An attempt is *reserved* before it is checked — atomically — so a burst of concurrent guesses
cannot slip past the limit: the first ``max_wrong`` are checked, the rest refused. A right
guess clears the count (its owner proved it); a wrong one keeps it, and a counter that reached
``max_wrong`` within ``window`` stays locked for ``lockout`` from that last wrong guess.

The first key of an attempt is the one that refuses (the SMS sender's number, a person id). An
optional second key is only counted (the SMS client address): while it alone is locked, the
attempt is still checked, and the caller decides what to answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

# KEYS: the refusing counter, optionally a second one. ARGV: max_wrong, window ms, lockout ms.
# The first holding max_wrong attempts is locked: {0, its remaining lock in ms}. Otherwise the
# attempt is counted on it, and on the second unless that is locked: {1, 0}, or {2, the second's
# remaining lock in ms} when the second is locked (the attempt is still checked).
_RESERVE = """
local max = tonumber(ARGV[1])
local function locked_for(key)
  if tonumber(redis.call('GET', key) or '0') < max then
    return nil
  end
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, ARGV[3])
    left = tonumber(ARGV[3])
  end
  return left
end
local first_left = locked_for(KEYS[1])
if first_left then
  return {0, first_left}
end
if redis.call('INCR', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if #KEYS < 2 then
  return {1, 0}
end
local second_left = locked_for(KEYS[2])
if second_left then
  return {2, second_left}
end
if redis.call('INCR', KEYS[2]) == 1 then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return {1, 0}
"""

# The reserved attempt was wrong: it stays counted; a counter that reached max_wrong is locked for
# the lockout from now. KEYS: the counters the attempt was counted on. Returns which locked (1/0 each).
_WRONG = """
local max = tonumber(ARGV[1])
local locked = {}
for i = 1, #KEYS do
  locked[i] = 0
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= max then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    locked[i] = 1
  end
end
return locked
"""

# The reserved attempt was right: the first count starts afresh; the second's attempt, if it was
# counted (KEYS[2] given), is given back.
_RIGHT = """
redis.call('DEL', KEYS[1])
if #KEYS > 1 and tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Locked:
    """Too many wrong guesses; try again after ``retry_after`` seconds."""

    retry_after: int


@dataclass(frozen=True, slots=True)
class Reserved:
    """An attempt counted on ``keys``; ``second_locked`` when the optional second counter is locked."""

    keys: list[str]
    second_locked: Locked | None = None


class FailureCounters:
    """Reserve, then report right or wrong (see the module docstring)."""

    def __init__(self, redis: RedisClient, *, max_wrong: int, window: timedelta, lockout: timedelta) -> None:
        if max_wrong < 1:
            raise ValueError("max_wrong must be at least 1")
        self.max_wrong = max_wrong
        self.window_ms = max(int(window.total_seconds() * 1000), 1)
        self.lockout_ms = max(int(lockout.total_seconds() * 1000), 1)
        self._reserve = redis.register_script(_RESERVE)
        self._wrong = redis.register_script(_WRONG)
        self._right = redis.register_script(_RIGHT)

    async def reserve(self, first: str, second: str | None = None) -> Reserved | Locked:
        """Count an attempt on ``first`` (and ``second``), or refuse it while ``first`` is locked."""
        counters = [first] if second is None else [first, second]
        outcome, wait_ms = await self._reserve(keys=counters, args=[self.max_wrong, self.window_ms, self.lockout_ms])
        if int(outcome) == 0:
            return Locked(seconds(wait_ms))
        if int(outcome) == 2:
            return Reserved([first], Locked(seconds(wait_ms)))
        return Reserved(counters)

    async def right(self, attempt: Reserved) -> None:
        await self._right(keys=attempt.keys)

    async def wrong(self, attempt: Reserved) -> list[bool]:
        """Keep the attempt counted; which of its counters locked just now."""
        locked = await self._wrong(keys=attempt.keys, args=[self.max_wrong, self.lockout_ms])
        return [bool(int(n)) for n in locked]


def seconds(ms: int | bytes) -> int:
    """A remaining lock in milliseconds as whole seconds for Retry-After, at least 1."""
    return max(math.ceil(int(ms) / 1000), 1)
