"""The whole of warner's configuration: the root model that composes each package's section.

Only the composition layer (cli, service, commands) imports this module: a stage takes its own
section (``DetectConfig``, ``RedisConfig`` …), never the root. The root also checks what no single
section can: that every name one section uses for another's (a person, a channel, a brand) exists.

It does not live in ``warner/config/__init__.py`` because a package's ``__init__`` runs before any of
its modules: every section importing ``warner.config.common`` would then load the root, which loads
every section — the import cycle this layout exists to avoid.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from warner.config.common import (
    CROSS_SECTION,
    WITHOUT_CROSS_CHECKS,
    Duration,
    Loc,
    Section,
    format_loc,
    reject_repeated,
)
from warner.detect.config import DetectConfig
from warner.digest.config import DigestConfig
from warner.ingest.config import BrandConfig, IngestConfig
from warner.ingest.sources.config import SourcesConfig
from warner.notify.config import NotifyConfig
from warner.oncall.config import OncallConfig
from warner.oncall.policy_config import EscalationConfig, escalation_problems, policy_problems
from warner.respond.config import RespondConfig
from warner.store.config import RedisConfig, RetentionConfig
from warner.web.config import WebConfig


class WorkerConfig(Section):
    batch_size: int = Field(
        4000,
        gt=0,
        le=10_000,
        description="Stream entries a worker reads at once. What a batch costs once (per brand a lock, a state "
        "read and script calls; with the API and Redis on the same cores, a switch between processes) is paid "
        "less often with larger ones: bench/load.py on 2 cores, flat out, took 21,000/s with 1000 and 29,300/s "
        "with 4000. A quiet stream gives small batches anyway; a batch that fails is retried mention by mention.",
    )
    block: Duration = Field(timedelta(seconds=1), description="How long a read waits for new entries.")
    claim_idle: Duration = Field(
        timedelta(seconds=30),
        description="Reclaim a dead consumer's entries after this.",
    )
    max_deliveries: int = Field(5, gt=0, description="Dead-letter an entry that failed this often.")
    metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Serve /metrics, /healthz and /readyz here when running --role worker.",
    )
    forget_consumers_after: Duration = Field(
        timedelta(hours=1),
        description="Remove idle consumers without pending entries after this.",
    )
    start_timeout: Duration = Field(
        timedelta(minutes=3),
        description="A worker that cannot reach Redis at start waits this long (one log line per retry), "
        "then exits 1 so systemd or compose start it again.",
    )


class LogConfig(Section):
    level: Literal["debug", "info", "warning", "error"] = Field("info", description="--log-level overrides it.")
    format: Literal["auto", "json", "console"] = Field(
        "auto",
        description="Of `warner run`: auto = readable on a terminal, JSON lines otherwise. "
        "Other commands always log readable text.",
    )



class Config(Section):
    """The whole of warner's configuration."""

    brands: list[BrandConfig] = Field(
        default_factory=list, description="Every brand warner listens for, with the words that name it."
    )
    bucket: Duration = Field(timedelta(minutes=1), description="Width of a counting bucket.")
    ingest: IngestConfig = Field(
        IngestConfig(), description="The HTTP API: POST /v1/mentions, health and /metrics."
    )
    redis: RedisConfig = Field(
        RedisConfig(), description="Where mentions, counts and incidents are kept: a Redis, or an embedded one."
    )
    worker: WorkerConfig = Field(WorkerConfig(), description="The workers that count, score and detect.")
    retention: RetentionConfig = Field(RetentionConfig(), description="How long what is kept in Redis stays.")
    detect: DetectConfig = Field(DetectConfig(), description="When a brand's volume or mood becomes an alert.")
    log: LogConfig = Field(LogConfig(), description="What is logged (to stderr), and how.")
    oncall: OncallConfig = Field(OncallConfig(), description="People, teams and schedules: who is on call when.")
    notify: NotifyConfig = Field(
        NotifyConfig(), description="The channels pages go out on, and how hard each is tried."
    )
    escalation: EscalationConfig = Field(
        EscalationConfig(), description="Who is paged, in which order, for which severity and time."
    )
    digest: DigestConfig = Field(DigestConfig(), description="The weekly digest.")
    respond: RespondConfig = Field(RespondConfig(), description="Drafts of the first public answers to an incident.")
    sources: SourcesConfig = Field(
        SourcesConfig(), description="Pulled sources (RSS/Atom, Mastodon, Bluesky) and how failures are retried."
    )
    web: WebConfig = Field(WebConfig(), description="The web console for responders: incidents, posts, drafts.")

    @model_validator(mode="after")
    def _sections_agree(self, info: ValidationInfo) -> Config:
        """Every name one section uses for another's (a person, a channel, a brand) exists there — all
        mismatches at once, each at the key that names it, so one run of check-config lists them all."""
        if info.context and info.context.get(WITHOUT_CROSS_CHECKS):
            return self
        problems = cross_section_problems(self)
        if problems:
            raise ValidationError.from_exception_data(
                "Config",
                [
                    InitErrorDetails(type=PydanticCustomError(CROSS_SECTION, "{message}", {"message": m}), loc=loc,
                                     input=None)  # fmt: skip
                    for loc, m in problems
                ],
            )
        return self

    @field_validator("brands")
    @classmethod
    def _unique_brands(cls, brands: list[BrandConfig]) -> list[BrandConfig]:
        reject_repeated("brand", [b.name for b in brands])
        return brands

    @field_validator("bucket")
    @classmethod
    def _bucket_divides_a_day(cls, bucket: timedelta) -> timedelta:
        seconds = bucket.total_seconds()
        if seconds < 1 or seconds != int(seconds) or 86400 % int(seconds):
            raise ValueError("bucket must be a whole number of seconds that divides a day, e.g. 1m, 5m, 1h")
        return bucket

    @property
    def redis_url(self) -> str | None:
        """REDIS_URL in the environment wins over the file; empty means embedded."""
        return self.redis.effective_url()

    def brand(self, name: str) -> BrandConfig | None:
        return next((b for b in self.brands if b.name == name), None)



