"""``kill -9`` of the embedded redis-server under a real ``warner run``: it comes back by itself.

The embedded server is ``warner run``'s own child. Killed, it used to stay a zombie while
warner answered 503 for ever and paged nobody. Now the process supervises it
(``warner/store/supervisor.py``). What a user would check, against the real process:

* ingest and ``/readyz`` answer 200/202 again within seconds (the goal: 30 s), a good sender
  that retries on 503 gets every mention in, and every mention that got a ``202`` is counted,
  once (``appendfsync always``, the default of ``warner run``);
* an escalation step that fell due while Redis was away pages once Redis is back, exactly
  once (paging over the Twilio adapter to the local SMS gateway double);
* a server that cannot be started again (its AOF damaged) makes ``warner run`` give up
  within a bounded time and exit 1 with a clear line, so systemd or compose restart it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from doubles.sms_gateway import SmsGateway
from faults.books import Ingest, audit, counted_keys, eventually
from running import WarnerRun, warner_run
from support import CONFIG_YAML, TOKENS

from warner.scenarios import saturday_storm
from warner.store import keys
from warner.store.connection import connect
from warner.store.embedded import find_redis_server, running_url

pytestmark = pytest.mark.timeout(120)

RUN_YAML = CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n")
RECOVERY_GOAL_S = 30.0
MENTIONS = 1500
KILL_AFTER = 500  # accepted mentions before the kill


def mentions(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"k{i}",
            "text": f"Kesselberger Helles, Flasche {i}",
            "created_at": f"2026-11-21T19:{i * 60 // n:02d}:00+01:00",
            "author": f"user{i % 97}",
        }
        for i in range(n)
    ]


async def ready_status(http: aiohttp.ClientSession, base_url: str) -> int:
    try:
        async with http.get(f"{base_url}/readyz", timeout=aiohttp.ClientTimeout(total=5)) as response:
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


async def seconds_until_ready(base_url: str, since: float, limit: float = 60) -> float:
    """Poll ``/readyz`` every 20 ms; seconds from ``since`` (monotonic) until it answers 200."""
    async with aiohttp.ClientSession() as http:
        while time.monotonic() - since < limit:
            if await ready_status(http, base_url) == 200:
                return time.monotonic() - since
            await asyncio.sleep(0.02)
    raise AssertionError(f"/readyz not 200 within {limit:.0f}s of the kill")


async def drained(redis: Any) -> bool:
    backlog = await redis.xlen(keys.MENTION_STREAM)
    pending = (await redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP))["pending"]
    return backlog == 0 and pending == 0


def store_url(run: WarnerRun) -> str:
    """The embedded server's socket, as another process on the host reaches it."""
    started = run.wait_event("embedded_redis_started")
    url = running_url(Path(started["data_dir"]))
    assert url, "warner run holds no data dir"
    return url


def reaped(pid: int) -> bool:
    """Gone from the process table: exited *and* waited for (a zombie still has a /proc entry)."""
    return not Path(f"/proc/{pid}").exists()


