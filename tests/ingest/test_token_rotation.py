"""Rotating an ingest token without a single 401, and refused requests in the log without the token.

The operator's steps (deploy/OPERATIONS.md, "Rotating tokens"): put the new token in front of
the old one (``WARNER_TOKEN_WEBHOOK=new,old``), restart the API, switch the sender, remove the
old token, restart the API. Both tokens are valid in between; afterwards the old one is
refused, and the refusal is logged with the client's address — never with the token.
"""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from running import warner_run
from structlog.testing import capture_logs
from support import CONFIG_YAML, TOKENS

from warner.config.loading import parse_config
from warner.ingest.app import CONTEXT, create_app
from warner.ingest.refusals import OTHER_CLIENTS, RefusalLog
from warner.store import keys

pytestmark = pytest.mark.timeout(60)

OLD = "webhook-old-token-0123456789abcdef"
NEW = "webhook-new-token-fedcba9876543210"
RUN_YAML = CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n")


def mention(n: int) -> dict[str, str]:
    return {"id": f"r{n}", "text": f"Kesselberger Helles Nummer {n}", "created_at": "2026-11-21T19:42:10+01:00"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class WallClock:
    """The app's wall clock, moved by the test (the refusal log's window runs on it)."""

    def __init__(self) -> None:
        self.ms = 1_795_286_520_000

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
async def rotating(redis, monkeypatch):
    """The API with the webhook token mid-rotation: ``new,old`` (spaces around the comma are forgiven)."""
    monkeypatch.setenv("TEST_TOKEN_WEBHOOK", f"{NEW} , {OLD}")
    monkeypatch.setenv("TEST_TOKEN_FORUM", TOKENS["TEST_TOKEN_FORUM"])
    clock = WallClock()
    app = create_app(parse_config(CONFIG_YAML, "test.yaml"), redis, wall_ms=clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        client.clock = clock
        yield client


async def test_both_tokens_are_valid_during_a_rotation_and_belong_to_their_source(rotating, redis):
    old = await rotating.post("/v1/mentions", json=mention(1), headers=bearer(OLD))
    new = await rotating.post("/v1/mentions", json=mention(2), headers=bearer(NEW))
    joined = await rotating.post("/v1/mentions", json=mention(3), headers=bearer(f"{NEW},{OLD}"))
    assert [old.status, new.status, joined.status] == [202, 202, 401]  # the variable's text is no token
    stored = [entry[b"m"] for _, entry in await redis.xrange(keys.MENTION_STREAM)]
    assert len(stored) == 2 and all(b'"source":"webhook"' in m for m in stored)
    registry = rotating.server.app[CONTEXT].tokens
    assert len(registry) == 3  # webhook's two, forum's one
    assert OLD not in repr(registry._digests) and NEW not in repr(registry._digests)


async def test_refusals_are_logged_once_per_window_with_a_count_and_without_the_token(rotating):
    with capture_logs() as logs:
        for _ in range(20):
            answer = await rotating.post("/v1/mentions", json=mention(1), headers=bearer("stale-token-aaaa1111bbbb"))
            assert answer.status == 401
        assert (await rotating.post("/v1/mentions", json=mention(1))).status == 401
        rotating.clock.ms += 61_000  # the window has passed
        assert (
            await rotating.post("/v1/mentions", json=mention(1), headers=bearer("stale-token-aaaa1111bbbb"))
        ).status == 401
    refused = [e for e in logs if e["event"] == "ingest_refused"]
    assert [(e["reason"], e["refused"], e["client"]) for e in refused] == [
        ("wrong_token", 1, "127.0.0.1"),
        ("missing_token", 1, "127.0.0.1"),
        ("wrong_token", 20, "127.0.0.1"),  # 19 held back in the first window, and this one
    ]
    assert all(e["log_level"] == "warning" for e in refused)
    assert "stale-token" not in repr(logs) and "aaaa1111" not in repr(logs)


def test_a_flood_from_many_addresses_costs_a_bounded_table_and_few_lines():
    refusals = RefusalLog(interval_s=60, max_clients=8)
    with capture_logs() as logs:
        written = [refusals.refused(0.0, f"10.0.0.{n}", "wrong_token") for n in range(1000)]
    assert sum(written) == 9  # eight addresses, then one line for all the others
    assert logs[-1]["client"] == OTHER_CLIENTS and len(refusals._clients) == 9
    with capture_logs() as logs:
        refusals.refused(61.0, "10.0.0.200", "wrong_token")  # the quiet ones are forgotten after the window
    assert logs[0]["client"] == "10.0.0.200" and len(refusals._clients) == 1


async def test_a_rotation_with_real_api_processes_never_refuses_a_sender_and_ends_with_the_old_token_refused(
    tmp_path, redis, redis_url
):
    env = {"REDIS_URL": redis_url, "TEST_TOKEN_FORUM": TOKENS["TEST_TOKEN_FORUM"]}
    async with aiohttp.ClientSession() as http:
        # Step 1: new in front of old, restart the API: the sender still on the old token is not refused.
        with warner_run(
            RUN_YAML, tmp_path, {**env, "TEST_TOKEN_WEBHOOK": f"{NEW},{OLD}"}, args=("--role", "api")
        ) as run:
            for n, token in enumerate((OLD, NEW, OLD)):
                async with http.post(f"{run.url}/v1/mentions", json=mention(n), headers=bearer(token)) as r:
                    assert r.status == 202, await r.text()
        # Step 2: the sender has switched; the old token is removed and the API restarted.
        with warner_run(RUN_YAML, tmp_path, {**env, "TEST_TOKEN_WEBHOOK": NEW}, args=("--role", "api")) as run:
            async with http.post(f"{run.url}/v1/mentions", json=mention(9), headers=bearer(OLD)) as r:
                assert r.status == 401
            async with http.post(f"{run.url}/v1/mentions", json=mention(10), headers=bearer(NEW)) as r:
                assert r.status == 202
            refused = run.wait_event("ingest_refused", timeout=5)
            text = run.text()
    assert (refused["reason"], refused["client"], refused["refused"]) == ("wrong_token", "127.0.0.1", 1)
    assert OLD not in text and NEW not in text and OLD[:12] not in text
    assert await redis.xlen(keys.MENTION_STREAM) == 4
