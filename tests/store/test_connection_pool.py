"""The client's connection pool waits for a free connection instead of failing (issue 17, defect 6).

redis-py's default asyncio pool raised ``Too many connections`` for the 101st concurrent
command: 200 concurrent ingest requests got ~100 spurious 503s while Redis was idle. The
pool ``connect`` builds makes a command wait for a connection, up to a bound.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from warner.store.connection import POOL_MAX_CONNECTIONS, connect


async def test_300_concurrent_commands_through_10_connections_all_succeed(redis_url):
    client = connect(redis_url, max_connections=10)
    try:
        await client.flushall()
        others = len(await client.client_list()) - 1  # connections of anyone but this client
        results = await asyncio.gather(*(client.incr("pool:counter") for _ in range(300)), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        assert sorted(results) == list(range(1, 301))
        assert int(await client.get("pool:counter")) == 300
        assert len(await client.client_list()) - others <= 10  # the cap held, seen from the server
    finally:
        await client.aclose()


async def test_the_default_client_serves_twice_its_pool_at_once(redis_url):
    """What the issue measured: more concurrent commands than connections, all answered."""
    client = connect(redis_url)
    try:
        n = 2 * POOL_MAX_CONNECTIONS
        results = await asyncio.gather(*(client.ping() for _ in range(n)), return_exceptions=True)
        assert results == [True] * n
    finally:
        await client.aclose()


async def test_a_command_that_finds_every_connection_busy_fails_after_the_wait_not_for_ever(redis_url):
    client = connect(redis_url, max_connections=2, pool_wait=0.3)
    holders = [asyncio.create_task(client.blpop(["pool:never"], timeout=3)) for _ in range(2)]
    try:
        await asyncio.sleep(0.2)  # both connections now block in BLPOP
        started = time.monotonic()
        with pytest.raises(RedisConnectionError, match="No connection available"):
            await client.ping()
        waited = time.monotonic() - started
        assert 0.25 <= waited < 2.0
    finally:
        for task in holders:
            task.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
        await client.aclose()

