"""Lockout of SMS reply senders after a few wrong codes, shared by every API process.

Codes are six digits; without a limit, a gateway (or anyone holding its token) could walk
them. Two counters per reply, in Redis so every process sees them:

- the **sender number** (normalised E.164), counted whether or not it belongs to anyone, so
  a lockout never tells which numbers are on call;
- the **client address** (``request.remote``: the gateway, or the proxy in front of warner;
  ``X-Forwarded-For`` is not trusted), so rotating numbers does not help either.

Each reply *reserves* an attempt before its code is checked — atomically, for both counters —
so a burst of concurrent guesses cannot slip past the limit: the first ``max_wrong`` are
checked, the rest are refused. A right code gives its attempt back (and clears the number's
count); a wrong one keeps it. When a counter reaches ``max_wrong`` wrong codes within the
window, it stays locked for ``lockout`` from that last wrong code; while locked, even the
right code is refused, so a lockout says nothing about any code.

Counters are keyed by a SHA-256 prefix of the number or address, never the number itself.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from warner.store.keys import sms_reply_failures

log = structlog.get_logger(__name__)

MAX_WRONG = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

# KEYS: the number's and the client's counters. Locked (with the longest remaining lock, ms)
# if either already holds max_wrong attempts; else count this attempt on both.
_RESERVE = """
local max = tonumber(ARGV[1])
local locked, wait = false, 0
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= max then
    local left = redis.call('PTTL', KEYS[i])
    if left < 0 then
      redis.call('PEXPIRE', KEYS[i], ARGV[3])
      left = tonumber(ARGV[3])
    end
    locked, wait = true, math.max(wait, left)
  end
end
if locked then
  return {0, wait}
end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  end
end
return {1, 0}
"""

# The reserved attempt was a wrong code: it stays counted; a counter that reached max_wrong is
# locked for the lockout from now. Returns which counters locked just now (1/0 each).
_WRONG = """
local max = tonumber(ARGV[1])
local locked = {}
for i = 1, 2 do
  locked[i] = 0
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= max then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    locked[i] = 1
  end
end
return locked
"""

# The reserved attempt had the right code: the number's count starts afresh (its owner proved
# it), the client's attempt is given back.
_RIGHT = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Locked:
    """Too many wrong codes from this number or client; try again after ``retry_after`` seconds."""

    retry_after: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """One reserved attempt: report whether its code was right."""

    lockout: ReplyLockout
    keys: tuple[str, str]
    sender_hint: str  # masked number, for the log
    client: str

    async def right(self) -> None:
        await self.lockout._right(keys=list(self.keys))

    async def wrong(self) -> None:
        by_number, by_client = await self.lockout._wrong(
            keys=list(self.keys), args=[self.lockout.max_wrong, self.lockout.lockout_ms]
        )
        for scope, locked in (("number", by_number), ("client", by_client)):
            if int(locked):
                log.warning(
                    "sms_reply_locked",
                    scope=scope,
                    sender=self.sender_hint,
                    client=self.client,
                    wrong_codes=self.lockout.max_wrong,
                    lockout_s=self.lockout.lockout_ms // 1000,
                )


class ReplyLockout:
    """Per-number and per-client counters of wrong reply codes (see the module docstring)."""

    def __init__(
        self,
        redis: Any,
        *,
        max_wrong: int = MAX_WRONG,
        window: timedelta = WINDOW,
        lockout: timedelta = LOCKOUT,
    ) -> None:
        if max_wrong < 1:
            raise ValueError("max_wrong must be at least 1")
        self.max_wrong = max_wrong
        self.window_ms = max(int(window.total_seconds() * 1000), 1)
        self.lockout_ms = max(int(lockout.total_seconds() * 1000), 1)
        self._reserve = redis.register_script(_RESERVE)
        self._wrong = redis.register_script(_WRONG)
        self._right = redis.register_script(_RIGHT)

    async def reserve(self, sender: str, client: str) -> Attempt | Locked:
        """Count an attempt from ``sender`` (normalised number) via ``client``, or refuse it."""
        client = client or "unknown"
        keys = (sms_reply_failures("phone", _digest(sender)), sms_reply_failures("client", _digest(client)))
        allowed, wait_ms = await self._reserve(keys=list(keys), args=[self.max_wrong, self.window_ms, self.lockout_ms])
        if not int(allowed):
            return Locked(max(math.ceil(int(wait_ms) / 1000), 1))
        return Attempt(self, keys, mask_phone(sender), client)


def mask_phone(number: str) -> str:
    """'+4915112345678' → '***678': enough to tell people apart in a log, not to call them."""
    return "***" + number[-3:] if len(number) > 6 else "***"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]
