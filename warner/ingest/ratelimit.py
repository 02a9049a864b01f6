"""Per-source rate limits, kept in Redis so that they hold across every API process.

Each limit is a GCRA (generic cell rate algorithm, the token bucket as one timestamp): the
"theoretical arrival time" of the source's next unit moves ``cost / per_second`` ahead with
every admitted request, and a request fits while that time stays within ``burst / per_second``
of now. A source may have two: ``mentions`` (a request costs its number of mentions) and
``requests`` (it costs one). One small Lua script checks both and updates both only if both fit,
so a refused request takes nothing; it is one EVALSHA per request, never per mention.

Why not the ``limits`` package: its strategies are window counters, not a bucket with a burst;
checking two limits would be two round trips that cannot refuse all-or-nothing; and it builds
its own connection from a URL rather than using warner's client (embedded Redis on a socket).

"Now" comes from the API's injected clock, not Redis' ``TIME``, so tests control time; API
processes on several hosts need clocks synchronised to well under a second (NTP). The state is
kept a second longer than it matters (until the bucket is full again): its expiry runs on Redis'
clock, and a state that vanished before "now" caught up with it would give a fresh burst.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warner.ingest.config import IngestSettings
from warner.store import keys

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

# KEYS[1]: the source's hash. ARGV[1]: now (µs); ARGV[2]: "1" for a dry run (check, store
# nothing); then per limit: field, interval (µs a unit), burst (units), cost (units). Returns
# {"", 0} if admitted (and, unless dry, stored), else {field of the limit that is furthest
# over, µs until the request would fit}. The arithmetic is relative to
# now ("ahead"): absolute µs since 1970 leave a double only a quarter µs of resolution.
_ADMIT = """
local now = tonumber(ARGV[1])
local updates, refused, wait, horizon = {}, '', 0, 0
for i = 3, #ARGV, 4 do
  local field = ARGV[i]
  local interval, burst, cost = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local ahead = (tonumber(redis.call('HGET', KEYS[1], field)) or now) - now
  if ahead < 0 then ahead = 0 end
  local next_ahead = ahead + cost * interval
  local excess = next_ahead - burst * interval
  if excess > 0 then
    if excess > wait then refused, wait = field, excess end
  else
    updates[#updates + 1] = field
    updates[#updates + 1] = string.format('%.17g', now + next_ahead)
    if next_ahead > horizon then horizon = next_ahead end
  end
end
if refused ~= '' then return {refused, math.min(math.ceil(wait), 1e15)} end
if ARGV[2] == '1' then return {'', 0} end
redis.call('HSET', KEYS[1], unpack(updates))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.min(math.ceil(horizon / 1000) + 1000, 1e12)))
return {'', 0}
"""


@dataclass(frozen=True, slots=True)
class Rate:
    """One limit of a source: ``per_second`` sustained, ``burst`` at once, counted in ``unit``s."""

    unit: str  # "mentions" or "requests": the field in Redis and the name in the 429
    per_second: float
    burst: int

    def describe(self) -> str:
        return f"{self.per_second:g} {self.unit}/s (burst {self.burst})"


@dataclass(frozen=True, slots=True)
class RateLimited:
    """Why a request was refused, and when the same request would fit."""

    source: str
    rate: Rate
    retry_after: int  # whole seconds, at least 1

    @property
    def message(self) -> str:
        return (
            f"rate limit of source {self.source!r} exceeded: {self.rate.describe()}; "
            f"nothing was accepted, retry in {self.retry_after} s"
        )


def source_rates(config: IngestSettings) -> dict[str, tuple[Rate, ...]]:
    """The limits of every source that has any. A default burst is one second's worth, and a
    mention burst is never below ``max_mentions_per_request`` (else a full request could never fit)."""
    largest = config.ingest.max_mentions_per_request
    out: dict[str, tuple[Rate, ...]] = {}
    for source in config.ingest.sources:
        limit = source.rate_limit
        if limit is None:
            continue
        rates = []
        if (per_second := limit.mentions_per_second) is not None:
            rates.append(Rate("mentions", per_second, limit.mentions_burst or max(math.ceil(per_second), largest)))
        if (per_second := limit.requests_per_second) is not None:
            rates.append(Rate("requests", per_second, limit.requests_burst or max(1, math.ceil(per_second))))
        out[source.name] = tuple(rates)
    return out


class RateLimiter:
    """Admits or refuses a source's request against its limits, in one Redis round trip."""

    __slots__ = ("_admit", "_rates")

    def __init__(self, redis: RedisClient, rates: Mapping[str, tuple[Rate, ...]]) -> None:
        self._rates = dict(rates)
        self._admit = redis.register_script(_ADMIT)

    async def admit(self, source: str, mentions: int, now_ms: int) -> RateLimited | None:
        """None if the request fits every limit of its source (and is counted), else why not."""
        return await self._run(source, mentions, now_ms, dry=False)

    async def exhausted(self, source: str, now_ms: int) -> RateLimited | None:
        """Why the source could not send even one mention now, or None; counts nothing.

        Asked before the body is parsed, so a source over its limit costs no JSON decoding
        and no validation; ``admit`` counts the real request afterwards.
        """
        return await self._run(source, 1, now_ms, dry=True)

    async def _run(self, source: str, mentions: int, now_ms: int, *, dry: bool) -> RateLimited | None:
        rates = self._rates.get(source)
        if not rates:
            return None
        args: list[str | int | float] = [now_ms * 1000, 1 if dry else 0]
        for rate in rates:
            interval = 1_000_000 / rate.per_second
            args += [rate.unit, repr(interval), rate.burst, mentions if rate.unit == "mentions" else 1]
        field, wait_us = await self._admit(keys=[keys.rate_limit(source)], args=args)
        if not field:
            return None
        unit = field.decode() if isinstance(field, bytes) else field
        rate = next(r for r in rates if r.unit == unit)
        return RateLimited(source, rate, max(1, math.ceil(int(wait_us) / 1_000_000)))
