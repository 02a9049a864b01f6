"""The store section: which Redis warner keeps its data in, and how long each kind of data stays."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from warner.config.common import Duration, Section

REDIS_URL_ENV = "REDIS_URL"


class RedisConfig(Section):
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

    def effective_url(self) -> str | None:
        """REDIS_URL in the environment wins over the file; empty means embedded."""
        return os.environ.get(REDIS_URL_ENV) or self.url or None


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



class RetentionConfig(Section):
    dedupe: Duration = Field(timedelta(days=7), description="How long a (source, id) is remembered as seen.")
    buckets: Duration = Field(timedelta(days=35), description="How long per-bucket counters are kept.")


