"""One typed configuration for warner, read from a YAML file and the environment.

Secrets never live in the YAML: a source names the environment variable that holds its
token (``token_env``), and the token is read from there when the service starts. Errors
name the file, the field path and the line, because the person reading them is usually
fixing a config on a server at an inconvenient hour.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import types
import typing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

DEFAULT_CONFIG_NAME = "warner.yaml"
CONFIG_ENV = "WARNER_CONFIG"
REDIS_URL_ENV = "REDIS_URL"
CROSS_SECTION = "cross_section"  # the error type of a name one section uses and another lacks
_WITHOUT_CROSS_CHECKS = "warner.config:without_cross_checks"  # validation context: leave them to the caller
# Validation context: a section's checks that can find several problems (escalation routes and steps) leave them
# to cross_section_problems, which reports each at its own key and line instead of the first at the section's.
CHECKED_BY_CONFIG = "warner.config:checked_by_config"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
    None: 1,
}


def _parse_duration(value: Any) -> Any:
    """Accept '90s', '5m', '2h', '7d', '1w' or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '5m' or '7d'")
    try:
        if isinstance(value, int | float):
            return timedelta(seconds=value)
        if isinstance(value, str):
            match = _DURATION.match(value)
            if match:
                return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    except (OverflowError, ValueError):  # .inf, nan, 1e300: not a duration anyone means
        raise ValueError(f"duration {value!r} is out of range") from None
    raise ValueError(f"expected a duration such as '30s', '5m' or '7d', got {value!r}")


Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]


def parse_duration_text(text: str) -> timedelta:
    """'5m', '1h', '30s' to a timedelta (for command-line options)."""
    value = _parse_duration(text)
    if not isinstance(value, timedelta) or value.total_seconds() <= 0:
        raise ValueError(f"not a duration: {text!r} (e.g. 5m, 1h)")
    return value


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


def _known_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}, e.g. Europe/Berlin") from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]  # an IANA zone, checked when the config is read


def _reject_repeated(kind: str, names: list[str]) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{kind} names must be unique, repeated: {', '.join(repeated)}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrandConfig(_Section):
    """One brand: its id, the names and words that match it, and who answers for it."""

    name: Slug = Field(description="Stable id used in keys, URLs and the mention's `brand` field.")
    display_name: str | None = Field(None, description="Name shown in pages, drafts and the digest (default: name).")
    aliases: list[str] = Field(
        default_factory=list,
        description="Names that mean this brand: a word or phrase, also as #hashtag or @handle.",
    )
    products: list[str] = Field(default_factory=list, description="Product names, matched like aliases.")
    handles: list[str] = Field(
        default_factory=list,
        description="Account names (@kesselberg_bier), matched with or without the @.",
    )
    hashtags: list[str] = Field(
        default_factory=list,
        description="Hashtags (kesselberg or #kesselberg) matched only as #kesselberg.",
    )
    query: str | None = Field(
        None,
        description='Boolean query, e.g. ("Kesselberg" OR Kesselberger) AND NOT Tunnel; see warner.ingest.query.',
    )
    exclude: list[str] = Field(default_factory=list, description="Terms that disqualify a match.")
    language: Literal["de", "en"] = Field("de", description="Language of the brand's audience: its drafts' default.")
    team: str | None = Field(None, description="Who looks after the brand, e.g. social-media (free text, for people).")
    expected_per_day: float | None = Field(
        None,
        gt=0,
        description="Mentions a day expected before warner has learnt the brand (default detect.prior_per_day).",
    )
    alert_budget_per_week: float | None = Field(
        None,
        gt=0,
        description="At most this many alert episodes a week: raises the threshold if needed.",
    )

    @field_validator("aliases", "products", "exclude", "handles", "hashtags")
    @classmethod
    def _terms_can_match(cls, terms: list[str], info: ValidationInfo) -> list[str]:
        from warner.ingest.brands import term_key

        kind = {"handles": "handle", "hashtags": "hashtag"}.get(info.field_name or "", "alias")
        for term in terms:
            term_key(term, kind)
        return terms

    @field_validator("query")
    @classmethod
    def _query_parses(cls, query: str | None) -> str | None:
        from warner.ingest.brands import check_query

        if query is not None:
            check_query(query)
        return query

    @property
    def label(self) -> str:
        return self.display_name or self.name

    @property
    def names(self) -> list[str]:
        """The brand's own words (name, aliases, products, handles, hashtags), e.g. to leave out of its top terms."""
        return [self.name, *self.aliases, *self.products, *self.handles, *self.hashtags]


