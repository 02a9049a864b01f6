"""A running ``warner run`` under many connections: no spurious 503 while Redis is healthy, and
no connection held for ever by a client that never finishes its request."""

from __future__ import annotations

import asyncio
import socket
import time

import aiohttp
import pytest
from running import warner_run
from support import CONFIG_YAML, TOKENS

pytestmark = pytest.mark.timeout(120)

AUTH = {"Authorization": f"Bearer {TOKENS['TEST_TOKEN_WEBHOOK']}"}


def config(extra: str = "") -> str:
    return CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n" + extra).replace(
        "max_backlog: 10000", "max_backlog: 100000")


async def post_concurrently(url: str, n: int) -> dict[int, int]:
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def one(i: int) -> None:
            body = {"id": f"c{n}-{i}", "text": "Kesselberg", "created_at": "2026-11-21T19:00:00Z"}
            async with http.post(f"{url}/v1/mentions", json=body, headers=AUTH) as response:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        await asyncio.gather(*(one(i) for i in range(n)))
    return statuses


def test_200_and_1000_concurrent_requests_are_all_accepted_while_redis_is_healthy(tmp_path) -> None:
    with warner_run(config(), tmp_path, TOKENS) as run:
        for n in (200, 1000):
            assert asyncio.run(post_concurrently(run.url, n)) == {202: n}


def half_open(port: int, payload: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if payload:
        sock.sendall(payload)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.2)
    try:
        return sock.recv(4096, socket.MSG_PEEK) == b"" or _drained(sock)
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def _drained(sock: socket.socket) -> bool:
    """A 408 answer came first: the connection is closed once that is read."""
    try:
        while chunk := sock.recv(4096):
            if not chunk:
                break
        return True
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def test_connections_that_never_finish_their_request_are_closed(tmp_path) -> None:
    settings = "  header_timeout: 2s\n  body_timeout: 2s\n"
    with warner_run(config(settings), tmp_path, TOKENS) as run:
        body_start = (b"POST /v1/mentions HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH["Authorization"].encode()
                      + b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":")
        stuck = ([half_open(run.port, b"") for _ in range(70)]
                 + [half_open(run.port, b"POST /v1/mentions HTTP/1.1\r\nHost: x\r\n") for _ in range(70)]
                 + [half_open(run.port, body_start) for _ in range(60)])
        started = time.monotonic()
        deadline = started + 15
        while time.monotonic() < deadline and not all(closed_by_server(s) for s in stuck):
            time.sleep(0.5)
        held = sum(not closed_by_server(s) for s in stuck)
        for s in stuck:
            s.close()
        assert held == 0, f"{held} of {len(stuck)} half-open connections still held after {deadline - started:.0f}s"
        # and the server still serves
        assert asyncio.run(post_concurrently(run.url, 10)) == {202: 10}


def test_connections_beyond_the_cap_are_closed_at_once_and_the_rest_are_served(tmp_path) -> None:
    with warner_run(config("  max_connections: 20\n  header_timeout: 30s\n"), tmp_path, TOKENS) as run:
        idle = [half_open(run.port, b"") for _ in range(30)]
        time.sleep(0.5)
        refused = sum(closed_by_server(s) for s in idle)
        assert refused == 10
        run.wait_event("http_connections_refused")
        for s in idle:
            s.close()
        time.sleep(0.3)
        assert asyncio.run(post_concurrently(run.url, 5)) == {202: 5}


def first_line(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    sock.settimeout(timeout)
    started = time.monotonic()
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n")[0], time.monotonic() - started


def test_an_unfinished_body_is_401_at_once_without_a_token_and_408_with_one(tmp_path) -> None:
    with warner_run(config("  body_timeout: 2s\n"), tmp_path, TOKENS) as run:
        head = (b"POST /v1/mentions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\nAuthorization: Bearer ")
        stranger = half_open(run.port, head + b"not-a-token\r\n\r\n{\"id\":")
        sender = half_open(run.port, head + AUTH["Authorization"].removeprefix("Bearer ").encode() + b"\r\n\r\n{")
        line, after = first_line(stranger, 5)
        assert line.endswith(b"401 Unauthorized") and after < 1
        line, after = first_line(sender, 10)
        assert line.endswith(b"408 Request Timeout") and 1.5 < after < 5
        stranger.close()
        sender.close()
