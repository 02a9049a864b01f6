"""What a weekly digest says, as plain data: computed by ``figures.py``, shown by ``report.py``/``chart.py``.

All times are epoch seconds (UTC); the week is an ISO week in the digest's time zone
(Monday 00:00 to the next Monday 00:00 local time). Durations are seconds; ``None`` means
"no data" (e.g. no incident was acknowledged), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    id: str  # "kesselberg:3"
    brand: str
    severity: str  # highest reached: info | warning | critical
    started_at: int
    off_hours: bool  # started at night, on a weekend or a public holiday (on-call off-hours)
    state: str  # open | acknowledged | snoozed | resolved | false_alarm
    mtta_s: float | None  # acknowledged - opened
    mttr_s: float | None  # resolved - opened (None for a false alarm or while unresolved)
    pages: int  # delivery attempts that reached someone
    playbooks: tuple[str, ...] = ()  # playbooks whose drafts were chosen


@dataclass(frozen=True, slots=True)
class HourPoint:
    start: int  # epoch of the hour
    mentions: int
    negatives: int


@dataclass(frozen=True, slots=True)
class BrandWeek:
    brand: str
    label: str
    mentions: int
    negatives: int
    previous_mentions: int  # the week before
    previous_negatives: int
    hourly: tuple[HourPoint, ...]  # every hour of the week, zeros included (168, or 167/169 at DST)
    negative_terms: tuple[tuple[str, int], ...]  # most frequent terms in negative mentions, top 10

    @property
    def negative_share(self) -> float | None:
        return self.negatives / self.mentions if self.mentions else None

    @property
    def previous_negative_share(self) -> float | None:
        return self.previous_negatives / self.previous_mentions if self.previous_mentions else None


@dataclass(frozen=True, slots=True)
class Percentiles:
    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class WeekFigures:
    week: str  # ISO week, "2026-W47"
    time_zone: str
    start: int  # Monday 00:00 local, as epoch
    end: int  # next Monday 00:00 local, as epoch
    incidents: tuple[IncidentSummary, ...]
    brands: tuple[BrandWeek, ...]
    mtta: Percentiles
    mttr: Percentiles
    pages_by_channel: dict[str, int] = field(default_factory=dict)  # successful deliveries
    failures_by_channel: dict[str, int] = field(default_factory=dict)  # failed delivery attempts
    undeliverable: int = 0  # pages that reached nobody on any channel
    playbooks_used: dict[str, int] = field(default_factory=dict)

    @property
    def by_brand_and_severity(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for i in self.incidents:
            out.setdefault(i.brand, {}).setdefault(i.severity, 0)
            out[i.brand][i.severity] += 1
        return out

    @property
    def off_hours_incidents(self) -> int:
        return sum(1 for i in self.incidents if i.off_hours)

    @property
    def false_alarm_rate(self) -> float | None:
        """False alarms among incidents someone has judged (resolved or false alarm)."""
        judged = [i for i in self.incidents if i.state in ("resolved", "false_alarm")]
        return sum(1 for i in judged if i.state == "false_alarm") / len(judged) if judged else None