# The keys (a section, or one key of it) each cross-section check reads: it is skipped while one of them, or a
# key inside it, is broken (defaults standing in for a broken key would make it report names as unknown that are
# merely unreadable). The escalation checks read only its policies and routes: a broken group_wait hides nothing.
_CROSS_CHECKS_READ = {
    "escalation_policies": ("escalation.policies", "escalation.routes"),
    "escalation_names": ("escalation.policies", "oncall"),
    "digest_recipients": ("digest", "oncall"),
    "escalation_channels": ("escalation.policies", "notify"),
    "source_names": ("ingest", "sources"),
    "feed_brands": ("sources", "brands"),
}


def _reads_broken(reads: tuple[str, ...], broken: frozenset[str]) -> bool:
    return any(r == b or r.startswith(b + ".") or b.startswith(r + ".") for r in reads for b in broken)


def cross_section_problems(config: Config, broken: frozenset[str] = frozenset()) -> list[tuple[Loc, str]]:
    """(location, message) for every name one section uses and another does not define, and every problem of
    the escalation policies and routes (``CHECKED_BY_CONFIG``): all of them, each at its own key.

    ``broken`` holds the dotted keys (``oncall``, ``escalation.policies``) whose values were invalid and replaced
    by defaults: checks reading them are left out.
    """
    run = {name for name, reads in _CROSS_CHECKS_READ.items() if not _reads_broken(reads, broken)}
    problems: list[tuple[Loc, str]] = []
    if "escalation_policies" in run:
        for i, policy in enumerate(config.escalation.policies):
            problems += policy_problems(policy, ("escalation", "policies", i))
        problems += escalation_problems(config.escalation, ("escalation",))
    if "escalation_names" in run:
        problems += _escalation_names(config)
    if "digest_recipients" in run:
        people = {p.id for p in config.oncall.people}
        problems += [
            (("digest", "recipients", i), f"unknown person {name!r} (oncall.people: {_listing(people)})")
            for i, name in enumerate(config.digest.recipients)
            if name not in people
        ]
        teams = {t.id for t in config.oncall.teams}
        problems += [
            (("digest", "announce_to", i), f"unknown team {name!r} (oncall.teams: {_listing(teams)})")
            for i, name in enumerate(config.digest.announce_to)
            if name not in teams
        ]
    if "escalation_channels" in run:
        channels = set(config.notify.channels)
        for (i, j), step in _steps(config):
            problems += [
                (
                    ("escalation", "policies", i, "steps", j, "channels", k),
                    f"channel {channel!r} is not configured in notify (configured: {_listing(channels)})",
                )
                for k, channel in enumerate(step.channels or [])
                if channel not in channels
            ]
    if "source_names" in run:
        problems += _source_names(config)
    if "feed_brands" in run:
        brands = {b.name for b in config.brands}
        for kind in ("rss", "mastodon", "bluesky"):
            problems += [
                (("sources", kind, i, "brand"), f"unknown brand {c.brand!r} (brands: {_listing(brands)})")
                for i, c in enumerate(getattr(config.sources, kind))
                if c.brand and c.brand not in brands
            ]
    return problems


