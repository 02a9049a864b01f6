"""Ingest tokens are kept only as digests, compared with every one of them, and refused precisely."""

from __future__ import annotations

import hashlib

import pytest
from aiohttp.test_utils import TestClient, TestServer

from warner.ingest.app import CONTEXT, create_app
from warner.ingest.auth import TokenRegistry
from warner.secret_digest import secret_digest as digest
from warner.store import keys


def test_registry_keeps_no_plaintext_token():
    registry = TokenRegistry({"webhook": "webhook-secret-token", "forum": "forum-secret-token"})
    held = repr(registry) + repr([getattr(registry, s) for s in registry.__slots__])
    assert "webhook-secret-token" not in held and "forum-secret-token" not in held
    assert digest("webhook-secret-token") == hashlib.sha256(b"webhook-secret-token").digest()
    assert len(registry) == 2


@pytest.mark.parametrize(
    ("header", "source"),
    [
        ("Bearer webhook-secret-token", "webhook"),
        ("bearer   forum-secret-token  ", "forum"),
        ("Bearer webhook-secret-tokenX", None),
        ("Basic webhook-secret-token", None),
        ("webhook-secret-token", None),
        ("Bearer ", None),
        ("", None),
        (None, None),
        ("Bearer \udcff\udcfe", None),  # undecodable header bytes arrive as lone surrogates
        ("Bearer " + "x" * 100_000, None),
    ],
)
def test_source_for_a_presented_token(header, source):
    registry = TokenRegistry({"webhook": "webhook-secret-token", "forum": "forum-secret-token"})
    assert registry.source_for(header) == source


def test_every_digest_is_compared(monkeypatch):
    """No early exit: the comparison count does not depend on which source (if any) matched."""
    from warner.ingest import auth

    calls = []
    real = auth.hmac.compare_digest

    def counting(a, b):
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    registry = TokenRegistry({f"s{i}": f"token-number-{i}" for i in range(5)})
    for header in ("Bearer token-number-0", "Bearer token-number-4", "Bearer nope-nope"):
        calls.clear()
        registry.source_for(header)
        assert len(calls) == 5


@pytest.fixture
async def client(config, redis):
    async with TestClient(TestServer(create_app(config, redis), host="127.0.0.1")) as client:
        yield client


async def test_the_running_app_holds_only_digests(client, tokens):
    registry = client.server.app[CONTEXT].tokens
    assert isinstance(registry, TokenRegistry)
    held = repr(registry._digests)
    assert all(token not in held for token in tokens.values())


async def test_auth_behaviour_is_unchanged(client, redis, tokens, make_mention):
    missing = await client.post("/v1/mentions", json=make_mention())
    wrong = await client.post("/v1/mentions", json=make_mention(), headers={"Authorization": "Bearer wrong-token"})
    foreign = await client.post(
        "/v1/mentions", json=make_mention(source="webhook"), headers={"Authorization": f"Bearer {tokens['forum']}"}
    )
    ok = await client.post("/v1/mentions", json=make_mention(), headers={"Authorization": f"Bearer {tokens['forum']}"})
    assert [missing.status, wrong.status, foreign.status, ok.status] == [401, 401, 403, 202]
    assert (await missing.json())["error"] == "missing bearer token"
    assert (await wrong.json())["error"] == "unknown bearer token"
    assert await redis.xlen(keys.MENTION_STREAM) == 1
