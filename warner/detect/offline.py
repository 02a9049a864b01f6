"""Run the service's detector over a file: ``warner detect --counts`` / ``--mentions``.

Same ``Detector``, same ``DetectConfig`` defaults, fed one bucket at a time in order, so
what this prints is what the service would have paged — and truncating the input at T
cannot change a line (an episode's start or a later rise of its severity) from before T.
"""

from __future__ import annotations

import csv
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from warner.detect.config import DetectConfig, DetectSettings
from warner.detect.counters import AUTHOR_MEMORY_S
from warner.detect.detector import Decision, Detector, Observation

if TYPE_CHECKING:
    from warner.mention import Mention
    from warner.scoring.base import Scorer

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class CountsError(ValueError):
    """The counts file does not follow the ``timestamp,value`` contract."""


@dataclass(frozen=True, slots=True)
class EpisodeStart:
    start: int
    severity: str
    score: float
    brand: str | None = None

    def as_json(self) -> dict[str, object]:
        return _line({"start": _text(self.start)}, self.severity, self.score, self.brand)


@dataclass(frozen=True, slots=True)
class SeverityChange:
    """An open episode's severity rose: at ``at`` (bucket start), to ``severity``.

    ``score`` is the episode's severity index then (not the evidence score of a start).
    """

    at: int
    start: int  # the episode's first start, also after a resume
    severity: str
    score: float
    brand: str | None = None

    def as_json(self) -> dict[str, object]:
        return _line({"at": _text(self.at), "start": _text(self.start)}, self.severity, self.score, self.brand)


