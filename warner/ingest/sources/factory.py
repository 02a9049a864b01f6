"""The configured pulled sources, built once when ``warner run`` starts."""

from __future__ import annotations

from warner.ingest.brands import BrandMatcher
from warner.ingest.config import IngestSettings
from warner.ingest.sources.base import PullSource


def build_sources(config: IngestSettings, matcher: BrandMatcher) -> list[PullSource]:
    """One adapter per configured source; entries naming no brand are dropped unless the source keeps them."""
    from warner.ingest.sources.rss import RssSource

    def relevant(text: str) -> bool:
        return matcher.first(text) is not None

    sources: list[PullSource] = []
    sources += [RssSource(feed, None if feed.keep_unmatched else relevant) for feed in config.sources.rss]
    if config.sources.mastodon:
        from warner.ingest.sources.mastodon import MastodonSource

        sources += [MastodonSource(c, None if c.brand else relevant) for c in config.sources.mastodon]
    if config.sources.bluesky:
        from warner.ingest.sources.bluesky import BlueskySource

        sources += [BlueskySource(c, None if c.brand else relevant) for c in config.sources.bluesky]
    return sources
