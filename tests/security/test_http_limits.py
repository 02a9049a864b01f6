"""The limits of warner's HTTP server, each on its own: a small app behind ``serve_guarded``,
probed over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from aiohttp import web

from warner.http_server import ConnectionLimits, serve_guarded

pytestmark = pytest.mark.timeout(60)

BIG = b"x" * (16 * 1024 * 1024)


async def echo(request: web.Request) -> web.Response:
    if request.headers.get("Authorization") != "Bearer right":
        return web.json_response({"error": "missing or wrong bearer token"}, status=401)
    return web.Response(body=await request.read())


async def big(request: web.Request) -> web.Response:
    return web.Response(body=BIG)


@pytest.fixture
async def server():
    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_get("/big", big)
    limits = ConnectionLimits(max_connections=50, header_timeout=1.0, body_timeout=1.0)
    runner, site, guard = await serve_guarded(app, "127.0.0.1", 0, limits)
    yield site.bound_port, guard
    await runner.cleanup()


async def read_all(reader: asyncio.StreamReader, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed."""
    started, data = time.monotonic(), b""
    async with asyncio.timeout(timeout):
        while chunk := await reader.read(65536):
            data += chunk
    return data, time.monotonic() - started


async def test_a_wrong_token_is_answered_before_the_body_is_waited_for(server) -> None:
    port, _ = server
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Length: 1000\r\n\r\n{")
    line = await asyncio.wait_for(reader.readline(), 0.5)
    assert line.startswith(b"HTTP/1.1 401")
    writer.close()
    await writer.wait_closed()


async def test_a_body_that_never_completes_gets_408_and_the_connection_closes(server) -> None:
    port, guard = server
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer right\r\nContent-Length: 1000\r\n\r\n{")
    data, after = await read_all(reader, 5)
    assert data.startswith(b"HTTP/1.1 408") and b"Connection: close" in data
    assert 0.9 < after < 3 and guard.body_timeouts == 1
    writer.close()
    await writer.wait_closed()


async def test_a_pipelined_request_whose_headers_never_complete_is_closed_on_the_header_clock(server) -> None:
    port, _ = server
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    complete = b"POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer right\r\nContent-Length: 2\r\n\r\n{}"
    writer.write(complete + b"POST /echo HTTP/1.1\r\nHost: x\r\n")
    data, after = await read_all(reader, 10)
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"{}")
    assert after < 3  # the header timeout (1 s), not aiohttp's keep-alive (75 s by default)
    writer.close()
    await writer.wait_closed()


async def test_a_client_that_stops_reading_its_answer_is_dropped(server) -> None:
    port, guard = server
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    deadline = time.monotonic() + 10
    while guard.write_timeouts == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert guard.write_timeouts == 1 and guard.open_connections == 0
    sock.close()


async def test_connections_that_send_nothing_are_closed_after_the_header_timeout(server) -> None:
    port, guard = server
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data, after = await read_all(reader, 5)
    assert data == b"" and 0.9 < after < 3 and guard.header_timeouts == 1
    writer.close()
    await writer.wait_closed()