class RateLimitConfig(_Section):
    """A source's sustained rate and burst, enforced in Redis across every API process (ingest/ratelimit.py).

    Two independent token buckets: mentions (a request costs its number of mentions) and
    requests (a request costs one). A request must fit both, or it is refused whole with 429.
    """

    mentions_per_second: float | None = Field(
        None, gt=0, le=1e6, allow_inf_nan=False, description="Sustained mentions a second (none = no mention limit)."
    )
    mentions_burst: int | None = Field(
        None,
        ge=1,
        le=10**12,
        description="Mentions that may arrive at once; default one second's worth, at least max_mentions_per_request.",
    )
    requests_per_second: float | None = Field(
        None, gt=0, le=1e6, allow_inf_nan=False, description="Sustained requests a second (none = no request limit)."
    )
    requests_burst: int | None = Field(
        None, ge=1, le=10**12, description="Requests that may arrive at once; default one second's worth (at least 1)."
    )

    @model_validator(mode="after")
    def _a_burst_needs_its_rate(self) -> RateLimitConfig:
        for kind in ("mentions", "requests"):
            if getattr(self, f"{kind}_burst") is not None and getattr(self, f"{kind}_per_second") is None:
                raise ValueError(f"{kind}_burst is set but {kind}_per_second is not")
        if self.mentions_per_second is None and self.requests_per_second is None:
            raise ValueError("rate_limit needs mentions_per_second and/or requests_per_second")
        return self


_ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"


