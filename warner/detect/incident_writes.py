"""The detector's decisions for one brand as incident changes: open, escalate, subside, close, reopen.

Kept in the detect stage, not in ``incidents/``, because it reads the detector's types: the
incidents package knows incidents, not how a detector decides. The writes are queued on the
transaction that also saves the detector state — so after a crash either both the state and the
incident moved forward or neither did, and a timeline event is never written twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from warner.detect.detector import Decision, Episode
from warner.incidents.model import EventKind, Incident, IncidentEvent, TopMention
from warner.incidents.store import IncidentStore, merge_top

if TYPE_CHECKING:
    from warner.store.connection import RedisPipeline

_KINDS: dict[str, EventKind] = {"start": "opened", "escalate": "escalated", "subside": "subsiding", "end": "closed"}


def queue_incident_writes(
    pipe: RedisPipeline,
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
            incident.top = merge_top(incident.top, top, incident.started_at)
            events.append(IncidentEvent(kind, d.start, replace(incident, top=list(incident.top))))
    if incident is None or not any(d.episode for d in decisions):
        return current, []
    incident.top = merge_top(incident.top, top, incident.started_at)
    IncidentStore.queue_writes(pipe, incident, events)
    return incident, events


def _sync(incident: Incident, ep: Episode, at: int) -> None:
    incident.severity = ep.severity
    incident.updated_at = at
    incident.peak_at, incident.peak_count = ep.peak_bucket, ep.peak_count
    incident.mentions, incident.expected = ep.mentions, ep.expected
    incident.negatives, incident.toxic, incident.reach = ep.negatives, ep.toxic, ep.reach
    incident.peak_score = ep.peak_score