async def test_kill_9_of_the_embedded_redis_recovers_within_seconds_and_loses_no_accepted_mention(tmp_path):
    with warner_run(RUN_YAML, tmp_path, TOKENS) as run:
        redis_pid = int(run.wait_event("embedded_redis_started")["pid"])
        redis = connect(store_url(run))
        try:
            async with Ingest(run.url, TOKENS["TEST_TOKEN_WEBHOOK"], timeout=10) as sender:
                deadline = time.monotonic() + 60
                posting = asyncio.create_task(sender.post_all(mentions(MENTIONS), per_request=20, retry_until=deadline))

                async def enough_accepted() -> bool:
                    assert not posting.done() or posting.exception() is None
                    return len(sender.ledger.accepted) >= KILL_AFTER

                await eventually(enough_accepted, 30, f"{KILL_AFTER} mentions accepted")
                os.kill(redis_pid, signal.SIGKILL)
                killed_at = time.monotonic()
                recovered_after = await seconds_until_ready(run.url, killed_at)
                await posting

            died = run.wait_event("embedded_redis_died")
            restarted = run.wait_event("embedded_redis_restarted")
            print(f"\n/readyz 200 again {recovered_after:.3f}s after kill -9 (server down {restarted['down_s']}s)")
            assert recovered_after <= RECOVERY_GOAL_S
            assert (died["pid"], died["signal"]) == (redis_pid, "SIGKILL")
            assert restarted["pid"] != redis_pid and restarted["down_s"] < RECOVERY_GOAL_S
            assert reaped(redis_pid), "the killed redis-server is still in the process table (a zombie)"

            ledger = sender.ledger
            assert ledger.refused, "no request met the outage: the kill came too late"
            assert ledger.statuses() == {503} and ledger.errors == []
            assert len(ledger.accepted) == MENTIONS  # the retrying sender got everything in

            # The worker resumes by itself; every acknowledged mention is counted, once.
            await eventually(lambda: drained(redis), 30, "the worker draining the stream after the restart")
            print(f"stream drained {time.monotonic() - killed_at:.1f}s after the kill")
            books = await audit(redis, ("kesselberg", "bergblick"))
            counted = {k.removeprefix("webhook:") for k in await counted_keys(redis, "kesselberg")}
            lost = sorted(set(ledger.accepted) - counted)
            assert lost == [], f"{len(lost)} mentions answered 202 were lost: {lost[:10]}"
            assert books.counted_twice == [] and books.counted == MENTIONS
        finally:
            await redis.aclose()
        assert run.stop() == 0  # and it still shuts down cleanly


# -- an escalation step due while Redis is away ---------------------------------------------------

ANNA_PHONE, BEN_PHONE = "+4915111111111", "+4915122222222"
LEVEL2_WAIT_S = 3

PAGING_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, phone: "{anna}"}}
    - {{id: ben, name: Ben, phone: "{ben}", language: en}}
  schedules:
    - id: social
      layers:
        - {{id: base, type: weekly, handoff: "09:00", start: 2020-01-06, members: [anna]}}
