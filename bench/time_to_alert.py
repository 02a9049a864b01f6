"""Time to alert with the default settings: from the first post of a burst to the page.

Starts a real ``warner run`` (embedded Redis, default ``bucket``, ``detect`` and
``escalation`` settings, the console channel), then sends one burst of angry posts per brand
— each brand new to warner, as on the first day — starting at different seconds of the
minute, and polls ``/metrics`` for the first delivered page of each brand's incident. The
delay has parts a user can trade: the rest of the minute the burst starts in (``bucket``),
``detect.lateness``, the detector's clock tick (one bucket) and ``escalation.group_wait``.

    python bench/time_to_alert.py [--rate 1.0] [--offsets 5 25 45] [--confirm 2m]
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


def config(brands: list[str], confirm: str | None) -> str:
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
{f"detect: {{confirm_mood_for: {confirm}}}" if confirm else ""}
escalation:
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


async def burst(http: aiohttp.ClientSession, url: str, brand: str, rate: float, seconds: float) -> None:
    """Angry posts at ``rate`` a second from new authors, for ``seconds`` or until cancelled."""
    rng = random.Random(brand)
    first = time.time()
    n = 0
    while time.time() - first < seconds:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1.0, help="angry posts a second during the burst (default 1)")
    parser.add_argument("--offsets", type=float, nargs="*", default=[5, 25, 45])
    parser.add_argument("--confirm", help="detect.confirm_mood_for instead of the default (e.g. 2m, 0s)")
    args = parser.parse_args()
    brands = [f"marke{i}" for i in range(len(args.offsets))]
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_warner(Path(tmp), config(brands, args.confirm), {"BENCH_TOKEN": TOKEN},
                                     stdout=subprocess.PIPE)
        try:
            delays = sorted(asyncio.run(measure(f"http://127.0.0.1:{port}", Pages(process), brands, args.offsets,
                                                args.rate)))
        finally:
            process.terminate()
            process.wait(20)
    setting = f"confirm_mood_for {args.confirm}" if args.confirm else "the defaults"
    print(f"time to alert with {setting}, {args.rate:g} angry posts/s on a new brand: "
          f"min {delays[0]:.0f} s, median {delays[len(delays) // 2]:.0f} s, max {delays[-1]:.0f} s")


if __name__ == "__main__":
    main()
