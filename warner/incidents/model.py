"""An incident: one brand storm as people see it — opened, growing, subsiding, closed.

The detector thinks in episodes and buckets; an incident is what the on-call person gets:
the numbers that matter on a phone at night (how loud against normal, how negative, how far
it reaches, the posts driving it) and a timeline of what happened when.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from warner.core import Severity
from warner.store.tolerant import known_fields

Status = Literal["open", "subsiding", "closed"]
EventKind = Literal["opened", "escalated", "subsiding", "closed", "reopened"]


@dataclass(slots=True)
class TopMention:
    """One of the posts driving the storm (highest reach first)."""

    key: str
    text: str
    created_at: int
    reach: int
    author: str | None = None
    url: str | None = None
    sentiment: str | None = None
    lang: str | None = None  # the scorer's: de, en or other (None for mentions kept before it was stored)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TopMention:
        return cls(**known_fields(cls, data))


@dataclass(slots=True)
class Incident:
    brand: str
    number: int
    status: Status
    severity: Severity
    started_at: int  # epoch s of the bucket that opened it
    updated_at: int
    ended_at: int | None = None
    peak_at: int = 0
    peak_count: int = 0
    mentions: int = 0
    expected: float = 0.0
    negatives: int = 0
    toxic: int = 0
    reach: int = 0
    peak_score: float = 0.0
    top: list[TopMention] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.brand}:{self.number}"

    @property
    def volume_ratio(self) -> float:
        """Mentions during the incident against what the baseline expected."""
        return self.mentions / max(self.expected, 1.0)

    @property
    def negative_share(self) -> float:
        return self.negatives / self.mentions if self.mentions else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Incident:
        """An incident saved by this or another version: unknown fields are dropped, missing ones default."""
        d = known_fields(cls, data)
        d["top"] = [TopMention.from_json(t) for t in d.get("top", [])]
        return cls(**d)


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """A change worth telling someone about; what escalation and notification consume."""

    kind: EventKind
    at: int  # epoch s (bucket time, not wall clock: replays stay reproducible)
    incident: Incident

    def describe(self) -> str:
        i = self.incident
        when = datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"{i.id} {self.kind} at {when}: severity {i.severity}, {i.mentions} mentions "
            f"({i.volume_ratio:.1f}x normal), {i.negative_share:.0%} negative"
        )