notify:
  sms:
    provider: twilio
    twilio: {{base_url: "{sms}", account_sid: AC0123456789abcdef, auth_token_env: TEST_TWILIO_TOKEN,
              from_number: "+4930123456"}}
  retry: {{max_attempts: 2, base_delay: 10ms, max_delay: 20ms}}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  repeat_interval: 30m
  policies:
    - id: storm
      steps:
        - {{notify_on_call: social, channels: [sms]}}
        - {{wait: {wait}s}}
        - {{notify_persons: [ben], channels: [sms]}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""


def held_redis_server(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A ``redis-server`` first on PATH that refuses to start while a file exists (as a server
    whose disk is away for a few seconds would), else runs the real one; (env, that file)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    hold = tmp_path / "hold-redis"
    wrapper = bin_dir / "redis-server"
    wrapper.write_text(
        f'#!/bin/sh\nif [ -e "{hold}" ]; then echo "held by the test" >&2; exit 1; fi\n'
        f'exec "{find_redis_server()}" "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}, hold


def sms_to(sms: SmsGateway, phone: str) -> list[float]:
    """When (perf_counter) each SMS to ``phone`` reached the gateway."""
    return [r.received_at for r in sms.requests if r.form.get("To") == phone]


async def level2_timer(redis: Any) -> float | None:
    """Due time (epoch) of the pending escalation step that pages level 2, once the engine scheduled it."""
    for timer_id, raw in (await redis.hgetall(keys.TIMERS_PAYLOAD)).items():
        payload = orjson.loads(raw)["payload"]
        if payload.get("kind") == "step" and payload.get("pos") == 2:
            due = await redis.zscore(keys.TIMERS_DUE, timer_id)
            return float(due) if due is not None else None
    return None


async def test_an_escalation_step_due_while_redis_is_down_pages_once_after_it_is_back(tmp_path):
    path_env, hold = held_redis_server(tmp_path)
    env = {**TOKENS, **path_env, "TEST_TWILIO_TOKEN": "twilio-test-token"}
    async with SmsGateway() as sms:
        config = RUN_YAML + PAGING_YAML.format(anna=ANNA_PHONE, ben=BEN_PHONE, sms=sms.url, wait=LEVEL2_WAIT_S)
        with warner_run(config, tmp_path, env) as run:
            redis_pid = int((await asyncio.to_thread(run.wait_event, "embedded_redis_started"))["pid"])
            redis = connect(await asyncio.to_thread(store_url, run))
            try:
                # A storm through ingest; the detector opens an incident, Anna (on call) is paged by SMS.
                async with Ingest(run.url, TOKENS["TEST_TOKEN_WEBHOOK"], timeout=10) as sender:
                    await sender.post_all(saturday_storm().mentions, per_request=100, retry_until=time.monotonic() + 30)

                async def anna_paged_and_level2_scheduled() -> bool:
                    return bool(sms_to(sms, ANNA_PHONE)) and await level2_timer(redis) is not None

                await eventually(anna_paged_and_level2_scheduled, 60, "Anna paged and the level-2 step scheduled")
                due = await level2_timer(redis)
                assert due is not None

                # Redis dies before level 2 is due, and cannot come back until a second after it.
                hold.touch()
                os.kill(redis_pid, signal.SIGKILL)
                killed_at, killed_mono = time.time(), time.monotonic()
                assert killed_at < due, "the kill came after level 2 was due"
                assert sms_to(sms, BEN_PHONE) == []
                await asyncio.sleep(due + 1 - time.time())
                assert sms_to(sms, BEN_PHONE) == [], "Ben was paged while Redis was down?"
                hold.unlink()
                released_at = time.perf_counter()
                recovered_after = await seconds_until_ready(run.url, killed_mono)
                print(f"\ngap {recovered_after:.2f}s; level 2 was due {due - killed_at:.2f}s after the kill")

                await eventually(lambda: _sent(sms, BEN_PHONE), 30, "Ben paged after Redis came back")
                await asyncio.sleep(3)  # several escalation passes later: still one page each
                assert len(sms_to(sms, BEN_PHONE)) == 1, "the step that fell due in the gap paged Ben twice"
                assert sms_to(sms, BEN_PHONE)[0] > released_at  # after Redis was back, not before the kill
                assert len(sms_to(sms, ANNA_PHONE)) == 1
                events = {e["event"] for e in run.events()}
                assert {"embedded_redis_died", "embedded_redis_restart_failed", "embedded_redis_restarted"} <= events
                assert "escalation_pass_failed" in events  # it did fail while Redis was away, and recovered
            finally:
                await redis.aclose()


async def _sent(sms: SmsGateway, phone: str) -> bool:
    return bool(sms_to(sms, phone))


# -- a server that cannot come back --------------------------------------------------------------

GIVE_UP_WITHIN_S = 45.0  # ~16 s of restarts (supervisor.MAX_FAILURES) plus an orderly shutdown


def test_when_redis_cannot_be_started_again_warner_run_exits_1_with_a_clear_line(tmp_path):
    with warner_run(RUN_YAML, tmp_path, TOKENS) as run:
        started = run.wait_event("embedded_redis_started")
        # A damaged append-only file: Redis refuses to load it, now and on every restart.
        aof_files = [p for p in Path(started["data_dir"]).rglob("*.aof") if p.is_file()]
        assert aof_files
        for aof in aof_files:
            with aof.open("ab") as f:
                f.write(b"damaged by the test!!\r\n")
        os.kill(int(started["pid"]), signal.SIGKILL)
        killed_at = time.monotonic()
        code = run.process.wait(GIVE_UP_WITHIN_S)
        took = time.monotonic() - killed_at
        print(f"\nwarner run exited {code} {took:.1f}s after the kill")
        assert code == 1
        gave_up = run.wait_event("embedded_redis_gave_up")
        assert gave_up["level"] == "error" and "Bad file format" in gave_up["redis_log"]
        assert "error: the embedded redis-server" in run.text() and "could not be started again" in run.text()
        failed = [e for e in run.events() if e["event"] == "embedded_redis_restart_failed"]
        assert len(failed) >= 5
