"""Durable timers: what must happen later lives in Redis, not in memory or a sleeping task.

A timer is an id, a due time and a JSON payload. ``claim`` moves due timers atomically (Lua)
from the due set into a claimed set with a lease, so with many engines each timer is handed
to exactly one of them. The claimer runs it and calls ``complete``; a claimer that died
leaves its lease to expire, and ``redrive`` (the auditor) puts the timer back to be claimed
again — the work a timer triggers must therefore be idempotent per timer id (escalation
marks each page before sending it). A timer id fires at most once: completion leaves a
tombstone and ``schedule`` ignores an id that is pending, claimed or fired, so a re-driven
step that schedules its successor again does not schedule it twice.

All keys share the ``{timers}`` hash tag (one cluster slot) so each script is atomic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from warner.core import Clock
from warner.store import keys
from warner.store.values import as_text

if TYPE_CHECKING:
    from redis.typing import EncodableT

    from warner.store.connection import RedisClient

FIRED_RETENTION = 7 * 86400

_SCHEDULE = """
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 1
"""

_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i = 1, #due, 2 do
  local id = due[i]
  redis.call('ZREM', KEYS[1], id)
  local payload = redis.call('HGET', KEYS[2], id)
  if payload then
    redis.call('ZADD', KEYS[3], ARGV[2], id)
    local attempt = redis.call('HINCRBY', KEYS[4], id, 1)
    table.insert(out, id)
    table.insert(out, due[i + 1])
    table.insert(out, payload)
    table.insert(out, attempt)
  end
end
return out
"""

_COMPLETE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[1])
return 1
"""

_CANCEL = """
local n = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[5], id)
    redis.call('ZADD', KEYS[4], ARGV[1], id)
    redis.call('SREM', KEYS[3], id)
    n = n + 1
  end
end
return n
"""

_REDRIVE = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], ARGV[1], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
return #expired
"""


@dataclass(frozen=True, slots=True)
class Timer:
    id: str
    due: float
    owner: str
    payload: dict[str, Any]
    attempt: int  # 1 = first claim; more = re-driven after a lease expired


@dataclass(frozen=True, slots=True)
class TimerStats:
    """Metric-ready figures for the auditor and /metrics."""

    due: int  # pending timers
    overdue: int  # pending and due more than ``grace`` ago: nobody is running them
    claimed: int
    expired_claims: int  # leases past expiry, waiting for ``redrive``
    heartbeat_age: float | None  # seconds since the last loop pass; None = never ran


class TimerStore:
    def __init__(self, redis: RedisClient, clock: Clock, *, lease: float = 120.0) -> None:
        self.redis = redis
        self.clock = clock
        self.lease = lease
        self._schedule = redis.register_script(_SCHEDULE)
        self._claim = redis.register_script(_CLAIM)
        self._complete = redis.register_script(_COMPLETE)
        self._cancel = redis.register_script(_CANCEL)
        self._redrive = redis.register_script(_REDRIVE)

    async def schedule(self, timer_id: str, due: float, owner: str, payload: dict[str, Any]) -> bool:
        """Add a timer; False if that id is already pending, claimed or has fired."""
        body = orjson.dumps({"owner": owner, "payload": payload})
        args: list[EncodableT] = [timer_id, repr(float(due)), body]
        done = await self._schedule(
            keys=[keys.TIMERS_DUE, keys.TIMERS_PAYLOAD, keys.TIMERS_FIRED, keys.timers_of(owner)], args=args
        )
        return bool(done)

    async def claim(self, limit: int = 50) -> list[Timer]:
        """Take up to ``limit`` due timers for this caller alone, leased for ``lease`` seconds."""
        now = self.clock.now()
        raw = await self._claim(
            keys=[keys.TIMERS_DUE, keys.TIMERS_PAYLOAD, keys.TIMERS_CLAIMED, keys.TIMERS_ATTEMPTS],
            args=[repr(now), repr(now + self.lease), limit],
        )
        out = []
        for i in range(0, len(raw), 4):
            body = orjson.loads(raw[i + 2])
            out.append(Timer(as_text(raw[i]), float(raw[i + 1]), body["owner"], body["payload"], int(raw[i + 3])))
        return out

    async def complete(self, timer: Timer) -> None:
        """The timer's work is done: forget it, and remember that it fired."""
        await self._complete(
            keys=[
                keys.TIMERS_CLAIMED,
                keys.TIMERS_PAYLOAD,
                keys.TIMERS_ATTEMPTS,
                keys.TIMERS_FIRED,
                keys.timers_of(timer.owner),
            ],
            args=[timer.id, repr(self.clock.now())],
        )

    async def cancel_owner(self, owner: str) -> int:
        """Drop every pending timer of ``owner``; claimed ones finish (their work checks staleness)."""
        return int(
            await self._cancel(
                keys=[
                    keys.TIMERS_DUE,
                    keys.TIMERS_PAYLOAD,
                    keys.timers_of(owner),
                    keys.TIMERS_FIRED,
                    keys.TIMERS_ATTEMPTS,
                ],
                args=[repr(self.clock.now())],
            )
        )

    async def redrive(self, limit: int = 100) -> int:
        """Auditor: timers whose claimer died (lease expired) become due again now."""
        now = self.clock.now()
        return int(
            await self._redrive(
                keys=[keys.TIMERS_CLAIMED, keys.TIMERS_DUE, keys.TIMERS_FIRED],
                args=[repr(now), limit, repr(now - FIRED_RETENTION)],
            )
        )

    async def pending(self, owner: str) -> list[tuple[str, float]]:
        """Pending (not claimed) timers of ``owner``, soonest first."""
        ids = await self.redis.smembers(keys.timers_of(owner))
        out = []
        for raw in ids:
            score = await self.redis.zscore(keys.TIMERS_DUE, raw)
            if score is not None:
                out.append((as_text(raw), float(score)))
        return sorted(out, key=lambda t: t[1])

    async def next_due(self) -> float | None:
        first = await self.redis.zrange(keys.TIMERS_DUE, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def beat(self) -> None:
        await self.redis.set(keys.TIMERS_HEARTBEAT, repr(self.clock.now()))

    async def stats(self, grace: float = 60.0) -> TimerStats:
        now = self.clock.now()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(keys.TIMERS_DUE)
            pipe.zcount(keys.TIMERS_DUE, "-inf", now - grace)
            pipe.zcard(keys.TIMERS_CLAIMED)
            pipe.zcount(keys.TIMERS_CLAIMED, "-inf", now)
            pipe.get(keys.TIMERS_HEARTBEAT)
            due, overdue, claimed, expired, beat = await pipe.execute()
        return TimerStats(due, overdue, claimed, expired, None if beat is None else now - float(beat))

