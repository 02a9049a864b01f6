"""/metrics shows each brand's detector score and threshold: it can sit behind a bearer token,
or on a port of its own (for a private network), away from the public API."""

from __future__ import annotations

import aiohttp
import pytest
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.metrics import Metrics
from warner.service import start_api


@pytest.fixture
def metrics_token(monkeypatch, tokens) -> str:
    monkeypatch.setenv("TEST_METRICS_TOKEN", "metrics-token-4711")
    return "metrics-token-4711"


async def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers or {}) as response:
        await response.read()
        return response.status


async def test_with_a_metrics_token_metrics_needs_it_and_health_does_not(redis, metrics_token) -> None:
    config = parse_config(
        CONFIG_YAML.replace("ingest:\n", "ingest:\n  metrics_token_env: TEST_METRICS_TOKEN\n"), "t.yaml"
    )
    api = await start_api(config, redis, Metrics(), port=0)
    try:
        base = f"http://127.0.0.1:{api.port}"
        assert await status_of(f"{base}/metrics") == 401
        assert await status_of(f"{base}/metrics", {"Authorization": "Bearer wrong"}) == 401
        assert await status_of(f"{base}/metrics", {"Authorization": f"Bearer {metrics_token}"}) == 200
        assert await status_of(f"{base}/healthz") == 200
    finally:
        await api.close()


async def test_with_a_metrics_port_metrics_leaves_the_api_port(redis, tokens) -> None:
    config = parse_config(CONFIG_YAML.replace("ingest:\n", "ingest:\n  metrics_port: 0\n"), "t.yaml")
    api = await start_api(config, redis, Metrics(), port=0)
    try:
        assert api.also is not None and api.also.port not in (0, api.port)
        assert await status_of(f"http://127.0.0.1:{api.port}/metrics") == 404
        assert await status_of(f"http://127.0.0.1:{api.also.port}/metrics") == 200
    finally:
        await api.close()


async def test_a_named_but_empty_metrics_token_closes_metrics_rather_than_opening_it(redis, tokens, monkeypatch):
    monkeypatch.setenv("TEST_METRICS_TOKEN", "")
    config = parse_config(
        CONFIG_YAML.replace("ingest:\n", "ingest:\n  metrics_token_env: TEST_METRICS_TOKEN\n"), "t.yaml"
    )
    api = await start_api(config, redis, Metrics(), port=0)
    try:
        assert await status_of(f"http://127.0.0.1:{api.port}/metrics") == 401
        assert await status_of(f"http://127.0.0.1:{api.port}/metrics", {"Authorization": "Bearer "}) == 401
    finally:
        await api.close()
