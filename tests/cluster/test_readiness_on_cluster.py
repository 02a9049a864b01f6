"""A Redis Cluster master killed: ``/readyz`` of the API and of a worker says so within 5 s.

The issue found ``/readyz`` at 200 for the whole outage while ingest answered 503: PING still
reached the surviving nodes. Here a private three-master cluster (not the session's: a master
is killed) serves real ``warner run --role api`` and ``--role worker`` processes; the master
holding the mention stream's slot (``{ingest}``) is killed with SIGKILL, then started again on
its port and node file, and both ``/readyz`` are timed from outside.
"""

from __future__ import annotations

import time

import aiohttp
import pytest
from cluster.conftest import NODES, SLOTS, LocalCluster, _spawn
from readiness import readyz, role_running, seconds_until
from redis.crc import key_slot

from warner.store import keys
from warner.store.embedded import EmbeddedRedisError, find_redis_server

pytestmark = pytest.mark.timeout(90)

WITHIN_S = 5.0


def master_of(cluster: LocalCluster, tag: str) -> int:
    """Index of the master whose slots hold ``tag`` (slots are split evenly, in port order)."""
    slot = key_slot(tag.encode())
    return next(i for i in range(NODES) if SLOTS * i // NODES <= slot < SLOTS * (i + 1) // NODES)


async def test_readyz_is_503_while_the_master_of_the_stream_is_down_and_200_once_it_is_back(tmp_path):
    try:
        binary = find_redis_server()
    except EmbeddedRedisError as exc:
        pytest.skip(str(exc))
    cluster = LocalCluster(tmp_path / "cluster")
    cluster.directory.mkdir()
    try:
        cluster.start()
        with (
            role_running("api", cluster.url, tmp_path) as api,
            role_running("worker", cluster.url, tmp_path) as worker,
        ):
            urls = {"api": api.url, "worker": worker.url}
            await seconds_until(urls, 200, time.monotonic(), 30)

            victim = master_of(cluster, keys.INGEST_TAG)
            cluster.processes[victim].kill()
            cluster.processes[victim].wait(5)
            killed_at = time.monotonic()
            unready = await seconds_until(urls, 503, killed_at, WITHIN_S)
            async with aiohttp.ClientSession() as http:
                status, body = await readyz(http, api.url)
                assert status == 503 and body["write"], body  # the reason as the client saw it

            port = cluster.ports[victim]
            cluster.processes[victim] = _spawn(binary, port, cluster.directory)
            cluster._wait_ok()
            back_at = time.monotonic()
            ready = await seconds_until(urls, 200, back_at, WITHIN_S)
            print(f"\n/readyz 503 after the kill: api {unready['api']:.2f}s, worker {unready['worker']:.2f}s "
                  f"(api said {body['write']!r}); 200 after the cluster was ok again: api {ready['api']:.2f}s, "
                  f"worker {ready['worker']:.2f}s")
    finally:
        cluster.stop()
