"""Randomised scenario families: many brands, many storms, drawn afresh for every evaluation.

The named scenarios (``saturday_storm`` …) are a handful of stories with text; a detector
tuned on them learns those stories. A *family* is a distribution instead: every draw picks
a brand size (3 to 20,000 mentions a day), an audience rhythm, an onset at any hour and
weekday, a ramp, a peak and a mood, and renders the brand's per-bucket counts — mentions,
negatives, toxic, reach, fresh authors — as the service's counters would hold them. Draws
are seeded per run (``bench/detect_eval.py`` prints its seed), never one fixed seed while
tuning, so a setting has to work on storms it has not seen.

What makes the background hard on purpose, because real streams have it: day and hour
noise, overdispersed buckets, small retweet waves, gripe threads (one unhappy customer
and a few replies), and a sentiment scorer that is wrong as often as ours is on unseen
data — a true complaint is called negative with probability ``recall`` (0.5–0.85: the
shipped model finds 0.73–0.80 of the angry posts in ``storms.py``, and less of plainly
worded customer complaints), any other post with ``false_positive`` (3–10 %). The
detector only ever sees the scorer's view.

Families and the claims they check (``FAMILIES``):

=================  ==========================================================  ========
family             what happens                                                judged
=================  ==========================================================  ========
``fast_storm``     ×10–×200 within 2–30 min, 60–95 % angry, 10–20,000 a day     storm
``slow_storm``     small brand (10–200 a day), ×20–×60 over 1.5–3 h, angry      storm
``shift``          busy brand, volume ×1.25–1.5, true negative share → 45–70 %  storm
``pile_on``        an influencer's post, then angry replies on a 20–100/day brand storm
``any_storm``      ramps 2 min–6 h, peaks ×1.2–×200, any mood shift             storm
``quiet``          an ordinary week                                             benign
``praise``         a viral wave of praise, ×5–×50                               benign
``tv_spike``       a TV spot: ×3–×20 for 20–90 min, ordinary mood               benign
``campaign``       a campaign day: ×1.5–×4 for 8–12 h, friendly                 benign
``bot_flood``      10–25 accounts repeating accusations for 1–4 h               benign
``holiday``        a public holiday in the week (Sunday shape, half volume)     benign
=================  ==========================================================  ========

A storm draw runs ``HISTORY`` of ordinary days, then the storm within the next two days;
a benign draw runs ``HISTORY`` and one judged brand-week with its event in it.

Why ~500 lines in one module: the eleven families share one canvas and one background, and each
family is a short function beside the others, so that what makes one storm differ from the next
is read side by side.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from warner.core import BERLIN
from warner.scenarios.rhythm import BREWERY, CRAFT, GROCERY, TRAVEL, Rhythm

BUCKET_S = 300
HISTORY = timedelta(days=14)
JUDGED_WEEK = timedelta(days=7)
STORM_TAIL = timedelta(hours=8)  # a storm draw runs this long after its onset
RHYTHMS: tuple[Rhythm, ...] = (BREWERY, TRAVEL, GROCERY, CRAFT)

Kind = Literal["storm", "benign"]


@dataclass(frozen=True, slots=True)
class FamilyDraw:
    """One brand's per-bucket counts, as the service's counters hold them, and the truth.

    Arrays are per bucket of ``bucket_s`` seconds from ``start`` (epoch seconds, UTC).
    ``event_mentions`` is the part of ``mentions`` the event added (ground truth; the
    detector never sees it). ``normal_per_bucket`` is the brand's true expected count
    without the event, for reporting "×10 normal".
    """

    family: str
    kind: Kind
    seed: int
    per_day: float
    start: int
    bucket_s: int
    judged_from: int
    onset: int | None
    event_end: int | None
    mentions: np.ndarray
    negatives: np.ndarray
    toxic: np.ndarray
    reach: np.ndarray
    authors: np.ndarray
    event_mentions: np.ndarray
    normal_per_bucket: np.ndarray
    event_rate: np.ndarray  # the event's expected extra mentions per bucket (its shape, no noise)
    params: dict[str, float]

    @property
    def end(self) -> int:
        return self.start + len(self.mentions) * self.bucket_s

    def index(self, epoch: int) -> int:
        return (epoch - self.start) // self.bucket_s

    @property
    def reference(self) -> float:
        """What the event's multiple is measured against (``normal_reference``)."""
        return normal_reference(self.normal_per_bucket, None if self.onset is None else self.index(self.onset))

    def time_to_multiple(self, multiple: float) -> float | None:
        """Seconds from onset until the event's expected rate reached ``multiple`` × normal (``reference``)."""
        if self.onset is None:
            return None
        i0 = self.index(self.onset)
        hits = np.nonzero(self.normal_per_bucket[i0:] + self.event_rate[i0:] >= multiple * self.reference)[0]
        return float(hits[0] * self.bucket_s) if len(hits) else None

    @property
    def normal_per_hour_at_onset(self) -> float:
        return (
            0.0 if self.onset is None else float(self.normal_per_bucket[self.index(self.onset)]) * 3600 / self.bucket_s
        )


