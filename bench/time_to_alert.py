"""Time to alert with the default settings: from the first post of a burst to the page.

Starts a real ``warner run`` (embedded Redis, default ``bucket``, ``detect`` and
``escalation`` settings, the console channel), then sends one burst of angry posts per brand
— each brand new to warner, as on the first day — and reads the console channel's output
(stdout) for the first page that names the brand. The delay has parts a user can trade: how
many new people it takes to page at once (``detect.page_at_once_from``), or else the rest of
the minute the burst starts in (``bucket``), ``detect.lateness``, the detector's clock tick
(one bucket), ``detect.confirm_mood_for`` and ``escalation.group_wait``.

Two modes:

* ``--bursts N`` (the issue's measure): N bursts of ``--posts`` angry posts (default 60, one a
  second) from distinct new authors, each on its own quiet new brand, starting at random
  seconds of the minute (``--seed``), a few seconds apart so that several run at once;
  prints each delay and p50 / p99 (p99 of 20 bursts is their maximum).
* ``--offsets`` (default): one burst after another from the given seconds of the minute,
  each until it pages.

    python bench/time_to_alert.py --bursts 20 [--seed 7] [--posts 60]
    python bench/time_to_alert.py [--rate 1.0] [--offsets 5 25 45] [--confirm 2m] [--at-once null]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/warner_process.py
from warner_process import start_warner

TOKEN = "bench-time-to-alert-token"
ANGRY = [
    "{b} hat mich schon wieder abgezockt, nie wieder!",
    "Was für eine Frechheit von {b}, das Brot war schimmelig",
    "@{b} eure Lieferung ist eine Katastrophe, ich will mein Geld zurück",
    "Finger weg von {b}, totaler Betrug",
    "Unverschämt, {b} ignoriert seit Tagen jede Beschwerde",
]


def config(brands: list[str], confirm: str | None, at_once: str | None = None) -> str:
    listed = "\n".join(f"  - name: {b}\n    aliases: [\"{b.capitalize()}\"]" for b in brands)
    return f"""
brands:
{listed}
ingest:
  port: 0
  sources:
    - name: bench
      token_env: BENCH_TOKEN
oncall:
  people:
    - {{id: anna, name: Anna}}
  schedules:
    - id: social
      layers:
        - {{id: base, type: weekly, handoff: "09:00", start: 2026-01-05, members: [anna]}}
notify:
  console: true
