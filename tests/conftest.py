"""Shared fixtures: one private, real redis-server per test session; a clean db per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from warner.config.loading import parse_config
from warner.config.root import Config
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from support import CONFIG_YAML, TELEGRAM_TOKEN, TOKENS


@pytest.fixture(autouse=True)
def structlog_config_restored() -> Iterator[None]:
    """A test that runs `warner.cli.main` in-process configures logging (level, renderer) for
    the whole process; restore it, so a later test's capture_logs still sees info events."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendfsync="everysec")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> str:
    return redis_server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Any]:
    client = connect(redis_url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    return {"webhook": TOKENS["TEST_TOKEN_WEBHOOK"], "forum": TOKENS["TEST_TOKEN_FORUM"]}


@pytest.fixture
def config(tokens: dict[str, str]) -> Config:
    return parse_config(CONFIG_YAML, "test.yaml")


@pytest.fixture
def make_mention() -> Callable[..., dict[str, Any]]:
    counter = iter(range(1_000_000))

    def make(**fields: Any) -> dict[str, Any]:
        n = next(counter)
        record = {
            "id": f"m{n}",
            "text": f"Kesselberger Helles Nummer {n}",
            "created_at": "2026-11-21T19:42:10+01:00",
            "author": "anna",
            "author_followers": 120,
        }
        record.update(fields)
        return record

    return make


@pytest.fixture
def config_file(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "warner.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
async def telegram(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """The local Bot API double, with ``TEST_TELEGRAM_TOKEN`` set (test configs name it as token_env)."""
    from doubles.telegram_api import TelegramApiDouble

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    async with TelegramApiDouble() as api:
        yield api
