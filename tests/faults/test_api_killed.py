"""kill -9 of the ingest API process while a storm is being posted to it.

A ``202`` is only sent after the Lua append has put the mentions into the stream, so a dead
API can have lost only requests it never answered. The sender (as real webhook senders do)
sends an unanswered request again once an API answers; dedupe by ``(source, id)`` makes the
repeat harmless. The books must balance: every mention of the storm counted exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time

import pytest
from faults.books import Ingest, audit, eventually
from faults.test_worker_killed import start_warner
from support import CONFIG_YAML, TOKENS

from warner.metrics import Metrics
from warner.scenarios import saturday_storm
from warner.service import build_worker

pytestmark = pytest.mark.timeout(90)

PER_REQUEST = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_an_api_killed_mid_storm_loses_nothing_it_answered_and_a_resent_request_counts_once(
    redis, redis_url, config, tokens, tmp_path
):
    port = _free_port()
    config_path = tmp_path / "warner.yaml"
    config_path.write_text(
        CONFIG_YAML.replace("ingest:\n", f"ingest:\n  host: 127.0.0.1\n  port: {port}\n", 1)
        + "digest: {enabled: false}\n",
        encoding="utf-8",
    )
    storm = saturday_storm().mentions
    chunks = [storm[i : i + PER_REQUEST] for i in range(0, len(storm), PER_REQUEST)]
    api = start_warner("api", redis_url, config_path, tmp_path / "api.log", env=TOKENS)
    kills = 0
    try:
        async with Ingest(f"http://127.0.0.1:{port}", tokens["webhook"], timeout=5) as sender:
            await eventually(lambda: _ready(sender), 60, "the API answering")
            deadline = time.monotonic() + 70
            for n, chunk in enumerate(chunks):
                if n in (len(chunks) // 3, 2 * len(chunks) // 3):  # twice, at a third and two thirds in
                    posting = asyncio.create_task(sender.post(chunk))
                    await asyncio.sleep(0.002)  # the request is on its way, maybe appended, not answered
                    api.send_signal(signal.SIGKILL)
                    api.wait()
                    kills += 1
                    await posting  # 202 if the kill came after the answer; else sent again below
                    api = start_warner("api", redis_url, config_path, tmp_path / "api.log", env=TOKENS)
                while await sender.post(chunk) != 202:  # no answer: send the same request again
                    assert time.monotonic() < deadline, "the restarted API never answered"
                    await asyncio.sleep(0.1)
    finally:
        if api.poll() is None:
            api.send_signal(signal.SIGTERM)
            try:
                api.wait(10)
            except subprocess.TimeoutExpired:
                api.kill()
                api.wait()
    await build_worker(config, redis, Metrics()).drain()

    assert kills == 2
    unique = {r["id"] for r in storm}
    assert set(sender.ledger.accepted) == unique  # every mention got its 202 in the end
    books = await audit(redis, ("kesselberg", "bergblick"))
    assert books.counted == len(unique)  # … and is counted
    assert books.counted_twice == []  # … once, however often it was sent
    assert (books.backlog, books.pending) == (0, 0)
    # The storm re-sends 3 % of its posts; each chunk around a kill was sent again.
    assert sender.ledger.duplicates >= len(storm) - len(unique)


async def _ready(sender: Ingest) -> bool:
    assert sender._session is not None
    try:
        async with sender._session.get(sender.url.replace("/v1/mentions", "/readyz")) as response:
            return response.status == 200
    except Exception:
        return False