detect: {{{", ".join(f"{k}: {v}" for k, v in (("confirm_mood_for", confirm), ("page_at_once_from", at_once)) if v)}}}
escalation:
  max_pages_per_person_per_hour: 1000  # one person gets every burst's page (the default ceiling is 10)
  policies:
    - id: storm
      steps:
        - {{notify_on_call: social, channels: [console]}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""


class Pages:
    """The console channel's output of ``warner run`` (stdout), each line with when it came."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append((time.time(), line))

    def first_after(self, since: float, brand: str) -> float | None:
        return next((at for at, line in list(self.lines) if at >= since and brand in line.lower()), None)


async def burst(http: aiohttp.ClientSession, url: str, brand: str, rate: float, seconds: float,
                posts: int | None = None) -> None:
    """Angry posts at ``rate`` a second from new authors, for ``seconds`` (at most ``posts``) or until cancelled."""
    rng = random.Random(brand)
    first = time.time()
    n = 0
    while time.time() - first < seconds and (posts is None or n < posts):
        text = rng.choice(ANGRY).format(b=brand.capitalize())
        body = {"id": f"{brand}-{n}", "text": text, "created_at": datetime.now(UTC).isoformat(),
                "author": f"{brand}-user-{n}", "author_followers": rng.randint(50, 5000)}
        async with http.post(f"{url}/v1/mentions", json=body, headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 202, await r.text()
        n += 1
        await asyncio.sleep(1 / rate)


async def measure(url: str, pages: Pages, brands: list[str], offsets: list[float], rate: float) -> list[float]:
    delays = []
    async with aiohttp.ClientSession() as http:
        for brand, offset in zip(brands, offsets, strict=True):
            await asyncio.sleep((offset - time.time() % 60) % 60)  # start at this second of the minute
            first = time.time()  # the burst's first post goes out at once
            sender = asyncio.create_task(burst(http, url, brand, rate, seconds=900))
            while (paged := pages.first_after(first, brand)) is None:
                await asyncio.sleep(0.25)
            sender.cancel()
            delays.append(paged - first)
            print(f"{brand}: burst from second {offset:.0f} of the minute, page after {delays[-1]:.0f} s", flush=True)
    return delays


async def one_burst(http: aiohttp.ClientSession, url: str, pages: Pages, brand: str, offset: float,
                    posts: int, timeout: float) -> float:
    """A burst of ``posts`` angry posts (one a second) from ``offset`` s of the minute; seconds to its page."""
    await asyncio.sleep((offset - time.time() % 60) % 60)
    first = time.time()
    sender = asyncio.create_task(burst(http, url, brand, 1.0, seconds=posts + 5, posts=posts))
    while (paged := pages.first_after(first, brand)) is None and time.time() - first < timeout:
        await asyncio.sleep(0.1)
    sender.cancel()
    delay = (paged or float("inf")) - first
    print(f"{brand}: burst from second {offset:4.1f} of the minute, page after {delay:.1f} s", flush=True)
    return delay


async def measure_bursts(url: str, pages: Pages, brands: list[str], offsets: list[float], posts: int,
                         timeout: float) -> list[float]:
    """The bursts, each started a few seconds after the one before (at its own second of the minute)."""
    async with aiohttp.ClientSession() as http:
        tasks = []
        for i, (brand, offset) in enumerate(zip(brands, offsets, strict=True)):
            tasks.append(asyncio.create_task(one_burst(http, url, pages, brand, offset, posts, timeout)))
            if i % 4 == 3:
                await asyncio.sleep(60)  # four bursts at a time, each within its own minute
        return list(await asyncio.gather(*tasks))


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: p99 of fewer than 100 values is their maximum."""
    ranked = sorted(values)
    return ranked[max(0, min(len(ranked) - 1, -(-len(ranked) * q // 100) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1.0, help="angry posts a second during the burst (default 1)")
    parser.add_argument("--offsets", type=float, nargs="*", default=[5, 25, 45])
    parser.add_argument("--confirm", help="detect.confirm_mood_for instead of the default (e.g. 2m, 0s)")
    parser.add_argument("--at-once", help="detect.page_at_once_from instead of the default (e.g. 20, or null: off)")
    parser.add_argument("--bursts", type=int, default=0, help="this many bursts at random seconds of the minute")
    parser.add_argument("--posts", type=int, default=60, help="angry posts per burst, one a second (--bursts)")
    parser.add_argument("--seed", type=int, help="of the bursts' seconds of the minute (default: a fresh one)")
    parser.add_argument("--timeout", type=float, default=420, help="a burst not paged by then counts as never")
    args = parser.parse_args()
    if args.bursts:
        seed = args.seed if args.seed is not None else random.randrange(1_000_000)
        rng = random.Random(seed)
        offsets = [rng.uniform(0, 60) for _ in range(args.bursts)]
        brands = [f"marke{i:02d}" for i in range(args.bursts)]
    else:
        offsets, brands = args.offsets, [f"marke{i:02d}" for i in range(len(args.offsets))]
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_warner(Path(tmp), config(brands, args.confirm, args.at_once), {"BENCH_TOKEN": TOKEN},
                                     stdout=subprocess.PIPE)
        try:
            url, pages = f"http://127.0.0.1:{port}", Pages(process)
            if args.bursts:
                delays = sorted(asyncio.run(measure_bursts(url, pages, brands, offsets, args.posts, args.timeout)))
            else:
                delays = sorted(asyncio.run(measure(url, pages, brands, offsets, args.rate)))
        finally:
            process.terminate()
            process.wait(20)
    changed = [f"{k} {v}" for k, v in (("confirm_mood_for", args.confirm), ("page_at_once_from", args.at_once)) if v]
    setting = ", ".join(changed) or "the defaults"
    if args.bursts:
        print(f"time to the page with {setting}, {len(delays)} bursts of {args.posts} angry posts in "
              f"{args.posts} s from new authors on quiet new brands (seed {seed}): "
              f"p50 {percentile(delays, 50):.1f} s, p99 {percentile(delays, 99):.1f} s, "
              f"min {delays[0]:.1f} s, max {delays[-1]:.1f} s")
        return
    print(f"time to alert with {setting}, {args.rate:g} angry posts/s on a new brand: "
          f"min {delays[0]:.0f} s, median {delays[len(delays) // 2]:.0f} s, max {delays[-1]:.0f} s")


if __name__ == "__main__":
    main()