def _text(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime(TIME_FORMAT)


def _line(times: dict[str, object], severity: str, score: float, brand: str | None) -> dict[str, object]:
    """One output line of ``warner detect``: its times, severity, score, and brand when known."""
    out = {**times, "severity": severity, "score": round(score, 1)}
    if brand is not None:
        out["brand"] = brand
    return out


EpisodeEvent = EpisodeStart | SeverityChange


def event_time(event: EpisodeEvent) -> int:
    """When a line happened: a start's start, a change's ``at``."""
    return event.at if isinstance(event, SeverityChange) else event.start


def parse_time(text: str) -> int:
    """``YYYY-MM-DD HH:MM:SS`` (UTC) to epoch seconds; fractional seconds are ignored."""
    try:
        return int(datetime.strptime(text.strip()[:19], TIME_FORMAT).replace(tzinfo=UTC).timestamp())
    except ValueError:
        raise CountsError(f"timestamp {text!r} is not YYYY-MM-DD HH:MM:SS") from None


def read_counts(path: Path) -> list[tuple[int, int]]:
    """(epoch, count) rows of a ``timestamp,value`` CSV, checked and in time order."""
    rows: list[tuple[int, int]] = []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        if header[:2] != ["timestamp", "value"]:
            raise CountsError(f"{path}: header must be 'timestamp,value', got {','.join(header)!r}")
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                value = float(row[1])
            except (IndexError, ValueError):
                raise CountsError(f"{path}:{line}: value must be a number") from None
            if value < 0:
                raise CountsError(f"{path}:{line}: value must not be negative")
            try:
                epoch = parse_time(row[0])
            except CountsError as exc:
                raise CountsError(f"{path}:{line}: {exc}") from None
            if rows and epoch <= rows[-1][0]:
                raise CountsError(f"{path}:{line}: timestamps must increase")
            rows.append((epoch, round(value)))
    return rows


def infer_bucket(rows: list[tuple[int, int]]) -> timedelta:
    """The most common step between rows (gaps are allowed; they count as zero)."""
    steps = Counter(b[0] - a[0] for a, b in itertools.pairwise(rows))
    if not steps:
        raise CountsError("need at least two rows to infer the bucket size; pass --bucket")
    return timedelta(seconds=steps.most_common(1)[0][0])


def detect_counts(
    rows: Iterable[tuple[int, int]],
    bucket: timedelta,
    config: DetectConfig | None = None,
) -> Iterator[Decision]:
    """Every decision of the detector over a single counts series."""
    detector = Detector(config or DetectConfig(), bucket)
    state = detector.new_state()
    for epoch, value in rows:
        yield from detector.observe(state, Observation(epoch, value))


def episode_events(decisions: Iterable[Decision], brand: str | None = None) -> Iterator[EpisodeEvent]:
    """Each episode's start, then each change of its severity, in time order (one brand).

    A change is reported only when the severity differs from the one last reported for
    that episode, so a resume at the same level prints nothing. Any bucket whose episode
    snapshot shows a new severity counts, even when that bucket's event is ``end``.
    """
    printed: dict[int, str] = {}  # episode number -> severity last reported
    for d in decisions:
        ep = d.episode
        if ep is None:
            continue
        if d.event == "start":
            printed[ep.number] = ep.severity
            yield EpisodeStart(d.start, ep.severity, d.score, brand)
        elif ep.number in printed and ep.severity != printed[ep.number]:
            printed[ep.number] = ep.severity
            yield SeverityChange(d.start, ep.start, ep.severity, d.severity_index, brand)


def episode_starts(decisions: Iterable[Decision], brand: str | None = None) -> Iterator[EpisodeStart]:
    for event in episode_events(decisions, brand):
        if isinstance(event, EpisodeStart):
            yield event


def mention_observations(
    rows: Iterable[tuple[str, int, bool, bool, int, str]], bucket: timedelta
) -> dict[str, list[Observation]]:
    """Bucket scored mentions (brand, epoch, negative, toxic, reach, author) per brand.

    ``authors`` counts fresh authors as the service's counters do (``AUTHOR_MEMORY_S``).
    """
    width = int(bucket.total_seconds())
    grouped: dict[str, dict[int, list[tuple[bool, bool, int, str]]]] = defaultdict(lambda: defaultdict(list))
    for brand, epoch, negative, toxic, reach, author in rows:
        grouped[brand][epoch - epoch % width].append((negative, toxic, reach, author))
    out: dict[str, list[Observation]] = {}
    for brand, buckets in grouped.items():
        last_heard: dict[str, int] = {}
        out[brand] = []
        for start, items in sorted(buckets.items()):
            authors = {a for _, _, _, a in items}
            fresh = sum(1 for a in authors if last_heard.get(a, -AUTHOR_MEMORY_S - 1) < start - AUTHOR_MEMORY_S)
            last_heard.update(dict.fromkeys(authors, start))
            out[brand].append(
                Observation(
                    start,
                    len(items),
                    negatives=sum(n for n, _, _, _ in items),
                    toxic=sum(t for _, t, _, _ in items),
                    reach=sum(r for _, _, r, _ in items),
                    authors=fresh,
                )
            )
    return out


def read_mentions(path: Path) -> list[Mention]:
    """The mentions of a JSONL file (the ingest API's format), with the line of a bad one."""
    from warner.mention import Mention

    mentions: list[Mention] = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                mentions.append(Mention.model_validate_json(line))
            except ValueError as exc:
                raise CountsError(f"{path}:{number}: not a valid mention: {str(exc).splitlines()[0]}") from None
    return mentions


def detect_mentions(
    mentions: Sequence[Mention],
    bucket: timedelta,
    config: DetectSettings | None = None,
    settings: DetectConfig | None = None,
    scorer: Scorer | None = None,
) -> dict[str, list[Decision]]:
    """Score, match and bucket mentions as the service does; every decision, per brand.

    Brands come from the mention (``brand``) or from the config's matcher; without a
    config, unmatched mentions count for ``_all``. Duplicates (same source and id) count
    once, as in the service's counters.
    """
    from warner.ingest.brands import BrandMatcher
    from warner.scoring.models import default_scorer

    settings = settings or (config.detect if config else DetectConfig())
    matcher = BrandMatcher(config.brands) if config else None
    unique = list({m.key: m for m in mentions}.values())
    scores = (scorer or default_scorer()).score([m.text for m in unique])
    rows = []
    for m, s in zip(unique, scores, strict=True):
        brand = m.brand or (matcher.first(m.text) if matcher else None) or "_all"
        author = m.author or f"~{m.key}"
        rows.append((brand, int(m.created_at.timestamp()), s.sentiment == "negative", s.offensive, m.reach, author))
    out: dict[str, list[Decision]] = {}
    for brand, observations in mention_observations(rows, bucket).items():
        b = config.brand(brand) if config else None
        detector = Detector(settings, bucket, budget_per_week=b.alert_budget_per_week if b else None)
        state = detector.new_state(b.expected_per_day if b else None)
        out[brand] = [d for o in observations for d in detector.observe(state, o)]
    return out