class SourceConfig(_Section):
    """A producer of mentions that authenticates with its own bearer token (and, optionally, signs requests)."""

    name: Slug = Field(description="Unique source name (also among sources.*); the `source` of its mentions.")
    token_env: str = Field(
        pattern=_ENV_NAME,
        description="Environment variable holding the token.",
    )
    signing_secret_env: str | None = Field(
        None,
        pattern=_ENV_NAME,
        description="Environment variable holding the HMAC signing secret(s), comma-separated while rotating; "
        "set = every request must be signed (ingest/signing.py).",
    )
    signature_tolerance: Duration = Field(
        timedelta(minutes=5),
        description="How far a signed request's timestamp may be from now, either way.",
    )
    rate_limit: RateLimitConfig | None = Field(None, description="Requests beyond it get 429 (none = unlimited).")

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_yaml(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("token" in data or "secret" in data):
            raise ValueError(
                "secrets are not read from YAML: put the token in an environment variable "
                "and name that variable in token_env"
            )
        if isinstance(data, dict) and ("signing_secret" in data or "signing_secrets" in data):
            raise ValueError(
                "secrets are not read from YAML: put the signing secret in an environment variable "
                "and name that variable in signing_secret_env"
            )
        return data

    @field_validator("signature_tolerance")
    @classmethod
    def _sensible_tolerance(cls, tolerance: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= tolerance <= timedelta(days=1):
            raise ValueError("signature_tolerance must be between 1s and 1d, e.g. 5m")
        return tolerance

    def token(self) -> str | None:
        value = os.environ.get(self.token_env, "")
        return value or None

    def signing_secrets(self) -> list[str] | None:
        """The secrets in ``signing_secret_env`` (comma-separated, blanks dropped); None if the source does not sign.

        An empty list means signing is configured but the variable is empty: the API then refuses
        every request of that source rather than accept unsigned ones.
        """
        if self.signing_secret_env is None:
            return None
        return [s.strip() for s in os.environ.get(self.signing_secret_env, "").split(",") if s.strip()]


class IngestConfig(_Section):
    host: str = Field(
        "127.0.0.1", description="Address the API listens on; beyond loopback only behind a TLS-terminating proxy."
    )
    port: int = Field(8080, ge=0, le=65535, description="Port of the API (0 = any free port).")
    max_body_bytes: int = Field(8 * 1024 * 1024, gt=0, description="A larger request body is refused with 413.")
    max_mentions_per_request: int = Field(
        10_000, gt=0, description="A request with more mentions is refused whole (split it)."
    )
    max_backlog: int = Field(200_000, gt=0, description="Stream backlog above which ingest answers 503.")
    retry_after: Duration = Field(
        timedelta(seconds=5), description="Retry-After of a 503 (backlog full, Redis unavailable)."
    )
    sources: list[SourceConfig] = Field(
        default_factory=list, description="Who may send mentions: each source with its own bearer token."
    )
    max_connections: int = Field(
        1024, gt=0, description="Open connections beyond this are closed at once (each costs a file descriptor)."
    )
    header_timeout: Duration = Field(
        timedelta(seconds=10),
        description="A request's headers must be complete this soon after the connection opened or the previous "
        "request ended (idle kept-alive connections close after it too).",
    )
    body_timeout: Duration = Field(
        timedelta(seconds=30),
        description="A request's body must arrive and its answer be ready this soon after its headers, else 408; "
        "a client that stops reading an answer this long is dropped.",
    )
    metrics_token_env: str | None = Field(
        None,
        pattern=_ENV_NAME,
        description="Variable holding a bearer token GET /metrics then requires (it shows each brand's scores).",
    )
    metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Serve /metrics on this port (same host) instead of the API's port, e.g. for a private network.",
    )

    @field_validator("header_timeout", "body_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("must be positive")
        return value

    def metrics_token(self) -> str | None:
        return os.environ.get(self.metrics_token_env, "") or None if self.metrics_token_env else None

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, sources: list[SourceConfig], info: ValidationInfo) -> list[SourceConfig]:
        _reject_repeated("source", [s.name for s in sources])
        largest = info.data.get("max_mentions_per_request")
        for i, source in enumerate(sources):
            burst = source.rate_limit.mentions_burst if source.rate_limit else None
            if largest is not None and burst is not None and burst < largest:
                raise ValueError(
                    f"sources[{i}].rate_limit.mentions_burst ({burst}) is below max_mentions_per_request "
                    f"({largest}): a full request of source {source.name!r} could never pass"
                )
        return sources


class RedisConfig(_Section):
    url: str | None = Field(
        None,
        description="redis://, rediss:// or unix:// URL of one server, or redis+cluster://host:port[,host:port…] "
        "of a Redis Cluster; empty = embedded Redis. REDIS_URL overrides.",
    )
    data_dir: Path | None = Field(
        None,
        description="Where the embedded Redis keeps its AOF; default XDG data dir.",
    )
    appendfsync: Literal["always", "everysec"] = Field(
        "always",
        description="Embedded Redis: always = an accepted mention survives a power cut; everysec = up to 1 s lost.",
    )
    max_connections: int = Field(
        100,
        gt=0,
        le=10_000,
        description="Redis connections one warner process may open; a command beyond waits up to 5 s for one.",
    )

    @field_validator("url")
    @classmethod
    def _usable_url(cls, url: str | None) -> str | None:
        """A cluster URL that cannot work (a database other than 0, no node) is a config error, not a crash at start."""
        if not url:
            return url
        return check_redis_url(url)


def check_redis_url(url: str) -> str:
    """``url`` if a Redis client can be made from it, else ValueError saying why (never quoting the URL:
    it may hold a password). The same test for ``redis.url`` and ``$REDIS_URL`` (warner.preflight)."""
    from redis.asyncio.connection import parse_url

    from warner.store.urls import check_url, cluster_nodes, is_cluster_url  # late: warner.store imports us

    check_url(url)
    single = cluster_nodes(url)[0] if is_cluster_url(url) else url
    try:
        options = parse_url(single)
    except ValueError as exc:
        raise ValueError(f"unusable Redis URL: {exc}") from None
    if single.lower().startswith("unix:") and not options.get("path"):
        raise ValueError("unusable Redis URL: unix:// needs the socket's path, e.g. unix:///run/redis/redis.sock")
    return url


class WorkerConfig(_Section):
    batch_size: int = Field(500, gt=0, le=10_000, description="Stream entries a worker reads at once.")
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
        description="Serve /metrics and /healthz here when running --role worker.",
    )
    forget_consumers_after: Duration = Field(
        timedelta(hours=1),
        description="Remove idle consumers without pending entries after this.",
    )


