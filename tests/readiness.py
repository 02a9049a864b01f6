"""Real ``warner run --role api|worker`` processes against a given Redis, and their ``/readyz`` timed.

Used by the readiness tests (tests/faults/test_readiness.py, tests/cluster/test_readiness_on_cluster.py):
what ``/readyz`` answers is decided inside the process — its write probe, its last real write —
so only a real process, polled from outside, shows how soon it tells the truth.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
from running import WarnerRun
from support import CONFIG_YAML, TOKENS

REPO = Path(__file__).parents[1]

ROLE_YAML = (
    CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n").replace(
        "worker:\n", "worker:\n  metrics_port: 0\n  start_timeout: {start_timeout}\n"
    )
    + "digest: {{enabled: false}}\nlog: {{level: info, format: json}}\n"
)


def start_role(role: str, redis_url: str, tmp_path: Path, *, start_timeout: str = "3m") -> WarnerRun:
    """``warner run --role <role>`` with ``REDIS_URL`` as production starts it; the port is not known yet."""
    config = tmp_path / f"warner-{role}.yaml"
    config.write_text(ROLE_YAML.format(start_timeout=start_timeout), encoding="utf-8")
    env = {**os.environ, **TOKENS, "REDIS_URL": redis_url, "XDG_DATA_HOME": str(tmp_path / "xdg"),
           "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "warner", "--config", str(config), "run", "--role", role],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    return WarnerRun(process)


@contextmanager
def role_running(role: str, redis_url: str, tmp_path: Path, **options: Any) -> Iterator[WarnerRun]:
    """``start_role``, yielded once it listens (the API's port, or the worker's metrics port); stopped after."""
    run = start_role(role, redis_url, tmp_path, **options)
    try:
        run.port = int(run.wait_event("api_listening" if role == "api" else "metrics_listening", 30)["port"])
        yield run
    finally:
        run.stop()


async def readyz(http: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    try:
        async with http.get(f"{url}/readyz", timeout=aiohttp.ClientTimeout(total=5)) as response:
            return response.status, await response.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return 0, {"error": str(exc)}


async def seconds_until(urls: dict[str, str], status: int, since: float, limit: float) -> dict[str, float]:
    """Poll every url's ``/readyz`` every 50 ms; seconds from ``since`` (monotonic) until each answers ``status``."""
    reached: dict[str, float] = {}
    async with aiohttp.ClientSession() as http:
        while len(reached) < len(urls):
            for name, url in urls.items():
                if name not in reached and (await readyz(http, url))[0] == status:
                    reached[name] = time.monotonic() - since
            elapsed = time.monotonic() - since
            assert elapsed < limit, f"/readyz of {sorted(set(urls) - set(reached))} not {status} within {limit:g}s"
            await asyncio.sleep(0.05)
    return reached
