"""What a brand's mention volume normally is, at this hour of this weekday.

The expected count of a bucket is ``level x daily[hour] x weekly[hour of week] x hours``:

* ``level`` — mentions per hour with the season taken out; an exponentially weighted mean
  with a half-life of days, so it follows a slow trend (a growing brand) but not a storm.
* ``daily`` — 24 hour-of-day factors; learnt within days, because every day teaches them.
* ``weekly`` — 168 hour-of-week factors *relative to* the daily profile; every week
  teaches each of them only once, so they start at 1 and are shrunk towards 1 until a few
  weeks are seen (Saturday evening is not Monday morning, but only after a few Saturdays).

Updates are winsorised (a storm is clipped to a few standard deviations above the
expectation before it is learnt), so a storm does not become tomorrow's normal. The
dispersion ``alpha`` of the negative binomial is learnt from the same residuals.
Everything is plain floats, serialised to a small dict for Redis.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from warner.store.tolerant import known_fields

HOURS_PER_WEEK = 168


@dataclass(frozen=True, slots=True)
class BaselineSettings:
    """Time constants in hours; they do not depend on the bucket width."""

    level_half_life_h: float = 72.0
    daily_half_life_days: float = 7.0  # observations of one hour of the day
    weekly_half_life_weeks: float = 3.0  # observations of one hour of the week
    daily_prior_days: float = 2.0  # the daily profile is trusted after ~2 days
    weekly_prior_weeks: float = 1.5  # the weekly profile after ~1.5 weeks
    dispersion_half_life_h: float = 72.0
    alpha_prior: float = 0.3
    alpha_min: float = 0.02
    alpha_max: float = 2.0
    prior_hours: float = 2.0  # weight of the prior level, in hours of data
    warmup_hours: float = 2.0  # learn unclipped until this much data is seen
    max_factor: float = 20.0  # clip a single seasonal learning target


def _decay(step_h: float, half_life_h: float) -> float:
    """Learning rate of an exponentially weighted mean updated every ``step_h`` hours."""
    kept: float = 0.5 ** (step_h / half_life_h)  # float ** float is typed Any (a negative base gives complex)
    return 1.0 - kept


@dataclass(slots=True)
class SeasonalBaseline:
    """Online seasonal baseline of one brand's per-bucket counts (one series)."""

    level: float  # mentions per hour, deseasonalised
    daily: list[float] = field(default_factory=lambda: [1.0] * 24)
    weekly: list[float] = field(default_factory=lambda: [1.0] * HOURS_PER_WEEK)
    daily_seen_h: list[float] = field(default_factory=lambda: [0.0] * 24)  # hours of data per slot
    weekly_seen_h: list[float] = field(default_factory=lambda: [0.0] * HOURS_PER_WEEK)
    var_excess: float = 0.0  # EW mean of (x - mu)^2 - mu
    var_scale: float = 0.0  # EW mean of mu^2
    seen_h: float = 0.0  # hours of data learnt in total
    last_slot: int = -1

    @classmethod
    def new(cls, per_day: float, settings: BaselineSettings) -> SeasonalBaseline:
        """A new brand: ``per_day`` mentions a day expected until data says otherwise."""
        level = max(per_day, 0.01) / 24.0
        scale = level**2
        return cls(level=level, var_excess=settings.alpha_prior * scale, var_scale=scale)

    # -- reading -------------------------------------------------------------------------

    def factor(self, slot: int, s: BaselineSettings) -> float:
        """Seasonal factor of hour-of-week ``slot`` (0 = Monday 00-01 local time)."""
        return self._daily_part(slot % 24, s) * self._weekly_part(slot, s)

    def expected(self, slot: int, hours: float, s: BaselineSettings) -> float:
        """Expected count of a bucket ``hours`` long in ``slot``."""
        return self.level * self.factor(slot, s) * hours

    def alpha(self, s: BaselineSettings) -> float:
        if self.var_scale <= 0:
            return s.alpha_prior
        return min(s.alpha_max, max(s.alpha_min, self.var_excess / self.var_scale))

    def sd(self, mu: float, s: BaselineSettings) -> float:
        return math.sqrt(mu + self.alpha(s) * mu * mu)

    # -- learning ------------------------------------------------------------------------

    def learn(self, slot: int, hours: float, x: float, clip_sd: float, s: BaselineSettings) -> None:
        """Learn one bucket's count ``x`` (winsorised at ``clip_sd`` standard deviations)."""
        mu = self.expected(slot, hours, s)
        if self.seen_h >= s.warmup_hours:
            # "+ 1": at 1-minute buckets a quiet brand expects 0.02 a bucket, and clipping
            # every single mention to 0.44 would learn half its true volume.
            x = min(x, mu + clip_sd * self.sd(mu, s) + 1.0)
        hour = slot % 24

        a = _decay(hours, s.dispersion_half_life_h)
        self.var_excess += a * ((x - mu) ** 2 - mu - self.var_excess)
        self.var_scale += a * (mu * mu - self.var_scale)

        base = max(self.level * hours, 1e-9)
        target_day = min(s.max_factor, x / (base * self._weekly_part(slot, s)))
        target_week = min(s.max_factor, x / (base * self._daily_part(hour, s)))
        # A running mean over the first observations (no bias towards the initial 1.0; the
        # shrinkage in ``factor`` is the prior), exponential forgetting after that.
        a_day = max(_decay(hours, s.daily_half_life_days), hours / (self.daily_seen_h[hour] + hours))
        a_week = max(_decay(hours, s.weekly_half_life_weeks), hours / (self.weekly_seen_h[slot] + hours))
        self.daily[hour] += a_day * (target_day - self.daily[hour])
        self.weekly[slot] += a_week * (target_week - self.weekly[slot])
        self.daily_seen_h[hour] += hours
        self.weekly_seen_h[slot] += hours

        rate = x / (max(self.factor(slot, s), 1e-6) * hours)
        a_level = max(
            _decay(hours, s.level_half_life_h),
            hours / (self.seen_h + hours + s.prior_hours),
        )
        self.level += a_level * (rate - self.level)
        self.seen_h += hours

        if self.last_slot >= 0 and slot < self.last_slot:  # a new week began
            self._renormalise()
        self.last_slot = slot

    def _daily_part(self, hour: int, s: BaselineSettings) -> float:
        d = 0.25 * self.daily[(hour - 1) % 24] + 0.5 * self.daily[hour] + 0.25 * self.daily[(hour + 1) % 24]
        d_days = self.daily_seen_h[hour]
        return (d_days * d + s.daily_prior_days) / (d_days + s.daily_prior_days)

    def _weekly_part(self, slot: int, s: BaselineSettings) -> float:
        weeks = self.weekly_seen_h[slot]
        return (weeks * self.weekly[slot] + s.weekly_prior_weeks) / (weeks + s.weekly_prior_weeks)

    def _renormalise(self) -> None:
        """Keep both profiles at mean 1 so ``level`` stays the mean hourly rate."""
        mean_d = sum(self.daily) / 24
        if mean_d > 0:
            self.daily = [v / mean_d for v in self.daily]
            self.level *= mean_d
        mean_w = sum(self.weekly) / HOURS_PER_WEEK
        if mean_w > 0:
            self.weekly = [v / mean_w for v in self.weekly]
            self.level *= mean_w

    # -- persistence ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SeasonalBaseline:
        """A baseline saved by this or another version: unknown fields are dropped, missing ones default."""
        return cls(**known_fields(cls, data))