# -- background --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Canvas:
    """True (not yet scored) posts per bucket while a draw is being built."""

    rng: np.random.Generator
    start: int
    n: int
    normal: np.ndarray  # expected count per bucket, without events
    calm: np.ndarray  # posts that are not complaints
    angry: np.ndarray  # true complaints
    toxic: np.ndarray  # insults among the complaints (scored as toxic)
    reach: np.ndarray
    authors: np.ndarray  # fresh authors
    event: np.ndarray
    event_rate: np.ndarray

    def add(self, calm: np.ndarray, angry: np.ndarray, *, fresh: float = 0.9, event: bool = True) -> None:
        """Add posts per bucket; ``fresh`` of them come from authors not heard in the last hour."""
        calm = np.maximum(calm, 0).astype(np.int64)
        angry = np.maximum(angry, 0).astype(np.int64)
        self.calm += calm
        self.angry += angry
        total = calm + angry
        self.authors += self.rng.binomial(total, fresh)
        self.reach += _reach(self.rng, total)
        if event:
            self.event += total


def _reach(rng: np.random.Generator, posts: np.ndarray) -> np.ndarray:
    """Summed followers of ``posts`` authors per bucket: heavy-tailed (Pareto 1.2, scale 80)."""
    out = np.zeros(len(posts), dtype=np.int64)
    idx = np.nonzero(posts)[0]
    if len(idx):
        counts = posts[idx]
        draws = np.minimum(2_000_000, (rng.pareto(1.2, int(counts.sum())) + 1.0) * 80).astype(np.int64)
        out[idx] = np.add.reduceat(draws, np.concatenate(([0], np.cumsum(counts)[:-1])))
    return out


def _seasonal(
    rhythm: Rhythm, per_day: float, start: int, n: int, rng: np.random.Generator, holiday: int | None
) -> np.ndarray:
    """Expected posts per bucket: the rhythm in Berlin time, with day and hour noise."""
    per_bucket_mean = per_day / 24.0 / (3600 / BUCKET_S)
    hours = n * BUCKET_S // 3600 + 2
    out_hour = np.empty(hours)
    day_noise: dict[int, float] = {}
    for h in range(hours):
        local = datetime.fromtimestamp(start + h * 3600, BERLIN)
        day = local.toordinal()
        if day not in day_noise:
            day_noise[day] = math.exp(rng.normal(0, 0.12))
        share = 0.5 if holiday is not None and day == holiday else None
        out_hour[h] = rhythm.level(local.weekday(), local.hour, share) * day_noise[day]
    out_hour *= np.exp(rng.normal(0, 0.15, hours))
    per = 3600 // BUCKET_S
    return per_bucket_mean * np.repeat(out_hour, per)[:n]


