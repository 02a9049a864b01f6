"""Per-brand, per-bucket counters that count a re-delivered mention exactly once.

One Lua call per (brand, bucket) adds each mention's key to the bucket's ``seen`` set and
increments the counters only for keys that were new — in one atomic step, so a worker
killed at any point leaves either both or neither. Inside, Redis is asked with variadic
commands (SMISMEMBER, SADD, ZMSCORE, ZADD GT; Redis 6.2) a thousand mentions at a time:
a ``redis.call`` per mention cost more than all the counting.

``authors`` counts *fresh* authors: accounts not heard from on this brand in the hour
before. A storm brings hundreds of new voices; a bot flood is the same dozen accounts
again and again, which per-bucket distinct counts cannot see with one-minute buckets.

The words of each *newly counted* negative mention (``terms.py``) are added to the
brand's term counts of the mention's ISO week (``keys.negative_terms``) in the same Lua
call, so a re-delivered mention adds its words as rarely as it adds to the counters: once.
The week is that of the mention's bucket, in ``terms_time_zone`` (the digest's zone).

Mentions that name no brand (``keys.NO_BRAND``, shown as "unmatched") are counted (the
score stage leaves them unscored), but neither their words nor their authors are kept: only
a brand's terms reach the digest and only a brand's detector asks for fresh authors. At a
third of a busy stream, keeping them cost more Redis time than all the brands' terms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, cast

import orjson

from warner.mention import MAX_FOLLOWERS
from warner.metrics import Metrics
from warner.pipeline import Envelope
from warner.store import keys
from warner.store.scripts import run_script_calls
from warner.terms import brand_words, terms
from warner.weeks import DEFAULT_TIME_ZONE, week_of

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

AUTHOR_MEMORY_S = 3600  # an author is fresh again after an hour of silence
TERMS_RETENTION = timedelta(weeks=10)  # a digest may look back this far for negative terms

# All or nothing: every argument is checked before the first write (a Lua error half way
# would leave the keys added so far counted and the rest lost), and sums are written with
# %d — redis.call turns a Lua number into text with 14 significant digits ("1e+15"), which
# HINCRBY refuses.
COUNT_SCRIPT = """
local ttl, epoch, memory = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local max_reach, people = tonumber(ARGV[6]), ARGV[7] == '1'
local batch = cjson.decode(ARGV[5])
for i, m in ipairs(batch) do
  local r = m[4]
  if type(m[1]) ~= 'string' or type(m[5]) ~= 'string' or type(m[6]) ~= 'string'
     or type(r) ~= 'number' or r < 0 or r > max_reach or r ~= math.floor(r) then
    return redis.error_reply('count: bad mention ' .. i .. ' (key, reach 0..' .. ARGV[6] .. ', author, words)')
  end
