"""Numeric codes a person texts back to acknowledge an incident ("OK 482193").

A code must not be guessable from outside, so it is

- **long**: 6 random digits (a million values; 7 or 8 only if 6-digit codes run short),
  drawn with ``secrets``; the reply webhooks add a lockout after a few wrong ones;
- **personal**: it only works from the number of the person it was issued to;
- **single-use**: claiming it deletes it;
- **short-lived**: it is retired with its page — when the incident is acknowledged or
  resolved through any channel (``retire``) — and a TTL that every page refreshes is the
  backstop. Reminders and escalations repeat the person's live code.

A used or retired code leaves a tombstone for a day, so its person hears "already resolved"
instead of silence, and the same code is not issued again meanwhile. The tombstone only
answers the person the code was issued to: for anyone else it is a wrong code like any other.

Keys (all under ``{acks}``, see ``store/keys.py``): ``code:<code>`` (incident, person),
``issued:<incident>:<person>`` (the live code), ``incident:<incident>`` (code -> person, to
retire them together), ``used:<code>`` (tombstone).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from warner.store.keys import ack_code as ack_code_key
from warner.store.keys import ack_incident_codes as ack_incident_codes_key
from warner.store.keys import ack_issued as ack_issued_key
from warner.store.keys import ack_used as ack_used_key
from warner.store.values import as_text

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

__all__ = [
    "CODE_DIGITS",
    "AckCodes",
    "Claim",
    "ack_code_key",
    "ack_incident_codes_key",
    "ack_issued_key",
    "ack_used_key",
]

CODE_DIGITS = 6
MAX_DIGITS = 8

# The live code of (incident, person) if its code key still names them (TTLs refreshed), else
# claim the candidate unless a live code or a tombstone holds it. ARGV[5] is the "issued" value
# the caller read (to name the existing code's key): if it changed meanwhile, the caller retries.
_ISSUE = """
local existing = redis.call('GET', KEYS[3])
if (existing or '') ~= ARGV[5] then
  return {'retry'}
end
local ttl = tonumber(ARGV[4])
if existing then
  local held = redis.call('HMGET', KEYS[5], 'incident', 'person')
  if held[1] == ARGV[1] and held[2] == ARGV[2] then
    redis.call('EXPIRE', KEYS[5], ttl)
    redis.call('EXPIRE', KEYS[3], ttl)
    redis.call('EXPIRE', KEYS[4], ttl)
    return {'existing', existing}
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return {'taken'}
end
redis.call('HSET', KEYS[1], 'incident', ARGV[1], 'person', ARGV[2])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[3], ARGV[3], 'EX', ttl)
redis.call('HSET', KEYS[4], ARGV[3], ARGV[2])
redis.call('EXPIRE', KEYS[4], ttl)
return {'new', ARGV[3]}
"""

# A live code sent by its person is consumed (tombstone "used"); a tombstoned one is reported
# to its person; anything else — unknown code, someone else's, unknown sender — is "wrong".
_CLAIM = """
if ARGV[1] ~= '' then
  local live = redis.call('HMGET', KEYS[1], 'incident', 'person')
  if live[2] == ARGV[1] then
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[2], 'incident', live[1], 'person', ARGV[1], 'reason', 'used')
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
    return {'claimed', live[1], 'used'}
  end
  local past = redis.call('HMGET', KEYS[2], 'incident', 'person', 'reason')
  if past[2] == ARGV[1] then
    return {'closed', past[1], past[3]}
  end
end
return {'wrong'}
"""

# Retire one code of an incident: a live code becomes a tombstone with the reason; the
# person's "issued" marker goes if it still points at this code.
_RETIRE = """
local live = redis.call('HMGET', KEYS[1], 'incident', 'person')
if live[1] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'incident', ARGV[1], 'person', live[2], 'reason', ARGV[3])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
end
if redis.call('GET', KEYS[3]) == ARGV[2] then
  redis.call('DEL', KEYS[3])
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Claim:
    """What a code sent by a person turned out to be.

    ``claimed``: it was live and theirs — now used up. ``closed``: it was theirs, but was
    already used or retired (``reason``: used, acknowledged, resolved, false_alarm).
    ``wrong``: anything else; deliberately one outcome, so answers cannot tell them apart.
    """

    outcome: Literal["claimed", "closed", "wrong"]
    incident_id: str | None = None
    reason: str | None = None


class AckCodes:
    """Issue, claim and retire ack codes in Redis."""

    def __init__(
        self,
        redis: RedisClient,
        *,
        ttl: timedelta = timedelta(hours=24),
        tombstone_ttl: timedelta = timedelta(hours=24),
        digits: int = CODE_DIGITS,
        draw: Callable[[int], int] = secrets.randbelow,
    ) -> None:
        if not CODE_DIGITS <= digits <= MAX_DIGITS:
            raise ValueError(f"ack codes have {CODE_DIGITS} to {MAX_DIGITS} digits")
        self._redis = redis
        self._ttl = max(int(ttl.total_seconds()), 1)
        self._tombstone_ttl = max(int(tombstone_ttl.total_seconds()), 1)
        self._digits = digits
        self._draw = draw  # a CSPRNG; injectable only so a test can force collisions
        self._issue = redis.register_script(_ISSUE)
        self._claim = redis.register_script(_CLAIM)
        self._retire = redis.register_script(_RETIRE)

    async def issue(self, incident_id: str, person: str) -> str:
        """The person's code for the incident: the live one (TTL refreshed) or a new one."""
        issued = ack_issued_key(incident_id, person)
        index = ack_incident_codes_key(incident_id)
        taken = 0
        for _ in range(100):
            existing = as_text(await self._redis.get(issued) or "")
            digits = min(self._digits + taken // 10, MAX_DIGITS)
            candidate = f"{self._draw(10**digits):0{digits}d}"
            current = ack_code_key(existing) if existing else ack_code_key(candidate)
            result = await self._issue(
                keys=[ack_code_key(candidate), ack_used_key(candidate), issued, index, current],
                args=[incident_id, person, candidate, self._ttl, existing],
            )
            outcome = as_text(result[0])
            if outcome in ("existing", "new"):
                return as_text(result[1])
            if outcome == "taken":
                taken += 1  # candidate held by another page or a tombstone: draw again, longer after 10
        raise RuntimeError("no free ack code after 100 tries: are codes piling up without a TTL?")

    async def claim(self, code: str, person: str | None) -> Claim:
        """Use ``code`` as sent by ``person`` (None: the sender is nobody we know)."""
        code = code.strip()
        result = await self._claim(
            keys=[ack_code_key(code), ack_used_key(code)], args=[person or "", self._tombstone_ttl]
        )
        outcome = as_text(result[0])
        if outcome == "wrong":
            return Claim("wrong")
        return Claim(outcome, as_text(result[1]), as_text(result[2]))  # type: ignore[arg-type]  # _CLAIM answers wrong, claimed or closed

    async def retire(self, incident_id: str, reason: str) -> int:
        """Retire every live code of the incident (its page is over); how many were listed."""
        index = ack_incident_codes_key(incident_id)
        entries = {as_text(k): as_text(v) for k, v in (await self._redis.hgetall(index)).items()}
        for code, person in entries.items():
            await self._retire(
                keys=[ack_code_key(code), ack_used_key(code), ack_issued_key(incident_id, person)],
                args=[incident_id, code, reason, self._tombstone_ttl],
            )
        if entries:
            await self._redis.hdel(index, *entries)
        return len(entries)

