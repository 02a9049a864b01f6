"""The ``sources:`` section: the pulled sources (RSS/Atom feeds now; Mastodon and Bluesky next).

The root config (``warner.config.root``) embeds it, so this module only builds on the shared
config types and imports nothing heavy (no aiohttp, no feedparser, no adapters).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator, model_validator

from warner.config.common import Duration, Section, Slug, reject_repeated
from warner.ingest.sources.bluesky_config import BlueskyConfig
from warner.ingest.sources.mastodon_config import MastodonConfig


class RssFeedConfig(Section):
    """One RSS or Atom feed, polled on its own interval."""

    name: Slug = Field(description="Unique among all sources; the `source` of its mentions.")
    url: str = Field(pattern=r"^https?://", description="The feed's URL.")
    interval: Duration = Field(timedelta(minutes=5), description="Time between polls when all is well.")
    brand: Slug | None = Field(
        None, description="A brand-specific feed: every entry is about this brand (no matching)."
    )
    keep_unmatched: bool = Field(
        False,
        description="Keep entries that name no brand (counted under `_none`); by default they are dropped.",
    )
    timeout: Duration = Field(timedelta(seconds=30), description="Of one HTTP request.")

    @field_validator("interval", "timeout")
    @classmethod
    def _at_least_a_second(cls, value: timedelta) -> timedelta:
        if value.total_seconds() < 1:
            raise ValueError("must be at least 1s")
        return value


class SourcesConfig(Section):
    """Pulled sources and how the runner treats them when they fail (see ``sources/runner.py``)."""

    rss: list[RssFeedConfig] = Field(default_factory=list)
    mastodon: list[MastodonConfig] = Field(default_factory=list)
    bluesky: list[BlueskyConfig] = Field(default_factory=list)
    backoff: Duration = Field(timedelta(seconds=30), description="Wait after a first failure; doubles per failure.")
    max_backoff: Duration = Field(timedelta(hours=1), description="Longest wait between failing polls.")
    poll_timeout: Duration = Field(timedelta(minutes=2), description="A poll taking longer than this has failed.")
    lease_ttl: Duration = Field(
        timedelta(seconds=30),
        description="One worker polls each source, holding a lease it renews every third of this; when that "
        "worker dies, another takes the source over within this plus a third (sources/lease.py).",
    )

    def names(self) -> list[str]:
        """Every pulled source's name (unique across kinds and with ``ingest.sources``)."""
        return [f.name for f in self.rss] + [c.name for c in self.mastodon] + [c.name for c in self.bluesky]

    def brands(self) -> dict[str, str]:
        """Field path -> fixed brand, for the check that each names a configured brand."""
        out = {f"sources.rss[{i}].brand": f.brand for i, f in enumerate(self.rss) if f.brand}
        out |= {f"sources.mastodon[{i}].brand": c.brand for i, c in enumerate(self.mastodon) if c.brand}
        out |= {f"sources.bluesky[{i}].brand": c.brand for i, c in enumerate(self.bluesky) if c.brand}
        return out

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesConfig:
        reject_repeated("source", self.names())
        if self.max_backoff < self.backoff:
            raise ValueError("max_backoff must not be below backoff")
        if not timedelta(seconds=1) <= self.lease_ttl <= timedelta(minutes=10):
            raise ValueError("lease_ttl must be between 1s and 10m, e.g. 30s")
        return self
