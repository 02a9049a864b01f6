"""``/readyz`` tells whether a mention accepted now could be made durable now — and a worker
that cannot reach Redis at start waits a while, quietly, then stops (exit 1, one line).

Real ``warner run --role api`` and ``--role worker`` processes on a private redis-server.
Redis is filled to ``maxmemory`` with ``noeviction`` — it still answers PING, but refuses
every write ("OOM command not allowed when used memory > 'maxmemory'"), which is what
``/readyz`` used to miss. Both processes must answer ``503`` naming that reason within 5 s
of the first refused write, ``/healthz`` stays ``200`` (the process is alive), and both are
ready again within 5 s of Redis taking writes again.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from readiness import readyz, role_running, seconds_until, start_role
from redis.exceptions import OutOfMemoryError
from support import TOKENS

from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis

pytestmark = pytest.mark.timeout(60)

WITHIN_S = 5.0  # the bound: readiness false within 5 s of writes failing, and true again after


async def fill_until_full(admin) -> float:  # type: ignore[no-untyped-def]
    """Fill Redis to ``maxmemory`` (``noeviction``); when (monotonic) a small write was first refused.

    Filled up to a limit 4 MB above what it used, Redis hovers at the edge: a refused write frees
    its buffers and a moment later small writes fit again. So once full, the limit is put 1 MB
    below what the data takes — a Redis whose data outgrew ``maxmemory`` — and stays full.
    """
    await admin.config_set("maxmemory-policy", "noeviction")
    await admin.config_set("maxmemory", int((await admin.info("memory"))["used_memory"]) + 4_000_000)
    for n in range(1000):
        try:
            await admin.set(f"test:fill:{n}", b"x" * 100_000)
        except OutOfMemoryError:
            break
    await admin.config_set("maxmemory", int((await admin.info("memory"))["used_memory"]) - 1_000_000)
    with pytest.raises(OutOfMemoryError):
        await admin.set("test:fill:small", b"x")
    return time.monotonic()


async def test_readyz_of_api_and_worker_is_503_while_redis_is_full_and_200_again_after(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis", appendfsync="everysec")
    server.start()
    admin = connect(server.url)
    try:
        with (
            role_running("api", server.url, tmp_path) as api,
            role_running("worker", server.url, tmp_path) as worker,
        ):
            urls = {"api": api.url, "worker": worker.url}
            await seconds_until(urls, 200, time.monotonic(), 30)  # the worker is ready once its model is loaded
            worker.wait_event("worker_started")

            writes_failed = await fill_until_full(admin)
            unready = await seconds_until(urls, 503, writes_failed, WITHIN_S)

            async with aiohttp.ClientSession() as http:
                for url in urls.values():
                    status, body = await readyz(http, url)
                    assert status == 503 and body["status"] == "unavailable"
                    assert "command not allowed when used memory > 'maxmemory'" in body["write"], body
                    async with http.get(f"{url}/healthz") as alive:
                        assert alive.status == 200  # liveness: restarting the process would not help
                async with http.get(f"{worker.url}/metrics") as scraped:
                    assert "warner_store_writable 0.0" in await scraped.text()
                mention = {"id": "full-1", "text": "Kesselberger Helles", "created_at": "2026-11-21T19:42:10+01:00"}
                headers = {"Authorization": f"Bearer {TOKENS['TEST_TOKEN_WEBHOOK']}"}
                async with http.post(f"{api.url}/v1/mentions", json=mention, headers=headers) as refused:
                    assert refused.status == 503  # what /readyz now agrees with

            await admin.config_set("maxmemory", 0)
            writes_work = time.monotonic()
            ready = await seconds_until(urls, 200, writes_work, WITHIN_S)
            async with aiohttp.ClientSession() as http, http.get(f"{worker.url}/metrics") as scraped:
                assert "warner_store_writable 1.0" in await scraped.text()
            print(f"\n/readyz 503 after writes failed: api {unready['api']:.2f}s, worker {unready['worker']:.2f}s; "
                  f"200 again after they worked: api {ready['api']:.2f}s, worker {ready['worker']:.2f}s")
            for run in (api, worker):
                assert [e["event"] for e in run.events() if e["event"].startswith("store_")][-2:] == [
                    "store_not_writable", "store_writable_again"]  # one line each way, not one per probe
    finally:
        await admin.aclose()
        server.stop()


async def test_a_worker_that_cannot_reach_redis_at_start_waits_with_one_line_per_try_then_exits_1(tmp_path):
    run = start_role("worker", f"unix://{tmp_path}/no-redis.sock", tmp_path, start_timeout="2s")
    try:
        returncode = await asyncio.to_thread(run.process.wait, 30)
    finally:
        run.stop()
    assert returncode == 1
    tries = [e for e in run.events() if e["event"] == "redis_unreachable_at_start"]
    assert len(tries) >= 3 and all("no-redis.sock" in e["error"] for e in tries)
    assert [e["retry_in"] for e in tries][:3] == [0.25, 0.5, 1.0]  # backing off, one line per step
    assert "Traceback" not in run.text()
    assert not [e for e in run.events() if e["event"] in ("worker_started", "escalation_pass_failed")]
    last = run.lines[-1]
    assert last.startswith("error: Redis unreachable since start") and "worker.start_timeout 2s" in last, last
    assert len(run.lines) == len(tries) + 1, run.text()  # the tries and the one error line: nothing else
