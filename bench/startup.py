"""How long the command line and the pure parts take to start (issue 20: ``warner --version`` < 0.3 s).

    python bench/startup.py [--runs 10]

Prints the median and the slowest of ``--runs`` fresh processes for each: ``warner --version``,
``import warner.detect.detector`` and ``import warner.store.keys``, and which heavy libraries each loads.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("pydantic", "sklearn", "scipy", "numpy", "redis", "aiohttp", "telegram", "matplotlib", "jinja2")


def _timed(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def _heavy(module: str) -> str:
    probe = f"import {module}, sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    return out or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    warner = shutil.which("warner") or str(Path(sys.executable).with_name("warner"))
    rows = [
        ("warner --version", [warner, "--version"], "warner.cli"),
        (
            "import warner.detect.detector",
            [sys.executable, "-c", "import warner.detect.detector"],
            "warner.detect.detector",
        ),
        ("import warner.store.keys", [sys.executable, "-c", "import warner.store.keys"], "warner.store.keys"),
        ("python -c pass (floor)", [sys.executable, "-c", "pass"], "sys"),
    ]
    print(f"{'what':32} {'median':>8} {'max':>8}  heavy libraries loaded")
    for name, cmd, module in rows:
        times = _timed(cmd, args.runs)
        print(f"{name:32} {statistics.median(times):7.3f}s {max(times):7.3f}s  {_heavy(module)}")


if __name__ == "__main__":
    main()
