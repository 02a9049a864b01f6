"""Incidents in Redis: one hash and one timeline per incident, an index across brands.

The detect stage queues an incident's writes (``queue_writes``) on the transaction that also
saves the detector state (``detect/incident_writes.py`` turns decisions into them). All of it
lives under the brand's hash tag; only the cross-brand index is written separately
(idempotent ``ZADD``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import orjson

from warner.incidents.model import Incident, IncidentEvent, TopMention
from warner.store import keys
from warner.store.tolerant import StateUnreadable

if TYPE_CHECKING:
    from warner.store.connection import RedisClient, RedisPipeline

TOP_MENTIONS = 5
DRAFT_LEAD_S = 3600  # drafts read the posts from an hour before the incident began
DRAFT_TEXTS = 300


class IncidentStore:
    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis

    async def get(self, brand: str, number: int) -> Incident | None:
        key = keys.incident(brand, number)
        raw = await self.redis.get(key)
        if not raw:
            return None
        try:
            return Incident.from_json(orjson.loads(raw))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # not JSON, or not a shape of ours
            raise StateUnreadable(f"incident {brand}:{number}", key, exc) from exc

    async def timeline(self, brand: str, number: int) -> list[dict[str, Any]]:
        return [orjson.loads(e) for e in await self.redis.lrange(keys.incident_timeline(brand, number), 0, -1)]

    async def note(self, incident_id: str, entry: dict[str, Any]) -> None:
        """Append ``entry`` (a JSON object with ``kind`` and ``at``) to the incident's timeline."""
        brand, _, number = incident_id.rpartition(":")
        await self.redis.rpush(keys.incident_timeline(brand, int(number)), orjson.dumps(entry))

    async def recent_mentions(self, brand: str, since: float, limit: int | None = None) -> list[TopMention]:
        """The brand's mentions since ``since``, oldest first, as the detect stage keeps them (hours deep)."""
        members = cast(  # without scores: the members (bytes); redis-py's type covers every form of the reply
            "list[bytes]",
            await self.redis.zrangebyscore(
                keys.recent_mentions(brand), since, "+inf", start=None if limit is None else 0, num=limit
            ),
        )
        return [TopMention.from_json(orjson.loads(m)) for m in members]

    async def texts_to_answer(self, incident: Incident) -> list[str]:
        """What the drafts of ``incident`` are matched against: the brand's posts from an hour before it began
        (at most ``DRAFT_TEXTS``), else its top mentions. The same for the bot, the console and the demo."""
        recent = await self.recent_mentions(incident.brand, incident.started_at - DRAFT_LEAD_S, limit=DRAFT_TEXTS)
        return [m.text for m in recent or incident.top]

    async def recent(self, limit: int = 50) -> list[Incident]:
        """Newest incidents across brands."""
        ids = cast("list[bytes]", await self.redis.zrevrange(keys.INCIDENT_INDEX, 0, limit - 1))  # members, as above
        out = []
        for raw_id in ids:
            brand, _, number = raw_id.decode().rpartition(":")
            incident = await self.get(brand, int(number))
            if incident:
                out.append(incident)
        return out

    @staticmethod
    def queue_writes(pipe: RedisPipeline, incident: Incident, events: Sequence[IncidentEvent]) -> None:
        """Queue the incident's JSON and its new timeline entries on ``pipe`` (the caller's transaction)."""
        pipe.set(keys.incident(incident.brand, incident.number), orjson.dumps(incident.to_json()))
        for e in events:
            pipe.rpush(keys.incident_timeline(incident.brand, incident.number), orjson.dumps(_timeline_entry(e)))

    async def index(self, incident: Incident) -> None:
        await self.redis.zadd(keys.INCIDENT_INDEX, {incident.id: incident.started_at})


def _timeline_entry(e: IncidentEvent) -> dict[str, Any]:
    i = e.incident
    return {
        "kind": e.kind,
        "at": e.at,
        "severity": i.severity,
        "mentions": i.mentions,
        "expected": round(i.expected, 1),
        "negatives": i.negatives,
        "peak_count": i.peak_count,
    }


def merge_top(old: list[TopMention], new: list[TopMention], since: int) -> list[TopMention]:
    by_key = {m.key: m for m in old}
    for m in new:
        if m.created_at >= since:
            by_key[m.key] = m
    return sorted(by_key.values(), key=lambda m: (-m.reach, m.created_at))[:TOP_MENTIONS]
