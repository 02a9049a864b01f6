"""Judge the detector on a synthetic scenario: did it page, how soon, and did it page wrongly?

A scenario (``warner.scenarios``) says what should happen: a storm must open an episode
soon after its onset, a wave of praise may at most be ``info``, a quiet week must stay
silent. This runs the service's detector exactly as ``warner detect --mentions`` does and
measures the outcome, for the scenario tests and ``bench/detect_eval.py``.

A **page** is an episode that reaches ``warning`` or ``critical`` (``info`` is logged, not
sent). Time to first alert is counted from the onset to the close of the bucket that
opened the episode — the earliest moment the service could have known.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from warner.config.root import Config
from warner.core import LEVELS, Severity
from warner.detect.config import DetectConfig
from warner.detect.offline import detect_mentions
from warner.mention import Mention
from warner.scenarios import Scenario
from warner.scenarios.scenario import EVENT
from warner.scoring.base import Scorer

SUDDEN = timedelta(hours=2)  # from onset to half the peak: a storm, not a slow burn
STORM_BUCKET = timedelta(minutes=5)  # the "within 2 buckets", at the evaluation's buckets


@dataclass(frozen=True, slots=True)
class JudgedEpisode:
    start: datetime  # start of the bucket that opened it
    alerted: datetime  # when that bucket closed: the earliest possible page
    severity: Severity  # the highest it reached
    first_severity: Severity
    in_event: bool  # opened between the onset and the end of the event
    paged: datetime | None = None  # close of the bucket that first made it a warning or critical

    @property
    def pages(self) -> bool:
        return self.severity != "info"


@dataclass(frozen=True, slots=True)
class Verdict:
    scenario: str
    bucket: timedelta
    episodes: list[JudgedEpisode]
    onset: datetime | None
    expect_alert: bool
    max_severity: Severity | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_alert(self) -> JudgedEpisode | None:
        return next((e for e in self.episodes if e.in_event), None)

    @property
    def time_to_alert(self) -> timedelta | None:
        first = self.first_alert
        return first.alerted - self.onset if first and self.onset else None

    @property
    def buckets_to_alert(self) -> int | None:
        """Buckets from the one holding the onset to the one that opened the episode."""
        first = self.first_alert
        if first is None or self.onset is None:
            return None
        width = self.bucket.total_seconds()
        onset_bucket = self.onset.timestamp() // width
        return int(first.start.timestamp() // width - onset_bucket)

    @property
    def time_to_page(self) -> timedelta | None:
        """From the onset to the first page of an episode that was open during the event."""
        if self.onset is None:
            return None
        pages = [e.paged for e in self.episodes if e.paged is not None and e.paged > self.onset]
        return min(pages) - self.onset if pages else None

    @property
    def false_pages(self) -> int:
        return sum(1 for e in self.episodes if e.pages and not e.in_event)

    @property
    def highest(self) -> Severity | None:
        return max((e.severity for e in self.episodes), key=LEVELS.index, default=None)


def judge(
    scenario: Scenario,
    bucket: timedelta = timedelta(minutes=1),
    settings: DetectConfig | None = None,
    scorer: Scorer | None = None,
) -> Verdict:
    """Run the detector over the scenario and compare with what the scenario expects."""
    config = Config(brands=scenario.brand_configs(), bucket=bucket, detect=settings or DetectConfig())
    mentions = [Mention.model_validate(r) for r in scenario.mentions]
    decisions = detect_mentions(mentions, bucket, config, config.detect, scorer).get(scenario.brand, [])
    judged_from = scenario.judged_from.timestamp()
    event_from = scenario.onset.timestamp() if scenario.onset else None
    event_to = (scenario.event_end or scenario.end).timestamp() if scenario.onset else None
    width = int(bucket.total_seconds())

    first: dict[int, tuple[int, Severity]] = {}
    highest: dict[int, Severity] = {}
    paged: dict[int, int] = {}
    for d in decisions:
        if d.episode is None:
            continue
        number = d.episode.number
        first.setdefault(number, (d.episode.start, d.episode.severity))
        highest[number] = d.episode.severity
        if d.episode.severity != "info":
            paged.setdefault(number, d.start + width)
    episodes = []
    for number, (start, first_severity) in sorted(first.items()):
        if start < judged_from:
            continue
        in_event = event_from is not None and event_to is not None and event_from - width < start <= event_to
        episodes.append(
            JudgedEpisode(
                datetime.fromtimestamp(start, UTC),
                datetime.fromtimestamp(start + width, UTC),
                highest[number],
                first_severity,
                in_event,
                datetime.fromtimestamp(paged[number], UTC) if number in paged else None,
            )
        )
    verdict = Verdict(scenario.name, bucket, episodes, scenario.onset, scenario.expect_alert, scenario.max_severity)
    problems = verdict.problems
    if scenario.expect_alert and verdict.first_alert is None:
        problems.append("no episode opened during the event")
    if scenario.max_severity is None and episodes:
        problems.append(f"{len(episodes)} episode(s) where none should open")
    elif (
        scenario.max_severity is not None
        and verdict.highest is not None
        and LEVELS.index(verdict.highest) > LEVELS.index(scenario.max_severity)
    ):
        problems.append(f"severity {verdict.highest} above the allowed {scenario.max_severity}")
    if verdict.false_pages:
        problems.append(f"{verdict.false_pages} page(s) outside the event")
    if scenario.deadline is not None and scenario.onset is not None:
        to_page = verdict.time_to_page
        if to_page is None:
            problems.append("nobody was paged")
        elif to_page > scenario.deadline:
            problems.append(
                f"paged {to_page.total_seconds() / 60:.0f} min after the onset, allowed {scenario.deadline}"
            )
    deadline = alert_deadline(scenario, bucket) if scenario.deadline is None else None
    first_alert = verdict.first_alert
    if scenario.expect_alert and first_alert is not None and deadline is not None and first_alert.alerted > deadline:
        late = (first_alert.alerted - deadline).total_seconds() / 60
        problems.append(f"first alert {late:.0f} min after the deadline {deadline:%Y-%m-%d %H:%M} UTC")
    return verdict


def alert_deadline(scenario: Scenario, bucket: timedelta) -> datetime | None:
    """By when a storm must have paged.

    A sudden storm (half its peak hourly volume within two hours of the onset) must page
    within two 5-minute buckets after the bucket holding the onset — at finer buckets, by
    the same moment: minimum evidence, not bucket width, is what it takes to be sure. A
    slow burn has no such moment; it must page before it reaches half its peak volume,
    while there is still time to get ahead of it.
    """
    if scenario.onset is None:
        return None
    times = sorted(
        datetime.fromisoformat(r["created_at"]).timestamp()
        for r in scenario.mentions
        if scenario.kinds.get(r["id"]) == EVENT
    )
    if not times:
        return None
    hourly = [bisect.bisect_right(times, t) - bisect.bisect_left(times, t - 3600) for t in times]
    half = next(t for t, n in zip(times, hourly, strict=True) if n >= max(hourly) / 2)
    onset = scenario.onset.timestamp()
    if half - onset > SUDDEN.total_seconds():
        return datetime.fromtimestamp(half, UTC)
    width = max(bucket, STORM_BUCKET).total_seconds()
    return datetime.fromtimestamp(onset - onset % width + 3 * width, UTC)
