"""Short numeric codes a person texts back to acknowledge an incident ("OK 4821").

One code per (incident, person), kept in Redis with a TTL that every new page refreshes,
so reminders and escalations repeat the same code. A code only works for the person it
was issued to: the reply's sender number has to map to that person.

Keys (hash tag ``{acks}``; to move into ``store/keys.py``):

====================================  ======  ==========================================
warner:{acks}:code:<code>             hash    incident, person of an active code
warner:{acks}:issued:<incident>:<p>   string  the code issued to person p for an incident
====================================  ======  ==========================================
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from warner.store.keys import ack_code as ack_code_key
from warner.store.keys import ack_issued as ack_issued_key


class UnknownAckCode(LookupError):
    """No active code like that (mistyped, expired, never issued)."""


class AckCodeNotYours(PermissionError):
    """The code exists but was issued to someone else."""


# Atomically: the code already issued for (incident, person), else claim the candidate if
# no other page holds it (nil: draw another), keyed both ways, with the TTL.
_ISSUE = """
local existing = redis.call('GET', KEYS[2])
if existing then
  return existing
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return false
end
redis.call('HSET', KEYS[1], 'incident', ARGV[1], 'person', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return ARGV[3]
"""


class AckCodes:
    """Issue and resolve ack codes of 4 digits (5 or 6 when 4-digit codes run short)."""

    def __init__(self, redis: Any, *, ttl: timedelta = timedelta(days=3), digits: int = 4) -> None:
        if not 4 <= digits <= 6:
            raise ValueError("ack codes have 4 to 6 digits")
        self._redis = redis
        self._ttl = max(int(ttl.total_seconds()), 1)
        self._digits = digits
        self._issue = redis.register_script(_ISSUE)

    async def issue(self, incident_id: str, person: str) -> str:
        """The person's code for the incident: the active one (TTL refreshed) or a new one."""
        issued = ack_issued_key(incident_id, person)
        for attempt in range(30):
            digits = min(self._digits + attempt // 10, 6)
            candidate = f"{secrets.randbelow(10**digits):0{digits}d}"
            code = await self._issue(
                keys=[ack_code_key(candidate), issued], args=[incident_id, person, candidate, self._ttl]
            )
            if code is None:
                continue  # candidate taken by another page: draw again
            code = _text(code)
            if code != candidate:  # already issued: the same code again, for longer
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.expire(issued, self._ttl)
                    pipe.expire(ack_code_key(code), self._ttl)
                    await pipe.execute()
            return code
        raise RuntimeError("no free ack code after 30 tries: are codes piling up without a TTL?")

    async def resolve(self, code: str, person: str) -> str:
        """The incident ``code`` acknowledges when ``person`` sends it.

        Raises ``UnknownAckCode`` or ``AckCodeNotYours``.
        """
        entry = await self._redis.hgetall(ack_code_key(code.strip()))
        if not entry:
            raise UnknownAckCode(code)
        entry = {_text(k): _text(v) for k, v in entry.items()}
        if entry.get("person") != person:
            raise AckCodeNotYours(code)
        return entry["incident"]


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
