"""The mention stream: atomic, deduplicated appends and exactly-once acknowledgement.

Both sides are Lua scripts so that each is one atomic step in Redis:

* ``append`` checks the backlog, skips (source, id) pairs already seen, XADDs the rest and
  sets their dedupe markers — all of a request or none of it.
* ``ack`` XACKs and XDELs processed entries together, so the stream length *is* the backlog
  and the stream never grows beyond what is unprocessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from redis.exceptions import ResponseError

from warner.store import keys
from warner.store.values import as_text

if TYPE_CHECKING:
    from redis.typing import XPendingRangeEntry

    from warner.store.connection import RedisClient

# redis-py types stream replies for both protocols and both ``decode_responses`` settings; warner's
# clients speak RESP2 and return bytes (``connection.connect``). An entry is (id, fields); XREADGROUP
# gives (None, None) for an entry deleted while pending, XRANGE never does.
_Entry = tuple[bytes, dict[bytes, bytes]]

_APPEND = """
local backlog = redis.call('XLEN', KEYS[1])
if backlog >= tonumber(ARGV[2]) then
  return {-1, backlog}
end
local accepted, duplicates = 0, 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'PX', ARGV[1], 'NX') then
    redis.call('XADD', KEYS[1], '*', 'm', ARGV[i + 2], 't', ARGV[3])
    accepted = accepted + 1
  else
    duplicates = duplicates + 1
  end
