"""Opening warner's Redis: the configured URL, or the embedded server.

One URL says everything (``store/urls.py``), so ``REDIS_URL`` alone can switch a deployment
between one server (``redis://``, ``rediss://``, ``unix://``) and a Redis Cluster
(``redis+cluster://host:port[,host:port…]``). For a cluster the client is a
``redis.asyncio.cluster.RedisCluster``: the same commands, scripts and transactions work,
because every multi-key step in warner touches keys of one hash tag only (``store/keys.py``;
``store/scripts.py`` for running a script many times; "Redis Cluster" in
``deploy/OPERATIONS.md``).

A plain URL that points at a cluster node is refused at start-up: a single-node client
would get MOVED for most keys and fail command by command at run time.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
import redis.asyncio as aioredis
import redis.asyncio.cluster as aiocluster
import structlog
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.exceptions import RedisClusterException, RedisError

from warner.config import REDIS_URL_ENV, Config, ConfigError, ConfigIssue
from warner.store.embedded import EmbeddedRedis, running_url
from warner.store.urls import RedisUrlError, check_url, cluster_nodes, is_cluster_url

log = structlog.get_logger(__name__)

RedisClient = aioredis.Redis | RedisCluster


def connect(url: str) -> RedisClient:
    """A client for ``url``; bytes in and out (payloads are JSON bytes). Raises ``RedisUrlError``."""
    check_url(url)
    if is_cluster_url(url):
        if not hasattr(aiocluster, "TransactionStrategy"):  # the detector's MULTI on a brand's slot needs it
            raise RedisUrlError(
                f"Redis Cluster needs a redis-py whose asyncio cluster pipeline runs transactions "
                f"(installed: {redis.__version__}); upgrade redis-py, or use one Redis server"
            )
        first, nodes = cluster_nodes(url)
        startup = [ClusterNode(host, port) for host, port in nodes[1:]]
        return RedisCluster.from_url(first, startup_nodes=startup, decode_responses=False, health_check_interval=30)
    return aioredis.Redis.from_url(url, decode_responses=False, health_check_interval=30)


async def learn_slots(client: RedisClient) -> None:
    """A cluster client fetches the slot map now, before anything runs concurrently on it.

    redis-py's asyncio cluster client can fail the first commands issued concurrently on a
    fresh client (an ``AttributeError`` inside a connection's handshake); once it knows the
    cluster they are fine. A cluster that is down at start is left for the first command
    (the worker and the API wait for Redis on their own).
    """
    if isinstance(client, RedisCluster):
        try:
            await client.initialize()
        except (RedisError, RedisClusterException) as exc:
            log.warning("redis_cluster_unreachable", error=str(exc))


async def refuse_cluster_node(client: RedisClient) -> None:
    """Raise ``RedisUrlError`` if a single-server client is talking to a cluster node.

    Unreachable or a server that hides INFO: nothing to say yet (the worker and the API
    wait for Redis on their own).
    """
    if isinstance(client, RedisCluster):
        return
    try:
        info = await client.info("cluster")
    except RedisError:
        return
    if int(info.get("cluster_enabled", 0)):
        raise RedisUrlError(
            "this Redis is a Redis Cluster node: write the URL as redis+cluster://host:port "
            "(rediss+cluster:// with TLS), so warner follows the cluster's slots"
        )


@asynccontextmanager
async def open_redis(config: Config, *, owner: bool = True) -> AsyncIterator[RedisClient]:
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
    try:
        client = connect(url)
    except RedisUrlError as exc:
        if server is not None:
            server.stop()
        raise _config_error(exc) from None
    try:
        try:
            await refuse_cluster_node(client)
        except RedisUrlError as exc:
            raise _config_error(exc) from None
        await learn_slots(client)
        if isinstance(client, RedisCluster):
            log.info("redis_cluster_client", nodes=[f"{h}:{p}" for h, p in cluster_nodes(url)[1]])
        yield client
    finally:
        await client.aclose()
        if server is not None:
            server.stop()


def _config_error(exc: RedisUrlError) -> ConfigError:
    """As a config error, so ``warner run`` prints one line naming where the URL came from."""
    where = REDIS_URL_ENV if os.environ.get(REDIS_URL_ENV) else "(config)"
    return ConfigError([ConfigIssue(where, "redis.url", None, str(exc))])