def _background(canvas: _Canvas, negative_share: float) -> None:
    """Ordinary talk: overdispersed counts, retweet waves and gripe threads, not events."""
    rng, n = canvas.rng, canvas.n
    rate = canvas.normal * np.exp(rng.normal(0, 0.25, n))  # bucket-level overdispersion
    daily_mood = np.repeat(np.exp(rng.normal(0, 0.25, n // 288 + 1)), 288)[:n]
    share = np.clip(negative_share * daily_mood, 0.01, 0.6)
    posts = rng.poisson(rate)
    angry = rng.binomial(posts, share)
    canvas.add(posts - angry, angry, fresh=0.85, event=False)
    mean_per_bucket = float(canvas.normal.mean())
    days = n * BUCKET_S / 86400
    # Retweet waves: ~0.7 a day, a few times the current rate (at least a handful of posts).
    for _ in range(rng.poisson(0.7 * days)):
        i = int(rng.integers(0, n))
        length = int(rng.integers(2, 12))
        size = max(3.0, rng.uniform(1.0, 4.0) * mean_per_bucket * length)
        shape = np.exp(-np.arange(length) / max(1.0, length / 3))
        wave = rng.poisson(size * shape / shape.sum())
        j = min(n, i + length)
        calm = np.zeros(n, dtype=np.int64)
        calm[i:j] = wave[: j - i]
        angry = rng.binomial(calm, negative_share)
        canvas.add(calm - angry, angry, fresh=0.9, event=False)
    # Gripe threads: one unhappy customer, a few replies and retweets, mostly from few people.
    for _ in range(rng.poisson(0.5 * days)):
        i = int(rng.integers(0, n))
        length = int(rng.integers(1, 7))
        size = rng.integers(3, 13) + rng.uniform(0, 0.5) * mean_per_bucket * length
        thread = rng.multinomial(int(size), np.ones(length) / length)
        j = min(n, i + length)
        posts = np.zeros(n, dtype=np.int64)
        posts[i:j] = thread[: j - i]
        angry = rng.binomial(posts, 0.6)
        canvas.add(posts - angry, angry, fresh=0.35, event=False)


# -- scoring as the shipped models would --------------------------------------------------------


def _scored(canvas: _Canvas, recall: float, false_positive: float, toxic_recall: float) -> tuple[np.ndarray, ...]:
    rng = canvas.rng
    negatives = rng.binomial(canvas.angry, recall) + rng.binomial(canvas.calm, false_positive)
    toxic = rng.binomial(canvas.toxic, toxic_recall) + rng.binomial(canvas.calm + canvas.angry, 0.005)
    return negatives, toxic


# -- the families ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Setup:
    negative_share: float
    onset_index: int


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _ramp(
    n: int, onset: int, ramp_buckets: float, peak_extra: np.ndarray | float, hold: int, half_life: float
) -> np.ndarray:
    """Extra expected posts per bucket: linear ramp, hold at the peak, exponential decay."""
    k = np.arange(n) - onset
    up = np.clip((k + 1) / max(ramp_buckets, 1e-9), 0, 1)
    down = np.where(
        k > ramp_buckets + hold, 0.5 ** (np.maximum(k - ramp_buckets - hold, 0) / max(half_life, 1e-9)), 1.0
    )
    return np.where(k >= 0, up * down, 0.0) * peak_extra


def normal_reference(normal: np.ndarray, onset_index: int | None) -> float:
    """ "Normal" for an event's multiple: the expected count at onset, at least the brand's mean.

    ×10 at four in the morning would be three posts; a storm is measured against a normal hour.
    """
    mean = float(normal.mean())
    return mean if onset_index is None else max(float(normal[onset_index]), mean)


def _reference(canvas: _Canvas, setup: _Setup) -> float:
    return normal_reference(canvas.normal, setup.onset_index)


def _storm(
    canvas: _Canvas,
    setup: _Setup,
    *,
    multiple: float,
    ramp_min: float,
    angry: float,
    hold_min: float,
    half_life_min: float,
    toxic_share: float,
    spark_reach: int = 0,
) -> None:
    rng = canvas.rng
    extra = _ramp(
        canvas.n,
        setup.onset_index,
        ramp_min * 60 / BUCKET_S,
        (multiple - 1) * _reference(canvas, setup),
        int(hold_min * 60 / BUCKET_S),
        half_life_min * 60 / BUCKET_S,
    )
    canvas.event_rate += extra
    posts = rng.poisson(extra)
    if posts[setup.onset_index] == 0:
        posts[setup.onset_index] = 1  # the post that started it
    angry_posts = rng.binomial(posts, angry)
    canvas.add(posts - angry_posts, angry_posts, fresh=0.9)
    canvas.toxic += rng.binomial(angry_posts, toxic_share)
    if spark_reach:
        canvas.reach[setup.onset_index] += spark_reach


def _fast_storm(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    p.update(multiple=_log_uniform(rng, 10, 200), ramp_min=_log_uniform(rng, 2, 30), angry=rng.uniform(0.6, 0.95))
    _storm(canvas, setup, multiple=p["multiple"], ramp_min=p["ramp_min"], angry=p["angry"],
           hold_min=rng.uniform(20, 120), half_life_min=rng.uniform(30, 120),
           toxic_share=rng.uniform(0.05, 0.3))  # fmt: skip


def _slow_storm(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    p.update(multiple=rng.uniform(20, 60), ramp_min=rng.uniform(90, 180), angry=rng.uniform(0.75, 0.95))
    _storm(canvas, setup, multiple=p["multiple"], ramp_min=p["ramp_min"], angry=p["angry"],
           hold_min=rng.uniform(30, 120), half_life_min=rng.uniform(60, 180),
           toxic_share=rng.uniform(0.05, 0.2))  # fmt: skip


def _pile_on(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    p.update(multiple=rng.uniform(20, 100), ramp_min=rng.uniform(10, 40), angry=rng.uniform(0.6, 0.9))
    _storm(canvas, setup, multiple=p["multiple"], ramp_min=p["ramp_min"], angry=p["angry"],
           hold_min=rng.uniform(20, 90), half_life_min=rng.uniform(30, 90), toxic_share=rng.uniform(0.1, 0.3),
           spark_reach=int(_log_uniform(rng, 50_000, 2_000_000)))  # fmt: skip


def _any_storm(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    p.update(multiple=_log_uniform(rng, 1.2, 200), ramp_min=_log_uniform(rng, 2, 360), angry=rng.uniform(0.3, 0.95))
    _storm(canvas, setup, multiple=p["multiple"], ramp_min=p["ramp_min"], angry=p["angry"],
           hold_min=rng.uniform(30, 240), half_life_min=rng.uniform(30, 240),
           toxic_share=rng.uniform(0.0, 0.3))  # fmt: skip
    if p["multiple"] < 2:  # a small rise is a storm only in its mood: the usual talk turns too
        _turn_mood(rng, canvas, setup, p["angry"], p["ramp_min"], rng.uniform(180, 480))


def _shift(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    p.update(multiple=rng.uniform(1.25, 1.5), ramp_min=rng.uniform(10, 60), angry=rng.uniform(0.45, 0.7))
    duration = rng.uniform(180, 480)
    _turn_mood(rng, canvas, setup, p["angry"], p["ramp_min"], duration)
    k = np.arange(canvas.n) - setup.onset_index
    inside = (k >= 0) & (k < duration * 60 / BUCKET_S)
    extra = np.where(inside, np.clip((k + 1) / (p["ramp_min"] * 60 / BUCKET_S), 0, 1), 0) * (p["multiple"] - 1)
    canvas.event_rate += extra * canvas.normal
    posts = rng.poisson(extra * canvas.normal)
    angry_posts = rng.binomial(posts, p["angry"])
    canvas.add(posts - angry_posts, angry_posts, fresh=0.9)


def _turn_mood(
    rng: np.random.Generator, canvas: _Canvas, setup: _Setup, share: float, ramp_min: float, minutes: float
) -> None:
    """The brand's usual talk turns negative: calm posts become complaints (event posts)."""
    k = np.arange(canvas.n) - setup.onset_index
    inside = (k >= 0) & (k < minutes * 60 / BUCKET_S)
    target = np.where(inside, np.clip((k + 1) / max(ramp_min * 60 / BUCKET_S, 1), 0, 1), 0.0)
    p_turn = np.clip(target * (share - setup.negative_share) / max(1e-9, 1 - setup.negative_share), 0, 1)
    turned = rng.binomial(canvas.calm, p_turn)
    canvas.calm -= turned
    canvas.angry += turned
    canvas.event += turned


def _praise(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    p.update(multiple=_log_uniform(rng, 5, 50), ramp_min=rng.uniform(10, 60))
    extra = _ramp(canvas.n, setup.onset_index, p["ramp_min"] * 60 / BUCKET_S,
                  (p["multiple"] - 1) * _reference(canvas, setup),
                  int(rng.uniform(30, 120) * 60 / BUCKET_S), rng.uniform(30, 120) * 60 / BUCKET_S)  # fmt: skip
    posts = rng.poisson(extra)
    angry = rng.binomial(posts, setup.negative_share * 0.4)  # a few grumpy replies
    canvas.add(posts - angry, angry, fresh=0.9)


def _tv_spike(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    p.update(multiple=_log_uniform(rng, 3, 20), ramp_min=rng.uniform(2, 10))
    extra = _ramp(canvas.n, setup.onset_index, p["ramp_min"] * 60 / BUCKET_S,
                  (p["multiple"] - 1) * _reference(canvas, setup),
                  int(rng.uniform(10, 60) * 60 / BUCKET_S), rng.uniform(10, 40) * 60 / BUCKET_S)  # fmt: skip
    posts = rng.poisson(extra)
    angry = rng.binomial(posts, setup.negative_share * rng.uniform(0.8, 1.2))  # the usual mood
    canvas.add(posts - angry, angry, fresh=0.95)


def _campaign(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    p.update(multiple=rng.uniform(1.5, 4), ramp_min=rng.uniform(30, 120))
    hours = rng.uniform(8, 12)
    k = np.arange(canvas.n) - setup.onset_index
    inside = (k >= 0) & (k < hours * 3600 / BUCKET_S)
    shape = np.where(inside, np.clip((k + 1) / (p["ramp_min"] * 60 / BUCKET_S), 0, 1), 0.0)
    posts = rng.poisson(shape * (p["multiple"] - 1) * canvas.normal)
    angry = rng.binomial(posts, setup.negative_share * 0.6)
    canvas.add(posts - angry, angry, fresh=0.9)


def _bot_flood(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    accounts = int(rng.integers(10, 26))
    p.update(accounts=accounts, ramp_min=0.0)
    minutes = rng.uniform(60, 240)
    k = np.arange(canvas.n) - setup.onset_index
    inside = (k >= 0) & (k < minutes * 60 / BUCKET_S)
    per_account = BUCKET_S / (60 * rng.uniform(2, 10))  # one post every 2–10 minutes each
    posts = np.where(inside, rng.poisson(accounts * per_account, canvas.n), 0)
    fresh = np.zeros(canvas.n, dtype=np.int64)
    left = accounts  # each account is fresh once: it posts again long before an hour is over
    for i in np.nonzero(posts)[0]:
        fresh[i] = min(int(posts[i]), left)
        left -= fresh[i]
        if not left:
            break
    canvas.angry += posts
    canvas.authors += fresh
    canvas.reach += posts * 20  # fresh accounts, hardly any followers
    canvas.event += posts
    canvas.toxic += rng.binomial(posts, 0.1)


def _nothing(rng: np.random.Generator, canvas: _Canvas, setup: _Setup, p: dict[str, float]) -> None:
    p.update(multiple=1.0, ramp_min=0.0)


_Maker = Callable[[np.random.Generator, _Canvas, _Setup, dict[str, float]], None]


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    kind: Kind
    per_day: tuple[float, float]  # log-uniform range of the brand's size
    make: _Maker
    description: str
    holiday: bool = False
    awake_onset: bool = False  # onset between 9 and 22 h local time (else any time)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("fast_storm", "storm", (10, 20_000), _fast_storm, "×10–×200 within 2–30 min, mostly angry"),
        Family("slow_storm", "storm", (10, 200), _slow_storm, "small brand, ×20–×60 over 1.5–3 h", awake_onset=True),
        Family("shift", "storm", (1_500, 4_000), _shift, "busy brand, volume ×1.25–1.5, negative share → 45–70 %"),
        Family("pile_on", "storm", (20, 100), _pile_on, "an influencer's post, then angry replies"),
        Family("any_storm", "storm", (3, 20_000), _any_storm, "ramps 2 min–6 h, peaks ×1.2–×200"),
        Family("quiet", "benign", (3, 20_000), _nothing, "an ordinary week"),
        Family("praise", "benign", (3, 20_000), _praise, "a viral wave of praise, ×5–×50"),
        Family("tv_spike", "benign", (3, 20_000), _tv_spike, "a TV spot, ×3–×20 for 20–90 min"),
        Family("campaign", "benign", (3, 20_000), _campaign, "a campaign day, ×1.5–×4 for 8–12 h"),
        Family("bot_flood", "benign", (3, 20_000), _bot_flood, "10–25 accounts repeating accusations for 1–4 h"),
        Family("holiday", "benign", (3, 20_000), _nothing, "a public holiday in the judged week", holiday=True),
    )
}
STORM_FAMILIES = tuple(n for n, f in FAMILIES.items() if f.kind == "storm")
BENIGN_FAMILIES = tuple(n for n, f in FAMILIES.items() if f.kind == "benign")


def draw(family: str, seed: int, *, history: timedelta = HISTORY) -> FamilyDraw:
    """One brand from ``family``, deterministic for ``seed``."""
    spec = FAMILIES[family]
    rng = np.random.default_rng([seed, sum(map(ord, family))])
    per_day = _log_uniform(rng, *spec.per_day)
    rhythm = RHYTHMS[int(rng.integers(len(RHYTHMS)))]
    # Start at a random Monday-to-Sunday midnight in 2025–2026, Berlin time (DST included).
    day0 = datetime(2025, 1, 6, tzinfo=BERLIN) + timedelta(days=int(rng.integers(0, 700)))
    start = int(day0.astimezone(UTC).timestamp())
    judged_from = start + int(history.total_seconds())
    if spec.kind == "storm" and spec.awake_onset:
        # A slow storm is measured against a normal hour: it starts when people are awake.
        onset = judged_from + int(rng.integers(0, 2)) * 86400 + int(rng.integers(9 * 12, 22 * 12)) * BUCKET_S
        end = onset + int(STORM_TAIL.total_seconds())
    elif spec.kind == "storm":
        onset = judged_from + int(rng.integers(0, 2 * 86400 // BUCKET_S)) * BUCKET_S
        end = onset + int(STORM_TAIL.total_seconds())
    else:
        # The event somewhere in the judged week, at a plausible hour for it.
        onset = judged_from + int(rng.integers(1, 6)) * 86400 + int(rng.integers(8 * 12, 22 * 12)) * BUCKET_S
        end = judged_from + int(JUDGED_WEEK.total_seconds())
    n = (end - start) // BUCKET_S
    holiday = datetime.fromtimestamp(onset, BERLIN).toordinal() if spec.holiday else None
    normal = _seasonal(rhythm, per_day, start, n, rng, holiday)
    negative_share = rng.uniform(0.08, 0.2)

    def zeros() -> NDArray[np.int64]:
        return np.zeros(n, dtype=np.int64)

    canvas = _Canvas(rng, start, n, normal, zeros(), zeros(), zeros(), zeros(), zeros(), zeros(), np.zeros(n))
    _background(canvas, negative_share)
    setup = _Setup(negative_share, (onset - start) // BUCKET_S)
    params: dict[str, float] = {"negative_share": negative_share}
    spec.make(rng, canvas, setup, params)
    recall, false_positive = rng.uniform(0.5, 0.85), rng.uniform(0.03, 0.10)
    params.update(recall=recall, false_positive=false_positive)
    negatives, toxic = _scored(canvas, recall, false_positive, rng.uniform(0.5, 0.8))
    event_end = None
    if spec.kind == "storm" or spec.name != "quiet":
        after = np.nonzero(canvas.event[setup.onset_index :])[0]
        event_end = onset + (int(after[-1]) + 1) * BUCKET_S if len(after) else onset + BUCKET_S
    return FamilyDraw(
        family=family,
        kind=spec.kind,
        seed=seed,
        per_day=per_day,
        start=start,
        bucket_s=BUCKET_S,
        judged_from=judged_from,
        onset=onset if spec.name not in ("quiet", "holiday") else None,
        event_end=event_end if spec.name not in ("quiet", "holiday") else None,
        mentions=canvas.calm + canvas.angry,
        negatives=np.minimum(negatives, canvas.calm + canvas.angry),
        toxic=np.minimum(toxic, canvas.calm + canvas.angry),
        reach=canvas.reach,
        authors=np.minimum(canvas.authors, canvas.calm + canvas.angry),
        event_mentions=canvas.event,
        normal_per_bucket=normal,
        event_rate=canvas.event_rate,
        params=params,
    )
