"""The embedded Redis: persistence, exclusivity, and no orphan processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis as sync_redis

from warner.store.embedded import DataDirBusy, EmbeddedRedis, running_url


def client(server: EmbeddedRedis) -> sync_redis.Redis:
    return sync_redis.Redis(unix_socket_path=str(server.socket_path))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def wait_dead(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not alive(pid)


def test_data_survives_a_restart_with_aof(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as server:
        c = client(server)
        c.xadd("s", {"m": "hello"})
        assert c.config_get("appendonly") == {"appendonly": "yes"}
        assert c.config_get("appendfsync") == {"appendfsync": "always"}
        c.close()
    with EmbeddedRedis(tmp_path) as server:
        c = client(server)
        assert c.xlen("s") == 1
        c.close()


def test_second_owner_of_a_data_dir_gets_a_clear_error(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as first:
        with pytest.raises(DataDirBusy, match=f"pid {os.getpid()}"):
            EmbeddedRedis(tmp_path).start()
        assert client(first).ping()  # the first one is unharmed
        assert running_url(tmp_path) == first.url
    assert running_url(tmp_path) is None


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    pid = server.pid
    server.stop()
    assert wait_dead(pid)


def test_long_data_dir_uses_a_short_socket_path(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    with EmbeddedRedis(deep) as server:
        assert len(str(server.socket_path)) <= 100
        assert client(server).ping()


def test_killing_the_owner_with_sigkill_kills_redis_too(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from warner.logs import configure_logging; configure_logging('warning')\n"
        "from warner.store.embedded import EmbeddedRedis\n"
        "s = EmbeddedRedis(sys.argv[1]); s.start()\n"
        "print(s.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True) as owner:
        redis_pid = int(owner.stdout.readline())
        assert alive(redis_pid)
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert wait_dead(redis_pid), "redis-server survived its owner"
    with EmbeddedRedis(tmp_path) as again:  # the lock died with the owner, too
        assert client(again).ping()