end
-- Variadic commands in chunks (unpack has a limit): one call per thousand mentions, not per mention.
local function each_chunk(list, size, fn)
  for first = 1, #list, size do
    local chunk = {}
    for i = first, math.min(first + size - 1, #list) do chunk[#chunk + 1] = list[i] end
    fn(chunk, first)
  end
end
-- New: not in the bucket's seen set, and not earlier in this batch.
local keys, new, in_batch = {}, {}, {}
for i, m in ipairs(batch) do keys[i] = m[1] end
each_chunk(keys, 1000, function(chunk, first)
  local member = redis.call('SMISMEMBER', KEYS[2], unpack(chunk))
  for j = 1, #chunk do
    local m = batch[first + j - 1]
    if member[j] == 0 and not in_batch[m[1]] then in_batch[m[1]] = true; new[#new + 1] = m end
  end
end)
local neg, tox, reach, negreach, authors, termed = 0, 0, 0, 0, 0, {}
local new_keys, voices, heard = {}, {}, {}
for i, m in ipairs(new) do
  local negative, toxic, r, author, words = m[2], m[3], m[4], m[5], m[6]
  new_keys[i] = m[1]
  reach = reach + r
  if negative == 1 then neg = neg + 1; negreach = negreach + r end
  if toxic == 1 then tox = tox + 1 end
  if people and not heard[author] then heard[author] = true; voices[#voices + 1] = author end
  for term in string.gmatch(words, '%S+') do termed[term] = (termed[term] or 0) + 1 end
end
each_chunk(new_keys, 1000, function(chunk) redis.call('SADD', KEYS[2], unpack(chunk)) end)
-- Fresh authors: not heard from on this brand within ``memory`` before this bucket.
local since = epoch - memory
each_chunk(voices, 1000, function(chunk)
  local last = redis.call('ZMSCORE', KEYS[5], unpack(chunk))
  local fresh = {}
  for j = 1, #chunk do
    if not last[j] or tonumber(last[j]) < since then fresh[#fresh + 1] = chunk[j] end
  end
  if #fresh > 0 then authors = authors + redis.call('SADD', KEYS[4], unpack(fresh)) end
  local pairs_ = {}
  for j = 1, #chunk do pairs_[2 * j - 1] = epoch; pairs_[2 * j] = chunk[j] end
  redis.call('ZADD', KEYS[5], 'GT', unpack(pairs_))
end)
local anyterm = false
for term, n in pairs(termed) do redis.call('ZINCRBY', KEYS[6], n, term); anyterm = true end
if anyterm then redis.call('EXPIRE', KEYS[6], ARGV[4]) end
local added = #new
if added > 0 then
  redis.call('HINCRBY', KEYS[1], 'mentions', added)
  redis.call('HINCRBY', KEYS[1], 'negatives', neg)
  redis.call('HINCRBY', KEYS[1], 'toxic', tox)
  redis.call('HINCRBY', KEYS[1], 'reach', string.format('%d', reach))
  redis.call('HINCRBY', KEYS[1], 'neg_reach', string.format('%d', negreach))
  redis.call('HINCRBY', KEYS[1], 'authors', authors)
  redis.call('ZADD', KEYS[3], epoch, epoch)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', epoch - ttl)
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', epoch - memory)
  redis.call('EXPIRE', KEYS[5], ttl)
end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[4], ttl)
return added
"""


@dataclass(frozen=True, slots=True)
class BucketCounts:
    """The counters of one brand in one bucket."""

    brand: str
    start: int  # epoch seconds, UTC
    mentions: int = 0
    negatives: int = 0
    toxic: int = 0
    reach: int = 0
    neg_reach: int = 0
    authors: int = 0  # fresh authors: not heard from on this brand in the hour before (see AUTHOR_MEMORY)


class BucketCounter:
    """Reads and writes bucket counters (and the weekly negative-term counts) in Redis.

    ``brand_names`` maps a brand to its name and aliases, whose words are left out of its
    negative terms; ``terms_time_zone`` is the zone whose ISO weeks the term counts follow.
    """

    def __init__(
        self,
        redis: RedisClient,
        width: timedelta,
        retention: timedelta,
        *,
        brand_names: Mapping[str, Iterable[str]] | None = None,
        terms_time_zone: str = DEFAULT_TIME_ZONE,
        terms_retention: timedelta = TERMS_RETENTION,
    ) -> None:
        self.redis = redis
        self.width_s = int(width.total_seconds())
        self.ttl = int(retention.total_seconds())
        self.terms_ttl = int(terms_retention.total_seconds())
        self.terms_time_zone = terms_time_zone
        self._exclude = {brand: brand_words(names) for brand, names in (brand_names or {}).items()}
        self._weeks: dict[int, str] = {}
        self._count = redis.register_script(COUNT_SCRIPT)

    def _week(self, epoch: int) -> str:
        week = self._weeks.get(epoch)
        if week is None:
            if len(self._weeks) > 10_000:
                self._weeks.clear()
            week = self._weeks[epoch] = week_of(epoch, self.terms_time_zone)
        return week

    async def add(self, batch: Sequence[Envelope]) -> dict[str, int]:
        """Count the batch; returns newly counted mentions per brand."""
        groups: dict[tuple[str, int], list[tuple[str, int, int, int, str, str]]] = defaultdict(list)
        for e in batch:
            score = e.score
            negative = score is not None and score.sentiment == "negative"
            toxic = score is not None and score.offensive
            brand = e.brand or keys.NO_BRAND
            author = e.mention.author or f"~{e.mention.key}"
            kept = negative and e.brand is not None  # an unmatched mention's words are not kept (module docstring)
            words = " ".join(terms(e.mention.text, self._exclude.get(brand, frozenset()))) if kept else ""
            groups[(brand, e.created_s - e.created_s % self.width_s)].append(
                (e.mention.key, int(negative), int(toxic), min(e.mention.reach, MAX_FOLLOWERS), author, words)
            )
        if not groups:
            return {}
        calls = [
            (
                [
                    keys.bucket(brand, epoch),
                    keys.bucket_seen(brand, epoch),
                    keys.bucket_index(brand),
                    keys.bucket_authors(brand, epoch),
                    keys.recent_authors(brand),
                    keys.negative_terms(brand, self._week(epoch)),
                ],
                # One JSON argument per group: redis-py packs every argument in Python, which
                # cost more than the Lua itself at thousands of mentions a second.
                [self.ttl, epoch, AUTHOR_MEMORY_S, self.terms_ttl, orjson.dumps(mentions), MAX_FOLLOWERS,
                 int(brand != keys.NO_BRAND)],
            )
            for (brand, epoch), mentions in groups.items()
        ]
        # One pipeline on one server; on a cluster one call per brand's slot (store/scripts.py).
        results = await run_script_calls(self.redis, self._count, calls)
        added: dict[str, int] = defaultdict(int)
        for (brand, _), n in zip(groups, results, strict=True):
            added[brand] += int(n)
        return dict(added)

    async def read(self, brand: str, start: int | None = None, end: int | None = None) -> list[BucketCounts]:
        """Buckets of a brand with any mentions, oldest first, optionally within [start, end]."""
        # Without scores the reply is the members (bytes); redis-py's type covers every form of the reply.
        epochs = cast(
            "list[bytes]",
            await self.redis.zrangebyscore(
                keys.bucket_index(brand), "-inf" if start is None else start, "+inf" if end is None else end
            ),
        )
        if not epochs:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for epoch in epochs:
                pipe.hgetall(keys.bucket(brand, int(epoch)))
            rows = await pipe.execute()
        return [
            BucketCounts(brand, int(epoch), **{k.decode(): int(v) for k, v in row.items()})
            for epoch, row in zip(epochs, rows, strict=True)
            if row
        ]

    async def negative_terms(
        self, brand: str, week: str, top: int = 10, exclude: frozenset[str] = frozenset()
    ) -> list[tuple[str, int]]:
        """The ``top`` most frequent words in the brand's negative mentions of ``week``, most frequent first
        (ties alphabetically), leaving out ``exclude``."""
        # With scores the reply is (member, score) pairs; redis-py's type covers every form of the reply.
        rows = cast(
            "list[tuple[bytes | str, float]]",
            await self.redis.zrevrangebyscore(
                keys.negative_terms(brand, week), "+inf", 1, start=0, num=3 * top + len(exclude), withscores=True
            ),
        )
        found = [(w.decode() if isinstance(w, bytes) else w, int(n)) for w, n in rows]
        return sorted(((w, n) for w, n in found if w not in exclude), key=lambda t: (-t[1], t[0]))[:top]


class CountStage:
    name = "count"

    def __init__(self, counter: BucketCounter, metrics: Metrics | None = None) -> None:
        self.counter = counter
        self.metrics = metrics

    async def process(self, batch: Sequence[Envelope]) -> None:
        added = await self.counter.add(batch)
        if self.metrics:
            for brand, n in added.items():
                self.metrics.counted.labels(brand).inc(n)
