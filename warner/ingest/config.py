"""The ingest section: the brands warner listens for and the HTTP API's sources, limits and timeouts."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Protocol

from pydantic import Field, ValidationInfo, field_validator, model_validator

from warner.config.common import ENV_NAME, Duration, Section, Slug, reject_repeated
from warner.core import Language
from warner.ingest.brands import check_query, term_key
from warner.ingest.sources.config import SourcesConfig
from warner.store.config import RetentionConfig


class BrandConfig(Section):
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
    language: Language = Field("de", description="Language of the brand's audience: its drafts' default.")
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
        kind = {"handles": "handle", "hashtags": "hashtag"}.get(info.field_name or "", "alias")
        for term in terms:
            term_key(term, kind)
        return terms

    @field_validator("query")
    @classmethod
    def _query_parses(cls, query: str | None) -> str | None:
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


class RateLimitConfig(Section):
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




class SourceConfig(Section):
    """A producer of mentions that authenticates with its own bearer token (and, optionally, signs requests)."""

    name: Slug = Field(description="Unique source name (also among sources.*); the `source` of its mentions.")
    token_env: str = Field(
        pattern=ENV_NAME,
        description="Environment variable holding the token(s), comma-separated while rotating (any one is valid).",
    )
    signing_secret_env: str | None = Field(
        None,
        pattern=ENV_NAME,
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

    def tokens(self) -> list[str]:
        """The tokens in ``token_env`` (comma-separated, blanks dropped); empty if the variable is unset or empty.

        Several while a token is rotated, as with ``signing_secrets``: the new one goes in front of
        the old, both are valid until the old one is removed and the API restarted.
        """
        return [t.strip() for t in os.environ.get(self.token_env, "").split(",") if t.strip()]

    def signing_secrets(self) -> list[str] | None:
        """The secrets in ``signing_secret_env`` (comma-separated, blanks dropped); None if the source does not sign.

        An empty list means signing is configured but the variable is empty: the API then refuses
        every request of that source rather than accept unsigned ones.
        """
        if self.signing_secret_env is None:
            return None
        return [s.strip() for s in os.environ.get(self.signing_secret_env, "").split(",") if s.strip()]


class IngestConfig(Section):
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
        pattern=ENV_NAME,
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
        reject_repeated("source", [s.name for s in sources])
        largest = info.data.get("max_mentions_per_request")
        for i, source in enumerate(sources):
            burst = source.rate_limit.mentions_burst if source.rate_limit else None
            if largest is not None and burst is not None and burst < largest:
                raise ValueError(
                    f"sources[{i}].rate_limit.mentions_burst ({burst}) is below max_mentions_per_request "
                    f"({largest}): a full request of source {source.name!r} could never pass"
                )
        return sources


class IngestSettings(Protocol):
    """What the ingest stage reads of warner's config: its own section, the brands, the pulled sources and how long
    a (source, id) counts as seen. The root ``Config`` is one; declared here so that ingest never imports the root."""

    @property
    def ingest(self) -> IngestConfig: ...

    @property
    def brands(self) -> list[BrandConfig]: ...

    @property
    def retention(self) -> RetentionConfig: ...

    @property
    def sources(self) -> SourcesConfig: ...

    def brand(self, name: str) -> BrandConfig | None: ...
