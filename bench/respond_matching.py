"""Matching speed: 200 mentions against the repo's playbooks (or 11 copies of the test fixtures).

Run: .venv/bin/python bench/respond_matching.py — prints the one-time fit and per-incident times.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from warner.respond.loader import default_playbooks_dir, load_playbooks
from warner.respond.matching import Matcher

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "respond" / "fixtures" / "playbooks"


def playbooks() -> list:
    found = list(load_playbooks(default_playbooks_dir()))
    if len(found) >= 10:
        return found
    fixtures = list(load_playbooks(FIXTURES))
    return [p.model_copy(update={"id": f"{p.id}{i}"}) for i in range(6) for p in fixtures][:11]


def main() -> None:
    books = playbooks()
    examples = [e for p in books for e in [*p.triggers.examples.de, *p.triggers.examples.en]]
    rnd = random.Random(7)
    words = " ".join(examples).split()
    mentions = [" ".join(rnd.choice(words) for _ in range(rnd.randint(5, 35))) for _ in range(200)]
    started = time.perf_counter()
    matcher = Matcher(books)
    fit = time.perf_counter() - started
    first = time.perf_counter()
    matcher.rank(mentions)
    cold = time.perf_counter() - first
    times = []
    for _ in range(30):
        fresh = [f"{m} {rnd.randint(0, 10**6)}" for m in mentions]  # new words each round: a cold-ish cache
        t = time.perf_counter()
        matcher.rank(fresh)
        times.append(time.perf_counter() - t)
    times.sort()
    print(f"{len(books)} playbooks, {len(examples)} examples, {len(mentions)} mentions")
    print(f"fit {fit * 1000:.1f} ms; first rank {cold * 1000:.1f} ms")
    print(f"rank p50 {statistics.median(times) * 1000:.1f} ms, p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
