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

Counters are keyed by a SHA-256 prefix of the number or address, never the number itself. The
counting itself is ``warner.store.failures``, which the console's passwords use too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from warner.store.failures import FailureCounters, Locked, Reserved
from warner.store.keys import sms_reply_failures

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

MAX_WRONG = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

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
    reserved: Reserved

    @property
    def client_locked(self) -> Locked | None:
        return self.reserved.second_locked

    @property
    def counted(self) -> list[str]:
        """The counters this attempt was counted on: the number's, and the client's unless it was locked."""
        return self.reserved.keys

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
        self.counters = FailureCounters(redis, max_wrong=max_wrong, window=window, lockout=lockout)

    async def reserve(self, sender: str, client: str) -> Attempt | Locked:
        """Count an attempt from ``sender`` (normalised number) via ``client``, or refuse it.

        ``Locked`` only when the number is locked; a locked client yields an ``Attempt`` with
        ``client_locked`` set, so the reply is still checked for the number's own code.
        """
        client = client or "unknown"
        number_key = sms_reply_failures("phone", _digest(sender))
        client_key = sms_reply_failures("client", _digest(client))
        reserved = await self.counters.reserve(number_key, client_key)
        if isinstance(reserved, Locked):
            return reserved
        return Attempt(self, number_key, client_key, mask_phone(sender), client, reserved)

    async def record_right(self, attempt: Attempt) -> None:
        """The attempt's code was right: clear the number's count, give the client's attempt back."""
        await self.counters.right(attempt.reserved)

    async def record_wrong(self, attempt: Attempt) -> None:
        """The attempt's code was wrong: it stays counted; lock what reached ``max_wrong``."""
        locked = await self.counters.wrong(attempt.reserved)
        for key, now_locked in zip(attempt.counted, locked, strict=True):
            if now_locked:
                log.warning(
                    "sms_reply_locked",
                    scope="number" if key == attempt.number_key else "client",
                    sender=attempt.sender_hint,
                    client=attempt.client,
                    wrong_codes=self.counters.max_wrong,
                    lockout_s=self.counters.lockout_ms // 1000,
                )


def mask_phone(number: str) -> str:
    """'+4915112345678' → '***678': enough to tell people apart in a log, not to call them."""
    return "***" + number[-3:] if len(number) > 6 else "***"



def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
