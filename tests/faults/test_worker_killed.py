"""kill -9 of a worker process in the middle of a batch, while a storm arrives over HTTP.

``tests/test_worker.py`` kills a worker child that was fed straight into the stream; here the
whole production path runs: a sender posts the Saturday storm to the real ingest API (HTTP,
127.0.0.1), two ``warner run --role worker`` processes share the consumer group, and one of
them is killed with SIGKILL while it holds an unacknowledged batch. The other must take the
batch over (XAUTOCLAIM after ``claim_idle``) and the books must balance: every mention that
got a ``202`` counted exactly once, nothing left in the stream, one incident whose figures
are the sum of its buckets.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from faults.books import Ingest, Ledger, audit, eventually, incident_mismatches
from support import CONFIG_YAML, replay

from warner.metrics import Metrics
from warner.scenarios import saturday_storm
from warner.service import start_api
from warner.store import keys

pytestmark = pytest.mark.timeout(60)

HERE = Path(__file__).parent
REPO = HERE.parents[1]
BRANDS = ("kesselberg", "bergblick")

WORKER_YAML = (
    CONFIG_YAML
    + """
digest: {enabled: false}
log: {level: info, format: json}
"""
)


def start_warner(
    role: str, redis_url: str, config_path: Path, log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``warner run --role <role>`` as production starts it (REDIS_URL in the environment); appends to its log."""
    env = {**os.environ, **(env or {}), "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "warner", "--config", str(config_path), "run", "--role", role],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def consumers(redis) -> dict[str, int]:
    """Consumer name -> entries it holds unacknowledged (empty while the group does not exist)."""
    try:
        infos = await redis.xinfo_consumers(keys.MENTION_STREAM, keys.WORKER_GROUP)
    except Exception:
        return {}
    return {info["name"].decode(): int(info["pending"]) for info in infos}


def consumer_of(pid: int, names: dict[str, int]) -> str | None:
    return next((name for name in names if f"-{pid}-" in name), None)


@dataclass
class Aftermath:
    """What a storm with a worker killed in the middle of it left behind."""

    unique: int  # distinct mentions in the storm
    ledger: Ledger
    orphaned: int  # entries the victim held unacknowledged when it died
    killed_while_posting: bool
    survivor_log: str


async def storm_with_a_killed_worker(redis, redis_url, config, tokens, tmp_path) -> Aftermath:
    """Post the storm over HTTP to two worker processes, SIGKILL one mid-batch, wait for the other to drain."""
    config_path = tmp_path / "warner.yaml"
    config_path.write_text(WORKER_YAML, encoding="utf-8")
    victim = start_warner("worker", redis_url, config_path, tmp_path / "victim.log")
    survivor = start_warner("worker", redis_url, config_path, tmp_path / "survivor.log")
    api = await start_api(config, redis, Metrics(), port=0)
    storm = saturday_storm().mentions
    try:
        # Both workers are in the group before the first mention arrives.
        await eventually(lambda: _both_started(tmp_path, victim, survivor), 40, "both workers reading the stream")
        async with Ingest(f"http://127.0.0.1:{api.port}", tokens["webhook"]) as sender:
            posting = asyncio.create_task(_post_slowly(sender, storm))
            # Kill the victim while it holds a batch it has not acknowledged, at the height of the storm.
            await eventually(
                lambda: _holds_a_batch(redis, victim, sender, at_least=1000), 30, "the victim holding a batch"
            )
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed_while_posting = not posting.done()
            orphaned = consumer_of(victim.pid, await consumers(redis))
            orphaned_entries = (await consumers(redis))[orphaned] if orphaned else 0
            await posting
        # The survivor takes the orphaned batch over and drains the stream on its own.
        await eventually(lambda: _drained(redis), 30, "the survivor draining the stream")
        assert survivor.poll() is None, "the survivor died too"
        return Aftermath(
            len({r["id"] for r in storm}),
            sender.ledger,
            orphaned_entries,
            killed_while_posting,
            (tmp_path / "survivor.log").read_text(),
        )
    finally:
        for child in (victim, survivor):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in (victim, survivor):
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        await api.close()


async def test_a_worker_killed_mid_batch_loses_and_doubles_nothing_and_the_other_takes_over(
    redis, redis_url, config, tokens, tmp_path
):
    after = await storm_with_a_killed_worker(redis, redis_url, config, tokens, tmp_path)
    assert after.killed_while_posting, "the storm was fully posted before the kill; kill earlier"
    assert after.orphaned > 0, "the victim held no batch when it died"
    assert '"entries_reclaimed"' in after.survivor_log

    ledger = after.ledger
    assert len(ledger.accepted) == after.unique  # the storm re-sends 3 % of its posts, as real sources do …
    assert ledger.duplicates == len(saturday_storm().mentions) - after.unique  # … and ingest says so
    assert ledger.refused == [] and ledger.errors == []

    books = await audit(redis, BRANDS)
    assert books.counted == len(ledger.accepted)  # every 202, counted …
    assert books.counted_twice == []  # … exactly once
    assert (books.backlog, books.pending) == (0, 0)

    # One storm, one incident, whose figures are the sum of its buckets.
    assert [i.id for i in books.incidents] == ["kesselberg:1"]
    assert await incident_mismatches(redis) == []


async def _post_slowly(sender: Ingest, records: list[dict]) -> None:
    """A steady flow (about 2 s for the storm) rather than one burst: the kill lands mid-stream."""
    for i in range(0, len(records), 20):
        assert await sender.post(records[i : i + 20]) == 202
        await asyncio.sleep(0.01)


async def _both_started(tmp_path: Path, victim: subprocess.Popen, survivor: subprocess.Popen) -> bool:
    """Both processes logged ``worker_started`` (a consumer shows in XINFO only once it was served)."""
    for child, name in ((victim, "victim"), (survivor, "survivor")):
        assert child.poll() is None, f"the {name} worker exited with {child.returncode}"
    return all('"worker_started"' in (tmp_path / f"{n}.log").read_text() for n in ("victim", "survivor"))


async def _holds_a_batch(redis, victim: subprocess.Popen, sender: Ingest, at_least: int) -> bool:
    if len(sender.ledger.accepted) < at_least:
        return False
    names = await consumers(redis)
    name = consumer_of(victim.pid, names)
    return name is not None and names[name] > 0


async def _drained(redis) -> bool:
    backlog = await redis.xlen(keys.MENTION_STREAM)
    pending = (await redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP))["pending"]
    return backlog == 0 and pending == 0


