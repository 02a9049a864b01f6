"""The detect section: one default for every brand and every bucket width (see docs/detection.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from pydantic import Field, field_validator, model_validator

from warner.config.common import Duration, Section, TimeZoneName
from warner.ingest.config import BrandConfig


class DetectConfig(Section):
    """The storm detector. One default for every brand and every bucket width; see detect/."""

    renamed_keys = {"timezone": "time_zone"}  # read until 0.3; check-config warns

    sensitivity: float = Field(
        5.0,
        gt=0,
        description="Volume evidence that opens an episode on a brand without history (its own bar takes over "
        "as it has some, see alert_budget_per_week); lower = earlier and noisier.",
    )
    windows: list[Duration] = Field(
        default_factory=lambda: [timedelta(hours=1), timedelta(hours=3)],
        min_length=1,
        description="Volume is compared with the baseline over each of these trailing windows.",
    )
    scale_half_life: Duration = Field(timedelta(days=7), description="How fast each window learns its normal spread.")
    min_excess: float = Field(
        10,
        ge=0,
        description="Mentions above expected, at least, before any episode opens.",
    )
    min_negative_excess: float = Field(
        3, ge=0, description="Negative mentions above normal (recent half hour) before a negativity alert."
    )
    negativity_at: float = Field(
        4.0,
        gt=0,
        description="Evidence (log10 likelihood ratio of a tripled negative share) from which the mood turned "
        "and someone is paged; a brand's own history may raise it (page_budget_per_week), never lower it.",
    )
    confirm_mood_for: Duration = Field(
        timedelta(minutes=5),
        description="How long the mood must have stayed turned before it pages (warning): the largest part of the "
        "time to alert. Shorter pages earlier, and a bot flood's first minutes (twenty new accounts) may page; "
        "0s pages at the first turned bucket. At most 1h.",
    )
    page_at_once_from: int | None = Field(
        12,
        ge=1,
        description="Fresh authors with a negative post within one minute (per minute of a longer bucket) from "
        "which a turned mood pages at once, without confirm_mood_for; the bucket is judged as soon as its counts "
        "reach it, before it closes. Twelve new people in a minute is a storm's first seconds and more than a "
        "bot flood of a few dozen accounts posting every few minutes brings; lower pages sooner and lets faster "
        "floods page (none = always wait for confirm_mood_for).",
    )
    negativity_window: Duration = Field(timedelta(minutes=30), description="Half-life of the negative-share window.")
    slow_negativity_window: Duration = Field(
        timedelta(hours=3), description="Half-life of the second, slower one: complaints that grow over days."
    )
    cooldown: Duration = Field(
        timedelta(hours=1),
        description="An episode ends after this long without evidence.",
    )
    merge_gap: Duration = Field(
        timedelta(hours=2),
        description="A new alert this soon after an episode continues it.",
    )
    time_zone: TimeZoneName = Field("Europe/Berlin", description="Hour-of-week profiles are in this local time.")
    prior_per_day: float = Field(
        10.0,
        gt=0,
        description="Mentions a day assumed for a brand warner has not learnt yet.",
    )
    warning_at: float = Field(3.0, gt=0, description="Severity index from which an episode is a warning.")
    critical_at: float = Field(6.0, gt=0, description="Severity index from which an episode is critical.")
    page_budget_per_week: float = Field(
        0.01,
        gt=0,
        description="Pages (warning or critical) a brand's normal ups and downs may cause a week: each brand's "
        "negativity bar is set from its own history so that about this many would cross it.",
    )
    alert_budget_per_week: float | None = Field(
        0.5,
        gt=0,
        description="Volume alerts a brand may have a week: each brand's bar is set from its own history "
        "so that about this many would cross it (none = the fixed bar ``sensitivity``).",
    )
    novelty_rate: float | None = Field(
        1.0,
        gt=0,
        description="A burst is routine (no alert) if the brand had this many a week at least as big (none = off).",
    )
    novelty_half_life: Duration = Field(timedelta(days=3), description="How fast a brand forgets its past bursts.")
    lateness: Duration = Field(
        timedelta(seconds=30),
        description="Wait this long after a bucket ends before closing it.",
    )

    @model_validator(mode="after")
    def _ordered_levels(self) -> DetectConfig:
        if self.critical_at <= self.warning_at:
            raise ValueError("critical_at must be above warning_at")
        return self

    @field_validator("confirm_mood_for")
    @classmethod
    def _within_an_hour(cls, value: timedelta) -> timedelta:
        if not timedelta(0) <= value <= timedelta(hours=1):
            raise ValueError("must be between 0s and 1h")
        return value


class DetectSettings(Protocol):
    """What the detect stage reads of warner's config: its own section, the bucket width and the brands. The root
    ``Config`` is one; declared here so that detect never imports the root."""

    @property
    def detect(self) -> DetectConfig: ...

    @property
    def bucket(self) -> timedelta: ...

    @property
    def brands(self) -> list[BrandConfig]: ...

    def brand(self, name: str) -> BrandConfig | None: ...