def _listing(names: set[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _steps(config: Config) -> list[tuple[tuple[int, int], Any]]:
    return [((i, j), step) for i, p in enumerate(config.escalation.policies) for j, step in enumerate(p.steps)]


def _escalation_names(config: Config) -> list[tuple[Loc, str]]:
    """Persons, schedules and teams the policies name, each checked against its list in ``oncall``."""
    people = {p.id for p in config.oncall.people}
    schedules = {s.id for s in config.oncall.schedules}
    teams = {t.id for t in config.oncall.teams}
    problems: list[tuple[Loc, str]] = []
    for (i, j), step in _steps(config):
        at: Loc = ("escalation", "policies", i, "steps", j)
        for key in ("notify_persons", "notify_next_person"):
            problems += [
                ((*at, key, k), f"unknown person {name!r} (oncall.people: {_listing(people)})")
                for k, name in enumerate(getattr(step, key) or [])
                if name not in people
            ]
        problems += [
            ((*at, "call", k), f"unknown person {name!r} (oncall.people: {_listing(people)})")
            for k, name in enumerate(step.call_persons)
            if name not in people
        ]
        for key, schedule in (("notify_on_call", step.notify_on_call), ("call", step.call_on_call)):
            if schedule and schedule not in schedules:
                problems.append(
                    ((*at, key), f"unknown schedule {schedule!r} (oncall.schedules: {_listing(schedules)})")
                )
        if step.notify_team_chat and step.notify_team_chat not in teams:
            problems.append(
                ((*at, "notify_team_chat"), f"unknown team {step.notify_team_chat!r} (oncall.teams: {_listing(teams)})")
            )
    return problems


def _source_names(config: Config) -> list[tuple[Loc, str]]:
    """Pushed (ingest.sources) and pulled (sources.*) sources share one name space."""
    named: list[tuple[Loc, str]] = [
        (("ingest", "sources", i, "name"), s.name) for i, s in enumerate(config.ingest.sources)
    ]
    for kind in ("rss", "mastodon", "bluesky"):
        named += [(("sources", kind, i, "name"), c.name) for i, c in enumerate(getattr(config.sources, kind))]
    first: dict[str, Loc] = {}
    problems: list[tuple[Loc, str]] = []
    for loc, name in named:
        if name in first and first[name][0] != loc[0]:  # repeats inside one section are that section's error
            problems.append((loc, f"source name {name!r} is already used by {format_loc(list(first[name]))}"))
        first.setdefault(name, loc)
    return problems