def start_hanging_worker(redis_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    return subprocess.Popen([sys.executable, str(HERE / "hanging_worker.py"), redis_url], env=env)


async def test_an_incident_counts_the_batch_a_dead_worker_left_behind(redis, redis_url, config, tokens):
    """The survivor is ahead of the dead worker's batch, so the detector has judged its buckets before it
    is counted; the incident must still end up with those mentions (counts that land in a judged bucket
    reach the episode), not the counters alone. ``hanging_worker.py`` stops before counting a batch at
    the height of the storm, so this happens every time, not only when a random kill lands before the count."""
    victim = start_hanging_worker(redis_url)
    api = await start_api(config, redis, Metrics(), port=0)
    try:
        async with Ingest(f"http://127.0.0.1:{api.port}", tokens["webhook"]) as sender:
            await sender.post_all(saturday_storm().mentions, per_request=20)
        await eventually(lambda: redis.exists("test:holding"), 20, "the victim holding a storm batch")
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
        await api.close()
    # The survivor drains what is left of the storm, then (after claim_idle) reclaims the dead worker's batch.
    patient = config.model_copy(
        update={"worker": config.worker.model_copy(update={"claim_idle": timedelta(seconds=3)})}
    )
    await replay(redis, patient, [])

    books = await audit(redis, ("kesselberg", "bergblick"))
    assert books.counted == len(sender.ledger.accepted) and books.counted_twice == []
    assert await redis.xlen(keys.MENTION_STREAM) == 0
    assert await incident_mismatches(redis) == []
