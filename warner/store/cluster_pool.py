"""A Redis Cluster client whose commands wait for a connection instead of failing.

redis-py's asyncio ``RedisCluster`` keeps up to ``max_connections`` connections per node and
raises ``MaxConnectionsError`` ("Too many connections") for the next command, without
retrying it — the same spurious failures under a burst as the single-server pool had
(issue 17, defect 6). Unlike the single-server client it offers no blocking pool: a node
hands out connections synchronously (``ClusterNode.acquire_connection``), so there is no
place inside the library to wait.

So the waiting happens one level up: every command and every pipeline ``execute`` first
takes one of ``max_connections`` slots of a semaphore, waiting up to ``pool_wait`` seconds
(then ``ConnectionError("No connection available.")``, as ``BlockingConnectionPool`` says).
One operation holds at most one connection per node at a time (a pipeline acquires, sends,
reads and releases per node before it follows redirects command by command), so with as
many slots as each node allows connections, no node ever runs out. Calls the library makes
from inside a slot (a pipeline re-sending a redirected command, a script loading itself
after ``NOSCRIPT``) pass through: a context variable marks the task as already inside, so
they neither wait for a second slot nor deadlock on one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from redis.asyncio.cluster import ClusterPipeline, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException

_INSIDE: ContextVar[bool] = ContextVar("warner_cluster_slot", default=False)


class WaitingRedisCluster(RedisCluster):
    """``RedisCluster`` plus a wait of up to ``pool_wait`` seconds for a free connection."""

    def __init__(self, *args: Any, pool_wait: float = 5.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots = asyncio.Semaphore(kwargs.get("max_connections", 100))
        self._pool_wait = pool_wait

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the client's connection slots (at once if this task already holds one)."""
        if _INSIDE.get():
            yield
            return
        try:
            async with asyncio.timeout(self._pool_wait):
                await self._slots.acquire()
        except TimeoutError:
            raise RedisConnectionError("No connection available.") from None
        token = _INSIDE.set(True)
        try:
            yield
        finally:
            _INSIDE.reset(token)
            self._slots.release()

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self.slot():
            return await super().execute_command(*args, **kwargs)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> ClusterPipeline:
        if shard_hint:
            raise RedisClusterException("shard_hint is deprecated in cluster mode")
        return _WaitingPipeline(self, transaction)  # type: ignore[abstract]  # redis-py leaves a Protocol attr unset


class _WaitingPipeline(ClusterPipeline):
    cluster_client: WaitingRedisCluster

    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> list[Any]:
        async with self.cluster_client.slot():
            return await super().execute(raise_on_error, allow_redirections)
