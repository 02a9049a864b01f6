"""Connections against a real ``warner run`` with its default limits: spurious 503s under
concurrency, and half-open connections still held after a minute.

Starts ``python -m warner run`` (embedded Redis in a temporary directory, default ingest
limits), then:

1. posts N mentions at once (N = 200, 1,000, 2,000 by default), each on its own connection,
   and counts the answers by status — with Redis healthy every one should be 202;
2. opens ``--half-open`` connections of three kinds (nothing sent, headers cut off, body cut
   off), waits ``--hold`` seconds (60) and counts how many the server still holds open.

    python bench/connections.py [--concurrency 200 1000 2000] [--half-open 200] [--hold 60]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/warner_process.py
from warner_process import start_warner

TOKEN = "bench-connections-token"
CONFIG = """
brands:
  - name: kesselberg
    aliases: ["Kesselberg"]
ingest:
  port: 0
  max_backlog: 1000000
  sources:
    - name: bench
      token_env: BENCH_TOKEN
"""


async def burst(port: int, n: int, round_: int) -> tuple[dict[int, int], float]:
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=120)) as http:
        async def one(i: int) -> None:
            body = {"id": f"b{round_}-{i}", "text": "Kesselberg", "created_at": "2026-11-21T19:00:00Z"}
            try:
                async with http.post(f"http://127.0.0.1:{port}/v1/mentions", json=body, headers=headers) as r:
                    statuses[r.status] = statuses.get(r.status, 0) + 1
            except aiohttp.ClientError:
                statuses[0] = statuses.get(0, 0) + 1
        await asyncio.gather(*(one(i) for i in range(n)))
    return statuses, time.perf_counter() - started


def still_open(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return False
    except TimeoutError:
        return True
    except ConnectionError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[200, 1000, 2000])
    parser.add_argument("--half-open", type=int, default=200)
    parser.add_argument("--hold", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_warner(Path(tmp), CONFIG, {"BENCH_TOKEN": TOKEN})
        try:
            print(f"warner run on port {port}, default ingest limits")
            for i, n in enumerate(args.concurrency):
                statuses, seconds = asyncio.run(burst(port, n, i))
                spurious = statuses.get(503, 0)
                print(f"{n:>5} concurrent requests: {dict(sorted(statuses.items()))} in {seconds:.2f} s "
                      f"— 503s: {spurious}, failed connections: {statuses.get(0, 0)}")
            body_start = (f"POST /v1/mentions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                          "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{").encode()
            kinds = [b"", b"POST /v1/mentions HTTP/1.1\r\nHost: x\r\n", body_start]
            sockets = []
            for i in range(args.half_open):
                sock = socket.create_connection(("127.0.0.1", port))
                if kinds[i % 3]:
                    sock.sendall(kinds[i % 3])
                sockets.append(sock)
            opened = time.monotonic()
            time.sleep(args.hold)
            held = sum(still_open(s) for s in sockets)
            print(f"{args.half_open} half-open connections (none / partial headers / partial body): "
                  f"{held} still held after {time.monotonic() - opened:.0f} s")
            for s in sockets:
                s.close()
        finally:
            process.terminate()
            process.wait(20)


if __name__ == "__main__":
    main()
