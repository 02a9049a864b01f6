"""Incidents in Redis: one hash and one timeline per incident, an index across brands.

``apply`` turns the detector's decisions for one brand into incident writes, queued on a
transaction the caller also uses to save the detector state — so after a crash either both
the state and the incident moved forward or neither did, and a timeline event is never
written twice. All of it lives under the brand's hash tag; only the cross-brand index is
written separately (idempotent ``ZADD``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson
import redis.asyncio as aioredis

from warner.detect.detector import Decision, Episode
from warner.incidents.model import EventKind, Incident, IncidentEvent, TopMention
from warner.store import keys

TOP_MENTIONS = 5

_KINDS: dict[str, EventKind] = {"start": "opened", "escalate": "escalated", "subside": "subsiding", "end": "closed"}


class IncidentStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def get(self, brand: str, number: int) -> Incident | None:
        raw = await self.redis.get(keys.incident(brand, number))
        return Incident.from_json(orjson.loads(raw)) if raw else None

    async def timeline(self, brand: str, number: int) -> list[dict[str, Any]]:
        return [orjson.loads(e) for e in await self.redis.lrange(keys.incident_timeline(brand, number), 0, -1)]

    async def note(self, incident_id: str, entry: dict[str, Any]) -> None:
        """Append ``entry`` (a JSON object with ``kind`` and ``at``) to the incident's timeline."""
        brand, _, number = incident_id.rpartition(":")
        await self.redis.rpush(keys.incident_timeline(brand, int(number)), orjson.dumps(entry))

    async def recent_mentions(self, brand: str, since: float, limit: int | None = None) -> list[TopMention]:
        """The brand's mentions since ``since``, oldest first, as the detect stage keeps them (hours deep)."""
        paging = {"start": 0, "num": limit} if limit is not None else {}
        members = await self.redis.zrangebyscore(keys.recent_mentions(brand), since, "+inf", **paging)
        return [TopMention(**orjson.loads(m)) for m in members]

    async def recent(self, limit: int = 50) -> list[Incident]:
        """Newest incidents across brands."""
        ids = await self.redis.zrevrange(keys.INCIDENT_INDEX, 0, limit - 1)
        out = []
        for raw_id in ids:
            brand, _, number = raw_id.decode().rpartition(":")
            incident = await self.get(brand, int(number))
            if incident:
                out.append(incident)
        return out

    def apply(
        self,
        pipe: aioredis.client.Pipeline,
        brand: str,
        decisions: Sequence[Decision],
        current: Incident | None,
        top: list[TopMention],
    ) -> tuple[Incident | None, list[IncidentEvent]]:
        """Queue the writes for ``decisions`` on ``pipe``; returns the incident and its events.

        ``current`` is the incident of the brand's latest episode before these decisions.
        """
        incident = current
        events: list[IncidentEvent] = []
        for d in decisions:
            ep = d.episode
            if ep is None:
                continue
            if incident is None or incident.number != ep.number:
                incident = Incident(brand, ep.number, "open", ep.severity, ep.start, d.start)
            kind: EventKind | None = _KINDS[d.event] if d.event else None
            if incident.status == "closed" and d.active:
                kind = "reopened"
            _sync(incident, ep, d.start)
            incident.status = "closed" if not d.active else "subsiding" if ep.subsiding else "open"
            incident.ended_at = d.start if not d.active else None
            if kind is not None:
                incident.top = _merge_top(incident.top, top, incident.started_at)
                events.append(IncidentEvent(kind, d.start, replace(incident, top=list(incident.top))))
        if incident is None or not any(d.episode for d in decisions):
            return current, []
        incident.top = _merge_top(incident.top, top, incident.started_at)
        pipe.set(keys.incident(brand, incident.number), orjson.dumps(incident.to_json()))
        for e in events:
            pipe.rpush(keys.incident_timeline(brand, incident.number), orjson.dumps(_timeline_entry(e)))
        return incident, events

    async def index(self, incident: Incident) -> None:
        await self.redis.zadd(keys.INCIDENT_INDEX, {incident.id: incident.started_at})


def _sync(incident: Incident, ep: Episode, at: int) -> None:
    incident.severity = ep.severity
    incident.updated_at = at
    incident.peak_at, incident.peak_count = ep.peak_bucket, ep.peak_count
    incident.mentions, incident.expected = ep.mentions, ep.expected
    incident.negatives, incident.toxic, incident.reach = ep.negatives, ep.toxic, ep.reach
    incident.peak_score = ep.peak_score


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


def _merge_top(old: list[TopMention], new: list[TopMention], since: int) -> list[TopMention]:
    by_key = {m.key: m for m in old}
    for m in new:
        if m.created_at >= since:
            by_key[m.key] = m
    return sorted(by_key.values(), key=lambda m: (-m.reach, m.created_at))[:TOP_MENTIONS]
