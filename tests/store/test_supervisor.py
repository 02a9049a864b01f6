"""The embedded server's supervisor: a killed redis-server is reaped and started again on the same data.

In-process, with real servers: what the client sees across the restart, and that a
restarted child still dies with its owner (``PR_SET_PDEATHSIG`` follows the forking thread).
The same through a real ``warner run`` is in ``tests/faults/test_embedded_redis_killed.py``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import structlog
from store.test_embedded import alive, wait_dead

from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis
from warner.store.supervisor import RedisSupervisor


async def test_a_killed_server_is_reaped_and_restarted_and_the_client_reconnects_by_itself(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, appendfsync="always")
    server.start()
    supervisor = RedisSupervisor(server)
    supervisor.start()
    client = connect(server.url)
    try:
        await client.set("before", "kept")
        old = server.pid
        assert old is not None
        with structlog.testing.capture_logs() as logs:
            os.kill(old, signal.SIGKILL)
            killed_at = time.monotonic()
            while not any(e["event"] == "embedded_redis_restarted" for e in logs):
                assert time.monotonic() - killed_at < 10, "not restarted within 10 s"
                await asyncio.sleep(0.01)
            back_after = time.monotonic() - killed_at
        assert not Path(f"/proc/{old}").exists(), "the killed server was left a zombie"  # noqa: ASYNC240 - one stat of /proc
        assert back_after < 2.0
        events = [e for e in logs if e["event"].startswith("embedded_redis_")]
        assert [e["event"] for e in events] == ["embedded_redis_died", "embedded_redis_restarted"]
        assert events[0]["signal"] == "SIGKILL" and events[1]["pid"] == server.pid
        # The same client, no reconnect of ours: redis-py opens a new connection by itself.
        assert await client.get("before") == b"kept"
        await client.set("after", "too")
    finally:
        await client.aclose()
        await supervisor.close()
        server.stop()
    assert supervisor.failure is None


def test_a_restarted_server_still_dies_with_its_owner(tmp_path: Path) -> None:
    script = (
        "import asyncio, os, signal, sys, time\n"
        "from warner.logs import configure_logging; configure_logging('warning')\n"
        "from warner.store.embedded import EmbeddedRedis\n"
        "from warner.store.supervisor import RedisSupervisor\n"
        "async def main():\n"
        "    s = EmbeddedRedis(sys.argv[1]); s.start()\n"
        "    RedisSupervisor(s).start()\n"
        "    first = s.pid; os.kill(first, signal.SIGKILL)\n"
        "    while s.pid == first or s.probe() != 'ready':\n"
        "        await asyncio.sleep(0.01)\n"
        "    print(s.pid, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    with subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True) as owner:
        assert owner.stdout is not None
        restarted = int(owner.stdout.readline())
        assert alive(restarted)
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert wait_dead(restarted), "the restarted redis-server survived its owner"
