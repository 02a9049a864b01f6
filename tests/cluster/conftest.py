"""A private 3-master Redis Cluster on loopback ports, one per test session; empty per test.

Three ``redis-server`` processes in cluster mode (the binary warner's embedded Redis uses),
the 16384 slots split evenly, joined with CLUSTER MEET. Each node gets a distinct config
epoch up front so the cluster is consistent without waiting for epoch collisions to settle.
Every node dies with the test process (``PR_SET_PDEATHSIG``) and is killed at session end,
whatever happened — no server outlives the tests.

No replicas: failover is Redis' business, not warner's; what warner must get right is that
every multi-key step stays inside one slot, which three masters already prove.
"""

from __future__ import annotations

import random
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis as sync_redis

from warner.mention import Mention
from warner.metrics import Metrics
from warner.pipeline import Envelope
from warner.scoring.lexicon import LexiconScorer
from warner.service import build_stages
from warner.store.connection import connect, learn_slots
from warner.store.embedded import (
    EmbeddedRedisError,
    _die_with_parent,
    find_redis_server,
)
from warner.store.streams import MentionStream

SLOTS = 16384
NODES = 3
READY_TIMEOUT_S = 20.0
PROBE_AT = "2026-11-21T19:42:10+01:00"


@dataclass
class LocalCluster:
    """Three masters on 127.0.0.1; ``url`` is what warner's config would say."""

    directory: Path
    ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def node(self, port: int) -> sync_redis.Redis:
        return sync_redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)

    def start(self) -> None:
        binary = find_redis_server()
        for port in _free_ports(NODES):
            self.ports.append(port)
            self.processes.append(_spawn(binary, port, self.directory))
        for port, process in zip(self.ports, self.processes, strict=True):
            self._wait_ping(port, process)
        self._assign_slots()
        self._wait_ok()

    def _wait_ping(self, port: int, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = (self.directory / f"redis-{port}.log").read_text(errors="replace")[-2000:]
                if "cluster" in log.lower() and ("bad directive" in log.lower() or "unknown" in log.lower()):
                    pytest.skip(f"this redis-server has no cluster support: {log.strip()[-300:]}")
                raise RuntimeError(f"redis-server on port {port} exited with {process.returncode}:\n{log}")
            try:
                with self.node(port) as client:
                    if client.ping():
                        info = client.info("cluster")
                        if not info.get("cluster_enabled"):
                            pytest.skip("this redis-server has no cluster support (cluster_enabled:0)")
                        return
            except sync_redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server on port {port} did not answer PING in {READY_TIMEOUT_S:.0f}s")

    def _assign_slots(self) -> None:
        bounds = [SLOTS * i // NODES for i in range(NODES + 1)]
        for i, port in enumerate(self.ports):
            with self.node(port) as client:
                client.execute_command("CLUSTER", "SET-CONFIG-EPOCH", i + 1)
                client.execute_command("CLUSTER", "ADDSLOTS", *range(bounds[i], bounds[i + 1]))
        with self.node(self.ports[0]) as first:
            for port in self.ports[1:]:
                first.execute_command("CLUSTER", "MEET", "127.0.0.1", port)

    def _wait_ok(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if all(self._node_ready(port) for port in self.ports):
                return
            time.sleep(0.05)
        raise RuntimeError(f"cluster on {self.ports} did not reach cluster_state:ok in {READY_TIMEOUT_S:.0f}s")

    def _node_ready(self, port: int) -> bool:
        """The node is ok, knows all masters and maps every slot to an address a client can use."""
        with self.node(port) as client:
            info = client.execute_command("CLUSTER", "INFO")
            text = info.decode() if isinstance(info, bytes) else str(info)
            if "cluster_state:ok" not in text or f"cluster_known_nodes:{NODES}" not in text:
                return False
            ranges = client.execute_command("CLUSTER", "SLOTS")
            return len(ranges) == NODES

    def flush(self) -> None:
        for port in self.ports:
            with self.node(port) as client:
                client.flushall()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        for process in self.processes:
            process.wait(5)
        self.processes.clear()

    def alive_pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.poll() is None]


def _spawn(binary: Path, port: int, directory: Path) -> subprocess.Popen[bytes]:
    args = [
        str(binary),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--cluster-enabled", "yes",
        "--cluster-config-file", f"nodes-{port}.conf",
        "--cluster-node-timeout", "5000",
        "--dir", str(directory),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--logfile", f"redis-{port}.log",
    ]  # fmt: skip
    return subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
        start_new_session=True,
    )


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_ports(n: int) -> list[int]:
    """``n`` ports P whose cluster bus port P + 10000 is free as well (Redis' default offset)."""
    rng = random.Random()
    ports: list[int] = []
    while len(ports) < n:
        port = rng.randrange(20000, 55000)
        if port not in ports and _bindable(port) and _bindable(port + 10000):
            ports.append(port)
    return ports


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    try:
        find_redis_server()
    except EmbeddedRedisError as exc:
        pytest.skip(str(exc))
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def cluster_redis(redis_cluster: LocalCluster) -> AsyncIterator[Any]:
    """warner's client for the cluster (``connect`` with the cluster URL), on empty nodes."""
    redis_cluster.flush()
    client = connect(redis_cluster.url)
    await learn_slots(client)  # as open_redis does
    yield client
    await client.aclose()


@pytest.fixture
async def cluster_worker_redis(cluster_redis: Any, config: Any) -> AsyncIterator[Any]:
    """``cluster_redis`` after the worker's own Redis steps ran once on it, on one mention.

    A step the cluster client refuses (a script whose keys span slots, a script in a
    pipeline) fails here at once with redis-py's reason — in the worker it would only be a
    failing batch, retried and dead-lettered entry by entry for minutes before a test
    noticed that nothing was counted.
    """
    stream = MentionStream(cluster_redis)
    await stream.ensure_group()
    mention = Mention.model_validate(
        {"id": "probe", "source": "webhook", "brand": "kesselberg", "text": "Kesselberg", "created_at": PROBE_AT}
    )
    for stage in build_stages(config, cluster_redis, Metrics(), LexiconScorer()):
        await stage.process([Envelope("0-1", mention, 0)])
    await stream.ack(["0-1"])
    await cluster_redis.flushall()
    yield cluster_redis
