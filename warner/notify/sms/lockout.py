"""Lockout of SMS reply senders after a few wrong codes, shared by every API process.

Codes are six digits, and a code only ever works from the number it was issued to, so walking
one person's codes means sending them all from that person's number. Two counters per reply,
in Redis so every process sees them:

- the **sender number** (normalised E.164), counted whether or not it belongs to anyone, so
  a lockout never tells which numbers are on call. This is the lock that stops guessing: while
  it holds, every reply from the number is refused, even the right code, so a lockout says
  nothing about any code;
- the **client address** (``request.remote``: the gateway, or the proxy in front of warner;
  ``X-Forwarded-For`` is not trusted). On the Twilio route, and behind a proxy, that is the
  same address for everybody, so this lock must never keep a real person out: while it holds
  (and the number's does not), a reply is still checked — the right code for the sender's
  number works; a wrong one gets the same "locked" answer a locked number gets and still
  counts against the number. Strangers' wrong codes therefore cannot switch off anyone's
  acknowledgements.

Each reply *reserves* an attempt before its code is checked — atomically, for both counters —
so a burst of concurrent guesses from one number cannot slip past the limit: the first
``max_wrong`` are checked, the rest are refused. A right code gives its attempt back (and
clears the number's count); a wrong one keeps it. When a counter reaches ``max_wrong`` wrong
codes within the window, it stays locked for ``lockout`` from that last wrong code. Replies
checked while only the client is locked count against the number alone, so they neither
extend nor end the client's lock.

Counters are keyed by a SHA-256 prefix of the number or address, never the number itself.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from warner.store.keys import sms_reply_failures

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

MAX_WRONG = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

# KEYS: the number's and the client's counters. ARGV: max_wrong, window ms, lockout ms.
# A number holding max_wrong attempts is locked: {0, its remaining lock in ms}. Otherwise the
# attempt is counted on the number, and on the client unless that is locked: {1, 0}, or
# {2, the client's remaining lock in ms} when the client is locked (the attempt is still checked).
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
local number_left = locked_for(KEYS[1])
if number_left then
  return {0, number_left}
end
if redis.call('INCR', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local client_left = locked_for(KEYS[2])
if client_left then
  return {2, client_left}
end
if redis.call('INCR', KEYS[2]) == 1 then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return {1, 0}
"""

# The reserved attempt was a wrong code: it stays counted; a counter that reached max_wrong is
# locked for the lockout from now. KEYS: the counters the attempt was counted on (the number's,
# and the client's unless it was locked). Returns which counters locked just now (1/0 each).
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

# The reserved attempt had the right code: the number's count starts afresh (its owner proved
# it); the client's attempt, if it was counted (KEYS[2] given), is given back.
_RIGHT = """
redis.call('DEL', KEYS[1])
if #KEYS > 1 and tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Locked:
    """Too many wrong codes; try again after ``retry_after`` seconds."""

    retry_after: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """One reserved attempt, to be checked: report whether its code was right.

    ``client_locked`` is set when the client (gateway, proxy) is locked but the number is not:
    the right code still works, and a wrong one must be answered exactly like ``client_locked``.
    """

    lockout: ReplyLockout
    number_key: str
    client_key: str
    sender_hint: str  # masked number, for the log
    client: str
    client_locked: Locked | None = None

    @property
    def counted(self) -> list[str]:
        """The counters this attempt was counted on: the number's, and the client's unless it was locked."""
        return [self.number_key] if self.client_locked else [self.number_key, self.client_key]

    async def right(self) -> None:
        await self.lockout.record_right(self)

    async def wrong(self) -> None:
        await self.lockout.record_wrong(self)


class ReplyLockout:
    """Per-number and per-client counters of wrong reply codes (see the module docstring)."""

    def __init__(
        self,
        redis: RedisClient,
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
        self._reserve_script = redis.register_script(_RESERVE)
        self._wrong_script = redis.register_script(_WRONG)
        self._right_script = redis.register_script(_RIGHT)

    async def reserve(self, sender: str, client: str) -> Attempt | Locked:
        """Count an attempt from ``sender`` (normalised number) via ``client``, or refuse it.

        ``Locked`` only when the number is locked; a locked client yields an ``Attempt`` with
        ``client_locked`` set, so the reply is still checked for the number's own code.
        """
        client = client or "unknown"
        number_key = sms_reply_failures("phone", _digest(sender))
        client_key = sms_reply_failures("client", _digest(client))
        outcome, wait_ms = await self._reserve_script(
            keys=[number_key, client_key], args=[self.max_wrong, self.window_ms, self.lockout_ms]
        )
        if int(outcome) == 0:
            return Locked(_seconds(wait_ms))
        client_locked = Locked(_seconds(wait_ms)) if int(outcome) == 2 else None
        return Attempt(self, number_key, client_key, mask_phone(sender), client, client_locked)

    async def record_right(self, attempt: Attempt) -> None:
        """The attempt's code was right: clear the number's count, give the client's attempt back."""
        await self._right_script(keys=attempt.counted)

    async def record_wrong(self, attempt: Attempt) -> None:
        """The attempt's code was wrong: it stays counted; lock what reached ``max_wrong``."""
        counted = attempt.counted
        locked = await self._wrong_script(keys=counted, args=[self.max_wrong, self.lockout_ms])
        for key, now_locked in zip(counted, locked, strict=True):
            if int(now_locked):
                log.warning(
                    "sms_reply_locked",
                    scope="number" if key == attempt.number_key else "client",
                    sender=attempt.sender_hint,
                    client=attempt.client,
                    wrong_codes=self.max_wrong,
                    lockout_s=self.lockout_ms // 1000,
                )


def mask_phone(number: str) -> str:
    """'+4915112345678' → '***678': enough to tell people apart in a log, not to call them."""
    return "***" + number[-3:] if len(number) > 6 else "***"


def _seconds(ms: int | bytes) -> int:
    return max(math.ceil(int(ms) / 1000), 1)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