class RetentionConfig(_Section):
    dedupe: Duration = Field(timedelta(days=7), description="How long a (source, id) is remembered as seen.")
    buckets: Duration = Field(timedelta(days=35), description="How long per-bucket counters are kept.")


class DetectConfig(_Section):
    """The storm detector. One default for every brand and every bucket width; see detect/."""

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
    timezone: TimeZoneName = Field("Europe/Berlin", description="Hour-of-week profiles are in this local time.")
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


class LogConfig(_Section):
    level: Literal["debug", "info", "warning", "error"] = Field("info", description="--log-level overrides it.")
    format: Literal["auto", "json", "console"] = Field(
        "auto",
        description="Of `warner run`: auto = readable on a terminal, JSON lines otherwise. "
        "Other commands always log readable text.",
    )


# Imported here, below the shared bases (_Section, Duration, Slug) that warner.oncall.config builds on.
from warner.notify.config import NotifyConfig  # noqa: E402
from warner.oncall.config import OncallConfig  # noqa: E402
from warner.oncall.policy_config import EscalationConfig, escalation_problems, policy_problems  # noqa: E402
from warner.digest.config import DigestConfig  # noqa: E402
from warner.respond.config import RespondConfig  # noqa: E402
from warner.ingest.sources.config import SourcesConfig  # noqa: E402


class Config(_Section):
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

    @model_validator(mode="after")
    def _sections_agree(self, info: ValidationInfo) -> Config:
        """Every name one section uses for another's (a person, a channel, a brand) exists there — all
        mismatches at once, each at the key that names it, so one run of check-config lists them all."""
        if info.context and info.context.get(_WITHOUT_CROSS_CHECKS):
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
        _reject_repeated("brand", [b.name for b in brands])
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
        return os.environ.get(REDIS_URL_ENV) or self.redis.url or None

    def brand(self, name: str) -> BrandConfig | None:
        return next((b for b in self.brands if b.name == name), None)


