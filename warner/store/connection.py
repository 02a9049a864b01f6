"""Opening warner's Redis: the configured URL, or the embedded server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
import structlog

from warner.config import Config
from warner.store.embedded import EmbeddedRedis, running_url

log = structlog.get_logger(__name__)


def connect(url: str) -> aioredis.Redis:
    """A client for ``url``; bytes in and out (payloads are JSON bytes)."""
    return aioredis.Redis.from_url(url, decode_responses=False, health_check_interval=30)


@asynccontextmanager
async def open_redis(config: Config, *, owner: bool = True) -> AsyncIterator[aioredis.Redis]:
    """Yield a client to the configured Redis, starting the embedded one when none is set.

    ``owner=False`` (replay and other short commands) attaches to an embedded server that a
    running ``warner run`` owns instead of failing on its lock.
    """
    server: EmbeddedRedis | None = None
    url = config.redis_url
    if url is None and not owner:
        url = running_url(config.redis.data_dir)
        if url:
            log.info("embedded_redis_attached", url=url)
    if url is None:
        server = EmbeddedRedis(config.redis.data_dir, appendfsync=config.redis.appendfsync)
        url = server.start()
    client = connect(url)
    try:
        yield client
    finally:
        await client.aclose()
        if server is not None:
            server.stop()
