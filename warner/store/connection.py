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

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
import redis.asyncio as aioredis
import redis.asyncio.cluster as aiocluster
import structlog
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.exceptions import RedisClusterException, RedisError

from warner.config.locate import ConfigError, ConfigIssue
from warner.store.cluster_pool import WaitingRedisCluster
from warner.store.config import REDIS_URL_ENV, RedisConfig
from warner.store.data_format import ensure_data_format
from warner.store.embedded import EmbeddedRedis, running_url
from warner.store.start_gate import wait_until_reachable
from warner.store.supervisor import RedisSupervisor
from warner.store.urls import RedisUrlError, check_url, cluster_nodes, is_cluster_url, shown_url

log = structlog.get_logger(__name__)

RedisClient = aioredis.Redis | RedisCluster
RedisPipeline = aioredis.client.Pipeline | ClusterPipeline  # what RedisClient.pipeline() returns


POOL_MAX_CONNECTIONS = 100
POOL_WAIT_S = 5.0


def connect(url: str, *, max_connections: int = POOL_MAX_CONNECTIONS, pool_wait: float = POOL_WAIT_S) -> RedisClient:
    """A client for ``url``; bytes in and out (payloads are JSON bytes). Raises ``RedisUrlError``.

    One server: a *blocking* pool. redis-py's default pool raises ``Too many connections``
    the moment a 101st command wants a connection, which turned a burst of 200 concurrent
    ingest requests into ~100 spurious 503s while Redis was idle. This pool makes the
    command wait for a free connection instead, up to ``pool_wait`` seconds, and only then
    fails (``ConnectionError("No connection available.")``, a 503 at the API).

    Why 100 connections: Redis runs one command at a time, so connections beyond a few
    dozen add no throughput, only file descriptors and memory on both sides; 100 is what
    each process used before (its count against Redis' ``maxclients`` 10,000 is unchanged)
    and leaves room for the commands that hold one for long (the worker's blocking
    ``XREADGROUP``). Why 5 s: an ingest request holds a connection for about a millisecond,
    so even 1,000 requests queued behind 100 connections get theirs well within a second;
    5 s is ample margin for a slow moment (an AOF fsync, a long script), yet shorter than a
    webhook sender's usual 10 s timeout, so a Redis that is truly stuck still gets the
    sender a 503 with ``Retry-After`` rather than a dropped connection.

    A cluster: redis-py's asyncio ``RedisCluster`` keeps up to ``max_connections`` per node
    and raises ``MaxConnectionsError`` beyond, with no blocking pool to choose (a node hands
    out connections synchronously); ``WaitingRedisCluster`` (``cluster_pool.py``) makes its
    commands wait the same way, with the same two numbers.
    """
    check_url(url)
    if is_cluster_url(url):
        if not hasattr(aiocluster, "TransactionStrategy"):  # the detector's MULTI on a brand's slot needs it
            raise RedisUrlError(
                f"Redis Cluster needs a redis-py whose asyncio cluster pipeline runs transactions "
                f"(installed: {redis.__version__}); upgrade redis-py, or use one Redis server"
            )
        first, nodes = cluster_nodes(url)
        startup = [ClusterNode(host, port) for host, port in nodes[1:]]
        return WaitingRedisCluster.from_url(
            first,
            startup_nodes=startup,
            decode_responses=False,
            health_check_interval=30,
            max_connections=max_connections,
            pool_wait=pool_wait,
        )
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=pool_wait, decode_responses=False, health_check_interval=30
    )
    return aioredis.Redis.from_pool(pool)


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
async def open_redis(
    config: RedisConfig, *, owner: bool = True, stop: asyncio.Event | None = None, start_timeout: float | None = None
) -> AsyncIterator[RedisClient]:
    """Yield a client to the configured Redis, starting the embedded one when none is set.

    ``owner=False`` (replay and other short commands) attaches to an embedded server that a
    running ``warner run`` owns instead of failing on its lock.

    An embedded server we started is supervised (``supervisor.py``): restarted when it dies,
    and if it cannot be brought back, ``stop`` is set so the caller winds down, and leaving
    the context raises ``EmbeddedRedisError`` (``warner run`` exits 1 on it).

    ``stop`` given (a service): a Redis unreachable at start is waited for, up to ``start_timeout``
    seconds if given (``start_gate.py``).
    """
    server: EmbeddedRedis | None = None
    url = config.effective_url()
    if url is None and not owner:
        url = running_url(config.data_dir)
        if url:
            log.info("embedded_redis_attached", url=url)
    if url is None:
        server = EmbeddedRedis(config.data_dir, appendfsync=config.appendfsync)
        url = server.start()
    try:
        client = connect(url, max_connections=config.max_connections)
    except RedisUrlError as exc:
        if server is not None:
            server.stop()
        raise _config_error(exc) from None
    supervisor = None
    if server is not None:
        supervisor = RedisSupervisor(server, on_give_up=(lambda _: stop.set()) if stop is not None else None)
        supervisor.start()
    try:
        try:
            await refuse_cluster_node(client)
        except RedisUrlError as exc:
            raise _config_error(exc) from None
        await learn_slots(client)
        if isinstance(client, RedisCluster):
            log.info("redis_cluster_client", nodes=[f"{h}:{p}" for h, p in cluster_nodes(url)[1]])
        await _data_format_checked(client, url, stop, start_timeout)
        yield client
    finally:
        if supervisor is not None:
            await supervisor.close()  # before the server stops: a stop on purpose is no death
        await client.aclose()
        if server is not None:
            server.stop()
    if supervisor is not None and supervisor.failure is not None:
        raise supervisor.failure


async def _data_format_checked(
    client: RedisClient, url: str, stop: asyncio.Event | None, start_timeout: float | None
) -> None:
    """The store's data format is one this warner reads (``data_format.py``), before anything else runs.

    Raises ``DataFormatTooNew`` if it is not. A service (``stop`` given) that cannot reach Redis
    yet waits for it, one log line per backoff step (``start_gate.py``), until ``stop`` — or, with
    ``start_timeout``, at most that many seconds, then ``StoreUnreachableAtStart``; a command fails at once.
    """
    if stop is None:
        await ensure_data_format(client, shown_url(url))
    else:
        await wait_until_reachable(lambda: ensure_data_format(client, shown_url(url)), start_timeout, stop)


def _config_error(exc: RedisUrlError) -> ConfigError:
    """As a config error, so ``warner run`` prints one line naming where the URL came from."""
    where = REDIS_URL_ENV if os.environ.get(REDIS_URL_ENV) else "(config)"
    return ConfigError([ConfigIssue(where, "redis.url", None, str(exc))])