Loc = tuple[str | int, ...]

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
        if step.notify_on_call and step.notify_on_call not in schedules:
            problems.append(
                (
                    (*at, "notify_on_call"),
                    f"unknown schedule {step.notify_on_call!r} (oncall.schedules: {_listing(schedules)})",
                )
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
            problems.append((loc, f"source name {name!r} is already used by {_format_loc(list(first[name]))}"))
        first.setdefault(name, loc)
    return problems


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a config file, located for a human."""

    file: str
    field: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


class ConfigError(Exception):
    """The config could not be loaded; ``issues`` says where and why."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def resolve_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config beats WARNER_CONFIG beats ./warner.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config; raise ConfigError naming file, field and line."""
    return read_config(path).strict()


def parse_config(text: str, filename: str = "<string>") -> Config:
    """Validate a config text; raise ConfigError naming file, field and line of every problem."""
    return parse_config_fully(text, filename).strict()


@dataclass(frozen=True, slots=True)
class ParsedConfig:
    """A config file read as far as it goes, so that one look reports every problem in it.

    ``config`` is the file with each broken key (``broken``, dotted) replaced by its default, so
    the checks that need a whole config (secrets, ports, Redis; ``warner.preflight``) can still
    run on the rest; it is None when the file is unreadable or nothing could be salvaged.
    """

    filename: str
    config: Config | None
    issues: list[ConfigIssue]
    broken: frozenset[str] = frozenset()
    node: yaml.Node | None = None

    def strict(self) -> Config:
        if self.issues or self.config is None:
            raise ConfigError(self.issues)
        return self.config

    def line_of(self, field: str) -> int | None:
        """The line of ``field`` (``ingest.sources[0].token_env``), or of its nearest ancestor in the file;
        None when not even its section is in the file (it has its default)."""
        parts = _parse_field(field)
        return _line(self.node, parts) if parts and _child(self.node, parts[0]) is not None else None

    def issue(self, field: str, message: str, *, file: str | None = None) -> ConfigIssue:
        """An issue about ``field``, located in this file (``file`` overrides, e.g. an environment variable)."""
        if file is not None:
            return ConfigIssue(file, field, None, message)
        return ConfigIssue(self.filename, field, self.line_of(field), message)

    def located(self, issue: ConfigIssue) -> ConfigIssue:
        """``issue`` with its line filled in, if it is about this file and has none."""
        if issue.line is not None or issue.file != self.filename:
            return issue
        return ConfigIssue(issue.file, issue.field, self.line_of(issue.field), issue.message)

    def is_broken(self, field: str) -> bool:
        """Whether ``field`` is (under) a key whose value was invalid: checks of it would check a default."""
        return any(field == b or field.startswith((b + ".", b + "[")) for b in self.broken)


def read_config(path: str | os.PathLike[str] | None = None) -> ParsedConfig:
    """Read the config file as far as it goes (see ParsedConfig); never raises ConfigError."""
    file = resolve_config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ParsedConfig(str(file), None, [ConfigIssue(str(file), "(file)", None, "config file not found")])
    except (OSError, UnicodeDecodeError) as exc:
        return ParsedConfig(str(file), None, [ConfigIssue(str(file), "(file)", None, f"cannot read: {exc}")])
    return parse_config_fully(text, str(file))


def parse_config_fully(text: str, filename: str = "<string>") -> ParsedConfig:
    """Validate a config text and collect every problem: each key's own, and — with the broken keys set
    aside — the names one section uses for another's, which pydantic only checks once all keys are valid."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return ParsedConfig(filename, None, [ConfigIssue(filename, "(yaml)", line, f"invalid YAML: {problem}")])
    if data is None:
        data = {}
    if not isinstance(data, dict):
        issue = ConfigIssue(filename, "(root)", 1, "the config must be a mapping of sections")
        return ParsedConfig(filename, None, [issue])
    try:
        return ParsedConfig(filename, Config.model_validate(data, context={CHECKED_BY_CONFIG: True}), [], node=node)
    except ValidationError as exc:
        errors = exc.errors()
    unreliable = _unreliable_id_lists(data, errors)
    issues = [_locate(filename, node, err, Config) for err in errors if not _follows_from(err, unreliable)]
    config, broken = _salvage(data, [e for e in errors if e["type"] != CROSS_SECTION])
    if config is not None and not any(e["type"] == CROSS_SECTION for e in errors):
        for loc, message in cross_section_problems(config, frozenset(broken)):
            issues.append(_locate(filename, node, {"loc": loc, "msg": message}))
    unique = sorted(dict.fromkeys(issues), key=issue_order)  # a key pydantic reports twice (each union member) once
    return ParsedConfig(filename, config, unique, frozenset(broken), node)


def issue_order(issue: ConfigIssue) -> tuple[bool, int, str]:
    """Problems in the order of the file, so they can be fixed top to bottom; those without a line (a default,
    an environment variable) last."""
    return issue.line is None, issue.line or 0, issue.field


# oncall lists whose ids other oncall keys name, and the message pydantic reports for a name not among them
_ID_LISTS = {"people": "unknown person ", "schedules": "unknown schedule "}


def _unreliable_id_lists(data: dict[Any, Any], errors: list[Any]) -> set[str]:
    """The oncall id lists (``people``, ``schedules``) that are broken or maybe misspelled (``persons:``).

    The references to them (team and rotation members, override persons, team schedules) are checked against
    the ids written there; with the list unreadable every reference would be reported as unknown, burying the
    one real cause under made-up ones.
    """
    oncall = data.get("oncall")
    if not isinstance(oncall, dict):
        return set()
    locs = [(err["type"], _clean_loc(err["loc"])) for err in errors]
    unknown = [loc for kind, loc in locs if kind == "extra_forbidden" and len(loc) == 2 and loc[0] == "oncall"]
    meant = [_closest_key(Config, loc) for loc in unknown]  # what each most likely means (None: no idea)
    unreliable: set[str] = set()
    for name in _ID_LISTS:
        if name not in oncall and any(m in (name, None) for m in meant):
            unreliable.add(name)  # an unknown key may be this list, misspelled
        if any(loc[:2] == ["oncall", name] and (len(loc) <= 3 or loc[3:] == ["id"]) for _, loc in locs):
            unreliable.add(name)  # the list, an item or an id is unreadable: its ids are not all known
    return unreliable


def _follows_from(err: Any, unreliable: set[str]) -> bool:
    """Whether ``err`` is an unknown-id error about a list whose ids cannot be read (see _unreliable_id_lists)."""
    if err["type"] != "value_error" or _clean_loc(err["loc"])[:1] != ["oncall"]:
        return False
    message = err["msg"].removeprefix("Value error, ")
    return any(message.startswith(_ID_LISTS[name]) for name in unreliable)


_SALVAGE_ROUNDS = 8


def _salvage(data: dict[Any, Any], errors: list[Any]) -> tuple[Config | None, set[str]]:
    """The config with every key that has an error dropped (its default stands in), and those keys.

    A key is dropped at the second level (``ingest.port``, ``oncall.people``) so that the rest of
    its section is still checked; if that does not make the section valid, the whole section goes.
    """
    pruned = copy.deepcopy(data)
    dropped: set[Loc] = set()
    for _ in range(_SALVAGE_ROUNDS):
        keys = {_key_to_drop(_clean_loc(err["loc"]), dropped) for err in errors}
        if None in keys:
            return None, set()
        for key in keys:
            _drop(pruned, key)  # type: ignore[arg-type]
        dropped |= keys  # type: ignore[arg-type]
        try:
            config = Config.model_validate(pruned, context={_WITHOUT_CROSS_CHECKS: True, CHECKED_BY_CONFIG: True})
        except ValidationError as exc:
            errors = exc.errors()
        except RecursionError:  # a self-referencing YAML alias: nothing to salvage
            return None, set()
        else:
            return config, {_format_loc(list(key)) for key in dropped}
    return None, set()


def _key_to_drop(loc: list[Any], dropped: set[Loc]) -> Loc | None:
    """The second-level key of an error's location, or its section if that key was dropped already."""
    for depth in (2, 1):
        key = tuple(loc[:depth])
        if len(key) == depth and all(isinstance(part, str) for part in key) and key not in dropped:
            return key
    return None


def _drop(data: dict[Any, Any], key: Loc) -> None:
    parent: Any = data
    for part in key[:-1]:
        parent = parent.get(part) if isinstance(parent, dict) else None
    if isinstance(parent, dict):
        parent.pop(key[-1], None)


def _clean_loc(loc: Any) -> list[Any]:
    return [part for part in loc if not (isinstance(part, str) and part.startswith("function-"))]


_FIELD_PART = re.compile(r"\.?([^.\[\]]+)|\[([^\]]*)\]")


def _parse_field(field: str) -> list[str | int]:
    """``escalation.policies[0].steps[1]`` to ``["escalation", "policies", 0, "steps", 1]``."""
    parts: list[str | int] = []
    for match in _FIELD_PART.finditer(field):
        key, index = match.groups()
        parts.append(key if key is not None else (int(index) if index.isdigit() else index))
    return parts


def _line(root: yaml.Node | None, loc: list[Any]) -> int | None:
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node, line = child
    return line


def _locate(filename: str, root: yaml.Node | None, err: Any, model: type[BaseModel] | None = None) -> ConfigIssue:
    """A pydantic error as an issue at its key and line. With ``model`` (what the whole file is validated
    against) its message is put in the file's terms, and an unknown key gets the key it most likely means."""
    loc = _clean_loc(err["loc"])
    message = _message(err, loc, model) if model is not None else err["msg"].removeprefix("Value error, ")
    return ConfigIssue(filename, _format_loc(loc) or "(root)", _line(root, loc), message)


# pydantic's messages that speak of Python (dictionary, instance of NotifyConfig) where the reader wrote YAML
_PLAIN_MESSAGES = {
    "model_type": "should be a mapping (key: value)",
    "model_attributes_type": "should be a mapping (key: value)",
    "dict_type": "should be a mapping (key: value)",
    "list_type": "should be a list ([a, b], or one '- item' a line)",
    "tuple_type": "should be a list ([a, b], or one '- item' a line)",
    "set_type": "should be a list ([a, b], or one '- item' a line)",
    "string_type": "should be text",
    "int_type": "should be a whole number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_type": "should be a number",
    "float_parsing": "should be a number",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "path_type": "should be a path",
    "missing": "required, but missing",
}
# Names people write for a key that no spelling distance finds.
_SYNONYMS = {"persons": "people", "person": "people", "users": "people", "staff": "people", "rotations": "layers"}


def _message(err: Any, loc: list[Any], model: type[BaseModel]) -> str:
    """The message of a pydantic error, in the terms of the YAML file the reader is looking at."""
    kind = err.get("type")
    if kind == "extra_forbidden" and loc:
        suggestion = _closest_key(model, loc)
        if suggestion:
            return f"unknown key; did you mean {suggestion!r}?"
    message = _PLAIN_MESSAGES.get(kind, err["msg"])
    value = err.get("input")
    if kind in _PLAIN_MESSAGES and isinstance(value, str | int | float) and len(repr(value)) <= 40:
        message += f", got {value!r}"  # a scalar written where another was meant: show which
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return re.sub(r" or instance of \w+", "", message)


def _closest_key(model: type[BaseModel], loc: list[Any]) -> str | None:
    """The allowed key at ``loc``'s place that its last part (an unknown key) most likely means, if any."""
    allowed = _keys_at(model, loc[:-1])
    typed = str(loc[-1])
    close = difflib.get_close_matches(typed, allowed, n=1, cutoff=0.7)  # 0.6 offers notify_team_chat for notify_staff
    if close:
        return close[0]
    synonym = _SYNONYMS.get(typed.lower())
    return synonym if synonym in allowed else None


def _keys_at(model: type[BaseModel], loc: list[Any]) -> list[str]:
    """The keys ``model`` allows at ``loc`` (``brands[0]``: a brand's), read from the models themselves."""
    kinds: list[Any] = [model]
    for part in loc:
        inner: list[Any] = []
        for kind in kinds:
            origin, args = typing.get_origin(kind), typing.get_args(kind)
            if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(part, str):
                field = kind.model_fields.get(part)
                inner += _members(field.annotation) if field is not None else []
            elif origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
                inner += _members(args[0])
            elif origin is dict and len(args) == 2:
                inner += _members(args[1])
        kinds = inner
    keys = [k for kind in kinds if isinstance(kind, type) and issubclass(kind, BaseModel) for k in kind.model_fields]
    return list(dict.fromkeys(keys))


def _members(annotation: Any) -> list[Any]:
    """The types a value of ``annotation`` may have: Annotated unwrapped, unions split, None left out."""
    if typing.get_origin(annotation) is Annotated:
        return _members(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [] if annotation is type(None) else [annotation]


def _child(node: yaml.Node | None, part: Any) -> tuple[yaml.Node, int] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if key.value == part:
                return value, key.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return item, item.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, str):  # policies[storm]: the item with that id
        for item in node.value:
            named = _child(item, "id") or _child(item, "name")
            if named is not None and isinstance(named[0], yaml.ScalarNode) and named[0].value == part:
                return item, item.start_mark.line + 1
    return None


def _format_loc(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_runtime_secrets(config: Config, filename: str, *, paging: bool = False) -> list[ConfigIssue]:
    """Each source's token and signing secret (and, with ``paging``, each channel's secrets) must be in the
    environment."""
    issues = [
        ConfigIssue(
            filename,
            f"ingest.sources[{i}].token_env",
            None,
            f"environment variable {source.token_env} is not set (token of source {source.name!r})",
        )
        for i, source in enumerate(config.ingest.sources)
        if source.token() is None
    ]
    issues += [
        ConfigIssue(
            filename,
            f"ingest.sources[{i}].signing_secret_env",
            None,
            f"environment variable {source.signing_secret_env} is not set (signing secret of source "
            f"{source.name!r}; its requests are refused until it is)",
        )
        for i, source in enumerate(config.ingest.sources)
        if source.signing_secrets() == []
    ]
    if config.ingest.metrics_token_env and config.ingest.metrics_token() is None:
        issues.append(
            ConfigIssue(
                filename,
                "ingest.metrics_token_env",
                None,
                f"environment variable {config.ingest.metrics_token_env} is not set (token of GET /metrics; "
                "it is refused to everybody until it is)",
            )
        )
    if paging and config.escalation.routes:
        if config.notify.sms is not None:
            issues += [
                ConfigIssue(filename, _sms_field(m), None, _sms_message(m)) for m in config.notify.sms.missing_secrets()
            ]
        if config.notify.telegram is not None:
            issues += telegram_secret_issues(config, filename)
    return issues


def telegram_secret_issues(config: Config, filename: str) -> list[ConfigIssue]:
    """The Telegram bot's token (and keys) must be in the environment; the issue names the ``*_env`` key."""
    from warner.notify.telegram.config import TelegramSecretError

    telegram = config.notify.telegram
    if telegram is None:
        return []
    try:
        telegram.secrets()
    except TelegramSecretError as exc:
        keys = ("token_env", "callback_secret_env", "secret_token_env")
        key = next((k for k in keys if getattr(telegram, k) == exc.env), "token_env")
        return [ConfigIssue(filename, f"notify.telegram.{key}", None, _without_key(str(exc)))]
    return []


def _without_key(message: str) -> str:
    """``… (the Telegram bot token (telegram.token_env))`` to ``… (the Telegram bot token)``: the issue names
    the key already, and parentheses inside parentheses are hard to read."""
    return re.sub(r" \((?:notify\.)?telegram\.\w+\)\)$", ")", message)


# What each SMS secret is, for a message that names its key already (as the issue's field).
_SMS_SECRETS = {
    "sms.http.user_env": "the SMS gateway's user name",
    "sms.http.password_env": "the SMS gateway's password",
    "sms.http.token_env": "the SMS gateway's token",
    "sms.twilio.auth_token_env": "the Twilio auth token",
    "sms.inbound.token_env": "the token SMS replies are posted with",
}


def _sms_message(message: str) -> str:
    """``… is not set (sms.http.user_env)`` to ``… is not set (the SMS gateway's user name)``: the key is the
    issue's field already, what the variable holds is news."""
    return re.sub(r"\((sms(?:\.\w+)+)\)$", lambda m: f"({_SMS_SECRETS.get(m.group(1), m.group(1))})", message)


def _sms_field(message: str) -> str:
    """``notify.sms.http.user_env`` from a missing-secret message that ends in ``(sms.http.user_env)``."""
    match = re.search(r"\((sms(?:\.\w+)+)\)$", message)
    return f"notify.{match.group(1)}" if match else "notify.sms"


def security_warnings(config: Config) -> list[str]:
    """Insecure settings (open bind address, missing allowlists, …), one line each naming the field."""
    from warner.security import insecure_settings

    return insecure_settings(config)
