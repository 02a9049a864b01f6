"""How soon a new or changed incident reaches an open incidents list (issue 21: < 2 s).

    python bench/web_live.py [--events 50]

A private redis-server, the console with its event fan-out, one signed-in browser-like client
holding ``GET /events`` open, and a second Redis connection publishing the way the worker's
incident hook does (``warner.web.events.publish``). Prints the median, p99 and worst time from
publish to the event arriving at the client, then the time to fetch the refreshed list fragment
(what ``static/live.js`` does next), with its median and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time

import aiohttp

from warner.config.loading import parse_config
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis
from warner.web.events import publish
from warner.web.serve import start_web

CONFIG = """
oncall:
  people: [{id: anna, name: Anna}]
web: {port: 0}
"""


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(events: int) -> None:
    from warner.http_server import ConnectionLimits

    tmp = tempfile.mkdtemp(prefix="warner-web-live-")
    server = EmbeddedRedis(tmp)
    url = server.start()
    redis, publisher = connect(url), connect(url)
    config = parse_config(CONFIG)
    running = await start_web(config, redis, ConnectionLimits(1024, 10.0, 30.0))
    base = running.context.base_url
    try:
        token = await running.context.sessions.issue_link_token("anna")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # cookies for an IP
            async with http.get(f"{base}/login?token={token}", allow_redirects=False) as r:
                assert r.status == 303, r.status
            latencies, fetches = [], []
            async with http.get(f"{base}/events", headers={"Accept": "text/event-stream"}) as stream:
                await asyncio.sleep(0.3)  # subscribed
                for n in range(events):
                    sent = time.perf_counter()
                    await publish(publisher, f"kesselberg:{n + 1}", "opened")
                    while True:
                        line = (await stream.content.readline()).decode()
                        if line.startswith("data:") and f"kesselberg:{n + 1}" in line:
                            break
                    latencies.append(time.perf_counter() - sent)
                    fetched = time.perf_counter()
                    async with http.get(f"{base}/incidents?fragment=1") as fragment:
                        await fragment.read()
                    fetches.append(time.perf_counter() - fetched)
        ms = [x * 1000 for x in latencies]
        fs = [x * 1000 for x in fetches]
        print(f"{events} incident events, publish -> open /events stream:")
        print(f"  median {statistics.median(ms):.1f} ms, p99 {_quantile(ms, 0.99):.1f} ms, worst {max(ms):.1f} ms")
        fragment = f"median {statistics.median(fs):.1f} ms, p99 {_quantile(fs, 0.99):.1f} ms"
        print(f"then the refreshed list fragment: {fragment}")
        print("OK: under 2 s" if max(ms) + max(fs) < 2000 else "TOO SLOW: over 2 s")
    finally:
        await running.close()
        await redis.aclose()
        await publisher.aclose()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50)
    asyncio.run(main(parser.parse_args().events))
