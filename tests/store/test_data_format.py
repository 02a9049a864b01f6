"""The data format in Redis: a new store is stamped, an older one migrated once, a newer one refused.

Real Redis throughout; the refusal is a real ``warner run`` of each role against a store a newer
warner wrote, which must exit 1 with one line saying what to do — and leave the data as it was.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from support import CONFIG_YAML

from warner.store import keys
from warner.store.connection import connect
from warner.store.data_format import DATA_FORMAT, DataFormatTooNew, ensure_data_format, stored_format
from warner.store.urls import shown_url

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
TEST_KEY = "warner:{kesselberg}:old-shape"  # what the test migrations rewrite


async def test_a_new_store_gets_the_current_format_and_keeps_it(redis):
    assert await stored_format(redis) is None
    assert await ensure_data_format(redis, "redis://test") == DATA_FORMAT
    assert await stored_format(redis) == DATA_FORMAT
    assert await ensure_data_format(redis, "redis://test") == DATA_FORMAT  # a second start: nothing to do
    assert await redis.keys("*") == [keys.DATA_FORMAT.encode()]


def migrations_counting_into(redis):
    """Format 1 stored a brand's figures as a hash, 2 as a JSON string, 3 under the key with ``:v3``.

    Each step counts its runs in Redis and takes a while, so two starters would overlap if both ran it.
    """

    async def hash_to_json(client) -> None:
        await client.incr("test:ran:1")
        await asyncio.sleep(0.3)
        figures = {k.decode(): int(v) for k, v in (await client.hgetall(TEST_KEY)).items()}
        if figures:  # idempotent: a step taken over after a crash finds it done
            await client.delete(TEST_KEY)
            await client.set(TEST_KEY, orjson.dumps(figures))

    async def rename(client) -> None:
        await client.incr("test:ran:2")
        await asyncio.sleep(0.1)
        if await client.exists(TEST_KEY):
            await client.rename(TEST_KEY, TEST_KEY + ":v3")

    return {1: hash_to_json, 2: rename}


async def test_an_older_store_is_migrated_step_by_step_once_while_two_processes_start_at_once(redis, redis_url):
    await redis.hset(TEST_KEY, mapping={"mentions": 41, "negatives": 7})  # a 0.1.0 store: no format key yet
    first, second = connect(redis_url), connect(redis_url)  # two processes' clients
    try:
        migrations = migrations_counting_into(redis)
        results = await asyncio.gather(
            ensure_data_format(first, "redis://test", current=3, migrations=migrations),
            ensure_data_format(second, "redis://test", current=3, migrations=migrations),
        )
    finally:
        await first.aclose()
        await second.aclose()
    assert results == [3, 3]
    assert await stored_format(redis) == 3
    assert (await redis.get("test:ran:1"), await redis.get("test:ran:2")) == (b"1", b"1")  # each step ran once
    assert orjson.loads(await redis.get(TEST_KEY + ":v3")) == {"mentions": 41, "negatives": 7}
    assert not await redis.exists(keys.DATA_FORMAT_LOCK)  # the lease is released


async def test_a_migration_whose_migrator_died_is_taken_over_when_its_lease_runs_out(redis):
    await redis.set(keys.DATA_FORMAT, 2)  # step 1 -> 2 was done by the process that died during 2 -> 3
    await redis.hset(TEST_KEY, mapping={"mentions": 3})
    await redis.set(keys.DATA_FORMAT_LOCK, "dead-process", px=400)
    migrations = migrations_counting_into(redis)
    assert await ensure_data_format(redis, "redis://test", current=3, migrations=migrations) == 3
    assert await redis.get("test:ran:1") is None and await redis.get("test:ran:2") == b"1"  # from where it stopped
    assert await redis.exists(TEST_KEY + ":v3")


async def test_a_newer_store_is_refused_before_anything_is_read_or_written(redis):
    await redis.set(keys.DATA_FORMAT, DATA_FORMAT + 1)
    with pytest.raises(DataFormatTooNew) as refused:
        await ensure_data_format(redis, "redis://10.0.0.5:6379/0", version="0.2.0")
    assert str(refused.value) == (
        f"the data in redis://10.0.0.5:6379/0 is format {DATA_FORMAT + 1}, this warner 0.2.0 reads up to format "
        f"{DATA_FORMAT}: upgrade warner, or restore a backup made by this version"
    )
    assert await redis.keys("*") == [keys.DATA_FORMAT.encode()]


def test_the_store_is_named_without_its_password():
    assert shown_url("redis://:s3cret@10.0.0.5:6379/0?socket_timeout=3") == "redis://10.0.0.5:6379/0"
    assert shown_url("rediss+cluster://u:p@h1:7000,h2:7001") == "rediss+cluster://h1:7000,h2:7001"


async def snapshot(redis) -> dict[bytes, bytes]:
    return {key: await redis.dump(key) for key in sorted(await redis.keys("*"))}


@pytest.mark.parametrize("role", ["worker", "api"])
async def test_warner_run_refuses_data_of_a_newer_format_with_one_line_and_exit_1(
    role, redis, redis_url, tokens, tmp_path
):
    await redis.set(keys.DATA_FORMAT, DATA_FORMAT + 1)
    await redis.set(keys.detector("kesselberg"), orjson.dumps({"baseline": {"level": 3.0}, "future_field": [1]}))
    await redis.xadd(keys.MENTION_STREAM, {"m": b"{}", "t": b"0"})
    before = await snapshot(redis)
    config = tmp_path / "warner.yaml"
    config.write_text(CONFIG_YAML + "digest: {enabled: false}\ningest: {port: 0}\n", encoding="utf-8")
    env = {**os.environ, "REDIS_URL": redis_url, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    command = [sys.executable, "-m", "warner", "--config", str(config), "run", "--role", role]
    result = await asyncio.to_thread(
        subprocess.run, command, cwd=REPO, env=env, capture_output=True, text=True, timeout=45
    )
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: the data in {shown_url(redis_url)} is format {DATA_FORMAT + 1}, this warner ")
    assert lines[0].endswith(
        f"reads up to format {DATA_FORMAT}: upgrade warner, or restore a backup made by this version"
    )
    assert await snapshot(redis) == before  # not a key written, not a group created