end
return {accepted, duplicates}
"""

_ACK = """
local n, chunk = 0, {}
for id in string.gmatch(ARGV[2], '%S+') do
  chunk[#chunk + 1] = id
  if #chunk == 500 then
    n = n + redis.call('XACK', KEYS[1], ARGV[1], unpack(chunk))
    redis.call('XDEL', KEYS[1], unpack(chunk))
    chunk = {}
  end
end
if #chunk > 0 then
  n = n + redis.call('XACK', KEYS[1], ARGV[1], unpack(chunk))
  redis.call('XDEL', KEYS[1], unpack(chunk))
end
return n
"""


@dataclass(frozen=True, slots=True)
class AppendResult:
    accepted: int
    duplicates: int
    backlog_full: bool = False
    backlog: int = 0


class StreamEntry(NamedTuple):
    """One entry as read (a tuple: a frozen dataclass cost a microsecond a mention to make)."""

    entry_id: str
    payload: bytes
    received_ms: int


class MentionStream:
    """The ingest side and the consumer side of the mention stream."""

    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis
        self._append = redis.register_script(_APPEND)
        self._ack = redis.register_script(_ACK)
        # XREADGROUP's reply as Redis sends it: redis-py would turn every entry's fields into a
        # dict in Python, a tenth of a busy worker's time; ``read`` picks the two fields itself.
        # Only this class reads with XREADGROUP, so the client's other commands are unaffected.
        redis.set_response_callback("XREADGROUP", _as_sent)

    async def append(
        self,
        items: Sequence[tuple[str, bytes]],
        *,
        received_ms: int,
        dedupe_ttl_ms: int,
        max_backlog: int,
    ) -> AppendResult:
        """Append ``(dedupe_key, payload)`` pairs atomically; returns counts, or backlog_full."""
        if not items:
            return AppendResult(0, 0)
        key_list = [keys.MENTION_STREAM, *(k for k, _ in items)]
        args: list[int | bytes] = [dedupe_ttl_ms, max_backlog, received_ms, *(p for _, p in items)]
        first, second = await self._append(keys=key_list, args=args)
        if first == -1:
            return AppendResult(0, 0, backlog_full=True, backlog=int(second))
        return AppendResult(int(first), int(second))

    async def backlog(self) -> int:
        return int(await self.redis.xlen(keys.MENTION_STREAM))

    async def oldest_received_s(self) -> int | None:
        """When the oldest entry still in the stream was accepted (epoch s), None if empty.

        Acknowledged entries are deleted, so this is the oldest mention not yet processed; an
        entry id's first part is the acceptance time in ms.
        """
        oldest = cast("list[_Entry] | None", await self.redis.xrange(keys.MENTION_STREAM, count=1))
        return int(as_text(oldest[0][0]).split("-", 1)[0]) // 1000 if oldest else None

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(keys.MENTION_STREAM, keys.WORKER_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, consumer: str, count: int, block_ms: int) -> list[StreamEntry]:
        """New entries for this consumer (XREADGROUP ... >)."""
        reply = await self.redis.xreadgroup(
            keys.WORKER_GROUP, consumer, {keys.MENTION_STREAM: ">"}, count=count, block=block_ms
        )
        if not reply:
            return []
        # RESP2 sends [[stream, entries]], RESP3 {stream: entries}; an entry is [id, [field, value, ...]].
        raw = cast("Any", reply)  # redis-py types the reply as parsed; the callback above keeps it as sent
        entries: list[tuple[bytes | None, list[bytes] | None]] = (
            next(iter(raw.values())) if isinstance(raw, dict) else raw[0][1]
        )
        return [_sent_entry(eid, fields) for eid, fields in entries if eid is not None and fields]

    async def claim_idle(self, consumer: str, min_idle_ms: int, count: int) -> list[StreamEntry]:
        """Take over entries a dead consumer left pending (XAUTOCLAIM, Redis 6.2 and 7.x)."""
        reply = await self.redis.xautoclaim(
            keys.MENTION_STREAM, keys.WORKER_GROUP, consumer, min_idle_time=min_idle_ms, start_id="0-0", count=count
        )
        claimed = reply[1]  # 6.2 returns [next, entries], 7.x adds deleted ids
        return [_entry(eid, fields) for eid, fields in claimed if fields]

    async def over_delivered(self, min_idle_ms: int, max_deliveries: int, count: int) -> list[str]:
        """Ids of idle pending entries delivered at least ``max_deliveries`` times."""
        pending = await self.redis.xpending_range(
            keys.MENTION_STREAM, keys.WORKER_GROUP, min="-", max="+", count=count, idle=min_idle_ms
        )
        return [as_text(eid) for eid, times in map(_pending, pending) if times >= max_deliveries]

    async def forget_idle_consumers(self, idle_ms: int, keep: str) -> list[str]:
        """Remove consumers that hold no entries and were idle for ``idle_ms`` (dead processes)."""
        removed = []
        for info in await self.redis.xinfo_consumers(keys.MENTION_STREAM, keys.WORKER_GROUP):
            name = as_text(info["name"])
            if name != keep and int(info["pending"]) == 0 and int(info["idle"]) >= idle_ms:
                await self.redis.xgroup_delconsumer(keys.MENTION_STREAM, keys.WORKER_GROUP, name)
                removed.append(name)
        return removed

    async def ack(self, entry_ids: Sequence[str]) -> int:
        """Acknowledge and delete processed entries; returns how many were still pending."""
        if not entry_ids:
            return 0
        # The ids travel as one space-separated argument: redis-py packs each argument in Python.
        # The group is an argument, not a key: as a key it would hash to another cluster slot (CROSSSLOT).
        return int(await self._ack(keys=[keys.MENTION_STREAM], args=[keys.WORKER_GROUP, " ".join(entry_ids)]))

    async def dead_letter(self, entry_ids: Sequence[str], reason: str) -> int:
        """Move entries to the dead-letter stream (kept for inspection and re-drive), then ack."""
        moved = 0
        for entry_id in entry_ids:
            found = cast(
                "list[_Entry] | None", await self.redis.xrange(keys.MENTION_STREAM, min=entry_id, max=entry_id)
            )
            if found:
                fields = found[0][1]
                await self.redis.xadd(
                    keys.DEAD_LETTER_STREAM,
                    {b"m": fields.get(b"m", b""), b"t": fields.get(b"t", b"0"), b"reason": reason, b"id": entry_id},
                )
                moved += 1
        await self.ack(entry_ids)
        return moved



def _pending(entry: XPendingRangeEntry) -> tuple[bytes, int]:
    """(id, times delivered) of an XPENDING entry; redis-py types each field as bytes | str | int."""
    return cast(bytes, entry["message_id"]), cast(int, entry["times_delivered"])


def _as_sent(response: object, **_options: object) -> object:
    return response


def _sent_entry(entry_id: bytes, fields: list[bytes]) -> StreamEntry:
    """An entry from XREADGROUP's reply as sent: ``[b"m", payload, b"t", received ms]`` as ``append`` wrote it."""
    if len(fields) == 4 and fields[0] == b"m" and fields[2] == b"t":
        return StreamEntry(entry_id.decode(), fields[1], int(fields[3]))
    return _entry(entry_id, dict(zip(fields[::2], fields[1::2], strict=True)))


def _entry(entry_id: bytes | str, fields: dict[bytes, bytes]) -> StreamEntry:
    return StreamEntry(as_text(entry_id), fields.get(b"m", b""), int(fields.get(b"t", b"0")))
