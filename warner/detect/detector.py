"""The storm detector of one brand: bucket counts in, episode events out.

Per closed bucket, strictly in time order and using nothing after it:

1. **Expectation** from the seasonal baseline (``baseline.py``) and its dispersion.
2. **Evidence**, the larger of
   * volume: the self-calibrating log-ratio score of the last hour and last three hours
     against expectation (``windows.py``) — sustained rises, not one-bucket bursts;
   * negativity: a binomial tail (-log10 p, halved for burstiness) of the recent negative
     share against the brand's normal share — a shift at normal volume; and a count tail
     of the recent negatives against expected volume x normal share — a pile-on on a
     quiet brand, seen within minutes where the hour-long volume windows need twenty.
   Volume evidence counts only once a window holds ``min_excess`` mentions above
   expectation, negativity evidence once it holds ``min_negative_excess`` negatives:
   four mentions never page anyone, however quiet the brand usually is.
3. **Episodes** with hysteresis: open at ``sensitivity`` (raised by an alert budget),
   stay open while evidence stays above half of it, close after ``cooldown`` without;
   a new opening within ``merge_gap`` of the last close continues that episode. A burst no
   bigger than ones the brand has had often lately (``novelty_rate``) opens nothing: habituation.
4. **Learning**: the baseline learns the bucket winsorised — hard inside an episode — so
   a storm does not become the new normal.

The state is plain data (``to_dict``/``from_dict``) so the service keeps it in Redis and
``warner detect`` runs exactly this code over a file.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from warner.config import DetectConfig
from warner.detect.baseline import BaselineSettings, SeasonalBaseline
from warner.detect.severity import (
    Severity,
    SeverityInputs,
    SeverityThresholds,
    classify,
    raise_only,
    severity_index,
)
from warner.detect.stats import binomial_upper_tail_score, count_upper_tail_score
from warner.detect.windows import WindowEvidence

BUDGET_HISTORY = timedelta(weeks=4)
NOVELTY_PRIOR = timedelta(days=3.5)  # a new brand counts as this long seen without bursts

EventKind = Literal["start", "escalate", "subside", "end"]


@dataclass(frozen=True, slots=True)
class Observation:
    """One closed bucket of one brand. ``None`` = not known (e.g. counts-only input)."""

    start: int  # epoch seconds, UTC
    mentions: int
    negatives: int | None = None
    toxic: int | None = None
    reach: int | None = None
    authors: int | None = None  # fresh authors: not heard from on the brand in the hour before


@dataclass(slots=True)
class Episode:
    """A storm as the detector sees it; incidents are built from these."""

    number: int  # per brand, increasing
    start: int  # epoch of the bucket that opened it
    last_evidence: int
    severity: Severity
    peak_score: float = 0.0
    peak_velocity: float = 0.0
    peak_bucket: int = 0
    peak_count: int = 0
    mentions: int = 0
    expected: float = 0.0
    negatives: int = 0
    toxic: int = 0
    reach: int = 0
    subsiding: bool = False
    resumed: int = 0  # how often it was continued after a pause


@dataclass(frozen=True, slots=True)
class Decision:
    """What the detector concluded about one bucket."""

    start: int
    observed: int
    expected: float
    score: float
    volume_score: float
    negativity_score: float
    threshold: float
    active: bool
    event: EventKind | None = None
    episode: Episode | None = None  # a snapshot of the episode open in (or closed by) this bucket
    severity_index: float = 0.0

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.start, UTC)


@dataclass(slots=True)
class _Smoothed:
    """Exponentially weighted sums over the recent past (half-life ``negativity_window``)."""

    mentions: float = 0.0
    expected: float = 0.0
    negatives: float = 0.0
    toxic: float = 0.0
    reach: float = 0.0
    authors: float = 0.0
    known: float = 0.0  # weight of buckets whose sentiment was known

    def add(self, decay: float, o: Observation, mu: float) -> None:
        for name in (
            "mentions",
            "expected",
            "negatives",
            "toxic",
            "reach",
            "authors",
            "known",
        ):
            setattr(self, name, getattr(self, name) * decay)
        self.mentions += o.mentions
        self.expected += mu
        if o.negatives is not None:
            self.negatives += o.negatives
            self.known += o.mentions
        self.toxic += o.toxic or 0
        self.reach += o.reach or 0
        self.authors += o.authors if o.authors is not None else o.mentions


@dataclass(slots=True)
class BrandDetector:
    """Online detector state of one brand. Feed buckets in order with ``observe``."""

    baseline: SeasonalBaseline
    last_bucket: int | None = None
    volume: WindowEvidence = field(default_factory=WindowEvidence)
    recent: _Smoothed = field(default_factory=_Smoothed)
    slow: _Smoothed = field(default_factory=_Smoothed)  # the same over hours
    negative_share: float = 0.15  # the brand's normal share of negative mentions
    negative_weight: float = 20.0  # pseudo-mentions behind it (a prior at first)
    reach_per_mention: float = 0.0
    episode: Episode | None = None
    episodes: int = 0
    last_end: int | None = None
    last_episode: Episode | None = None  # the one that ended last, while it may resume
    excursion_peak: float = 0.0
    excursion_excess: float = 0.0
    excursions: list[tuple[int, float]] = field(default_factory=list)  # (start, peak) for the budget
    bursts: list[tuple[int, float]] = field(default_factory=list)  # (start, excess mentions) of past excursions

    @classmethod
    def new(cls, per_day: float) -> BrandDetector:
        return cls(baseline=SeasonalBaseline.new(per_day, BaselineSettings()))

    # -- persistence ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> BrandDetector:
        d = dict(data)
        d["baseline"] = SeasonalBaseline.from_dict(d["baseline"])  # type: ignore[arg-type]
        d["recent"] = _Smoothed(**d["recent"])  # type: ignore[arg-type]
        d["slow"] = _Smoothed(**d.get("slow", {}))  # type: ignore[arg-type]
        d["volume"] = WindowEvidence(**d["volume"])  # type: ignore[arg-type]
        for name in ("episode", "last_episode"):
            d[name] = Episode(**d[name]) if d.get(name) else None  # type: ignore[arg-type]
        d["excursions"] = [tuple(x) for x in d.get("excursions", [])]  # type: ignore[union-attr]
        d["bursts"] = [tuple(x) for x in d.get("bursts", [])]  # type: ignore[union-attr]
        return cls(**d)  # type: ignore[arg-type]


class Detector:
    """Applies one ``DetectConfig`` to any number of ``BrandDetector`` states."""

    def __init__(
        self,
        config: DetectConfig,
        bucket: timedelta,
        *,
        budget_per_week: float | None = None,
    ) -> None:
        self.config = config
        self.bucket_s = int(bucket.total_seconds())
        self.hours = self.bucket_s / 3600.0
        self.tz = ZoneInfo(config.timezone)
        self.baseline_settings = BaselineSettings()
        self.thresholds = SeverityThresholds(config.warning_at, config.critical_at)
        self.budget = budget_per_week if budget_per_week is not None else config.alert_budget_per_week
        self.recent_decay = 0.5 ** (self.bucket_s / config.negativity_window.total_seconds())
        self.slow_decay = 0.5 ** (self.bucket_s / config.slow_negativity_window.total_seconds())
        self.cooldown_s = int(config.cooldown.total_seconds())
        self.merge_s = int(config.merge_gap.total_seconds())
        self.window_sizes = [max(1, round(w.total_seconds() / self.bucket_s)) for w in config.windows]
        self.scale_rate = 1.0 - 0.5 ** (self.bucket_s / config.scale_half_life.total_seconds())
        self.novelty_half_life_s = config.novelty_half_life.total_seconds()

    def new_state(self, per_day: float | None = None) -> BrandDetector:
        return BrandDetector.new(per_day or self.config.prior_per_day)

    def slot(self, epoch: int) -> int:
        """Hour of the week in local time, 0 = Monday 00:00-01:00."""
        local = datetime.fromtimestamp(epoch, self.tz)
        return local.weekday() * 24 + local.hour

    def observe(self, state: BrandDetector, o: Observation) -> list[Decision]:
        """Feed one closed bucket (and zero buckets for any gap before it)."""
        decisions: list[Decision] = []
        if state.last_bucket is not None:
            if o.start <= state.last_bucket:
                return []  # already seen: idempotent on re-delivery
            # A long silence (a stopped service) is not learnt bucket by bucket beyond a week.
            first_missing = max(state.last_bucket + self.bucket_s, o.start - 7 * 86400)
            for t in range(first_missing, o.start, self.bucket_s):
                known = 0 if o.negatives is not None else None
                decisions.append(
                    self._step(state, Observation(t, 0, known, known, known, 0 if o.authors is not None else None))
                )
        decisions.append(self._step(state, o))
        return decisions

    # -- one bucket ----------------------------------------------------------------------

    def _step(self, state: BrandDetector, o: Observation) -> Decision:
        c, s = self.config, self.baseline_settings
        slot = self.slot(o.start)
        base = state.baseline
        mu = max(base.expected(slot, self.hours, s), 1e-6)
        x = o.mentions

        windows = state.volume.push(x, mu, self.window_sizes, o.authors)
        volume_score = max(
            (
                max(w.z, w.people if w.people_excess >= c.min_excess else 0.0)
                for w in windows
                if w.excess >= c.min_excess
            ),
            default=0.0,
        )
        state.recent.add(self.recent_decay, o, mu)
        state.slow.add(self.slow_decay, o, mu)
        negativity_score = self._negativity_score(state, [w.alpha for w in windows])
        score = max(volume_score, negativity_score)
        threshold = self._threshold(state, o.start)
        self._track_excursion(state, o.start, score, x - mu)
        routine = negativity_score < threshold and self._routine(state, o.start)  # a pile-on never is
        if state.episode is None and score >= threshold and routine:
            threshold = score + 1e-9  # reported as the bar this bucket did not clear

        event: EventKind | None = None
        inputs = self._severity_inputs(state)
        sev_index = severity_index(inputs)
        level = classify(sev_index, inputs, self.thresholds)
        ep = state.episode
        if ep is None and score >= threshold:
            if state.last_episode is not None and o.start - (state.last_end or 0) <= self.merge_s:
                ep = state.episode = self._resume(state, o.start)
                event = "escalate" if ep.severity != level else None
            else:
                state.episodes += 1
                ep = state.episode = Episode(state.episodes, o.start, o.start, level)
                event = "start"
        if ep is not None:
            if score >= threshold / 2 or x > mu + 2 * base.sd(mu, s):
                ep.last_evidence = o.start
            event = self._update_episode(ep, o, mu, score, inputs.velocity, level) or event
            if o.start - ep.last_evidence >= self.cooldown_s:
                event = "end"
                state.episode = None
                state.last_episode = ep
                state.last_end = o.start

        active = state.episode is not None
        base.learn(slot, self.hours, x, 1.5 if active else 3.0, s)
        # Learnt in storms too (residuals clipped at 4 scales): measured on NAB realTweets
        # this pages a third less often on bursty brands than learning only when calm.
        state.volume.learn(windows, self.scale_rate)
        if not active and o.negatives is not None and x:
            self._learn_negative_share(state, o)
        if o.reach is not None and x:
            a = 0.002 if state.reach_per_mention else 1.0
            state.reach_per_mention += a * (
                min(o.reach / x, 10 * state.reach_per_mention or o.reach / x) - state.reach_per_mention
            )
        state.last_bucket = o.start
        return Decision(
            o.start,
            x,
            mu,
            score,
            volume_score,
            negativity_score,
            threshold,
            active,
            event,
            replace(ep) if ep is not None else None,
            sev_index,
        )

    def _negativity_score(self, state: BrandDetector, alphas: list[float]) -> float:
        """Evidence from negative mentions: their share, and their count against normal.

        The share (a binomial tail of the recent negatives among the recent mentions) sees
        a turn of mood at normal volume. The count (a negative-binomial tail of the recent
        negatives against the baseline's expected volume times the normal share) sees a
        pile-on on a quiet brand within minutes: twelve angry posts in half an hour where
        one is normal is decisive long before the hour-long volume windows move. Both are
        judged over the last half hour and, for complaints that grow over days, the last
        few hours (``slow_negativity_window``).
        """
        return max(
            self._negativity_of(state.recent, state.negative_share, alphas[0]),
            self._negativity_of(state.slow, state.negative_share, alphas[-1]),
        )

    def _negativity_of(self, r: _Smoothed, share: float, alpha: float) -> float:
        if r.known <= 0:
            return 0.0
        least = self.config.min_negative_excess
        by_share = by_count = 0.0
        if r.negatives - r.known * share >= least:
            # Negatives come in correlated bursts (retweets, pile-ons): halve the evidence.
            by_share = binomial_upper_tail_score(r.negatives, r.known, share) / 2.0
        expected = r.expected * share * (r.known / r.mentions if r.mentions else 1.0)
        if r.negatives - expected >= least:
            by_count = count_upper_tail_score(r.negatives, expected, alpha)
        return max(by_share, by_count)

    def _learn_negative_share(self, state: BrandDetector, o: Observation) -> None:
        weight = min(state.negative_weight + o.mentions, 2000.0)  # ~ the last 2000 mentions
        state.negative_share += (o.negatives or 0) / weight - o.mentions * state.negative_share / weight
        state.negative_share = min(0.95, max(0.01, state.negative_share))
        state.negative_weight = weight

    def _severity_inputs(self, state: BrandDetector) -> SeverityInputs:
        r = state.recent
        return SeverityInputs(
            velocity=(r.mentions + 1.0) / (r.expected + 1.0),
            negative_share=r.negatives / r.known if r.known >= 1 else None,
            normal_negative_share=state.negative_share,
            toxic_share=r.toxic / r.known if r.known >= 1 else None,
            reach_ratio=(r.reach / r.mentions) / state.reach_per_mention
            if r.mentions >= 1 and state.reach_per_mention > 0 and r.reach > 0
            else None,
            author_share=r.authors / r.mentions if r.mentions >= 5 else None,
            authors=r.authors,
        )

    def _resume(self, state: BrandDetector, start: int) -> Episode:
        """Continue the episode that ended less than ``merge_gap`` ago."""
        ep = state.last_episode
        assert ep is not None
        state.last_episode = None
        ep.resumed += 1
        ep.last_evidence = start
        ep.subsiding = False
        return ep

    def _update_episode(
        self,
        ep: Episode,
        o: Observation,
        mu: float,
        score: float,
        velocity: float,
        level: Severity,
    ) -> EventKind | None:
        ep.mentions += o.mentions
        ep.expected += mu
        ep.negatives += o.negatives or 0
        ep.toxic += o.toxic or 0
        ep.reach += o.reach or 0
        if o.mentions > ep.peak_count:
            ep.peak_count, ep.peak_bucket = o.mentions, o.start
        ep.peak_score = max(ep.peak_score, score)
        ep.peak_velocity = max(ep.peak_velocity, velocity)
        new_severity = raise_only(ep.severity, level)
        if new_severity != ep.severity:
            ep.severity = new_severity
            return "escalate"
        if not ep.subsiding and ep.peak_velocity >= 2 and velocity < ep.peak_velocity / 2:
            ep.subsiding = True
            return "subside"
        if ep.subsiding and velocity >= ep.peak_velocity * 0.75:
            ep.subsiding = False
        return None

    # -- alert budget --------------------------------------------------------------------

    def _threshold(self, state: BrandDetector, now: int) -> float:
        """``sensitivity``, raised so at most ``budget`` excursions a week would have alerted."""
        base = self.config.sensitivity
        if not self.budget or not state.excursions:
            return base
        horizon = now - int(BUDGET_HISTORY.total_seconds())
        state.excursions = [(t, p) for t, p in state.excursions if t >= horizon]
        weeks = max(1.0, (now - max(horizon, state.excursions[0][0])) / (7 * 86400))
        allowed = int(self.budget * weeks)
        peaks = sorted((p for _, p in state.excursions), reverse=True)
        return max(base, peaks[allowed] + 1e-9) if allowed < len(peaks) else base

    def _track_excursion(self, state: BrandDetector, start: int, score: float, excess: float) -> None:
        """Remember the peak of every run of evidence above a low floor (for the budget)."""
        floor = self.config.sensitivity / 2
        if score >= floor:
            if state.excursion_peak == 0.0:
                state.excursions.append((start, score))
                state.excursion_excess = 0.0
            state.excursion_peak = max(state.excursion_peak, score)
            state.excursion_excess += max(excess, 0.0)
            state.excursions[-1] = (state.excursions[-1][0], state.excursion_peak)
        else:
            if state.excursion_peak > 0.0:
                state.bursts.append((state.excursions[-1][0], state.excursion_excess))
            state.excursion_peak = 0.0
            state.excursion_excess = 0.0

    def _routine(self, state: BrandDetector, now: int) -> bool:
        """Habituation: is a burst of this size (excess mentions so far) routine for this brand?

        Some brands burst every day (a bot, a daily promotion: ~1000 extra mentions in half an
        hour, as regular as clockwork); their first bursts are news, the twentieth is not. A burst
        is routine when the brand recently had bursts at least as big more often than
        ``novelty_rate`` a week — counted with exponential forgetting, so a quiet week makes them
        news again and one storm never mutes a brand. A bigger burst than usual is never routine
        once it outgrows them. Measured on NAB realTweets: UPS false alarms 17 -> 6, no window lost.
        """
        rate = self.config.novelty_rate
        if rate is None:
            return False
        half_life = self.novelty_half_life_s
        state.bursts = [(t, e) for t, e in state.bursts if now - t < 8 * half_life]
        age = state.baseline.seen_h * 3600
        exposure_s = half_life / math.log(2) * (1 - 0.5 ** (age / half_life)) + NOVELTY_PRIOR.total_seconds()
        seen = sum(0.5 ** ((now - t) / half_life) for t, e in state.bursts if e >= state.excursion_excess)
        return seen > rate * exposure_s / (7 * 86400)
