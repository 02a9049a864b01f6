"""A real ``warner run`` process for tests that probe it from outside (sockets, logs, children).

Defects that live in the process — what aiohttp's own loggers print, how the embedded
redis-server child is supervised, what happens to sockets that never finish — only show in
a real process. ``WarnerRun`` starts ``python -m warner --log-level info run`` with the given
config and environment, reads its stderr (one JSON object per line) on a thread, and knows
the API's port once ``api_listening`` is logged.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp


class WarnerRun:
    """One running ``warner run``; ``lines`` holds every stderr line so far (raw text)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = 0

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def events(self) -> list[dict[str, Any]]:
        """The stderr lines that are JSON objects (structlog events), parsed."""
        with self._lock:
            lines = list(self.lines)
        parsed = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                parsed.append(event)
        return parsed

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any]:
        """The first logged event that satisfies ``predicate``; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if predicate(event):
                    return event
            if self.process.poll() is not None:
                raise AssertionError(f"warner run exited with {self.process.returncode}:\n{self.text()[-4000:]}")
            time.sleep(0.05)
        raise AssertionError(f"no such event within {timeout:.0f}s:\n{self.text()[-4000:]}")

    def wait_event(self, name: str, timeout: float = 30) -> dict[str, Any]:
        return self.wait_for(lambda e: e.get("event") == name, timeout)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode


@contextmanager
def warner_run(
    config_text: str,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    *,
    args: tuple[str, ...] = (),
    ready_timeout: float = 30,
) -> Iterator[WarnerRun]:
    """Run ``warner run`` on ``config_text`` (ingest port 0, so give ``ingest:`` in the text),
    with a private data dir under ``tmp_path``; yields once the API listens; stops on exit."""
    config = tmp_path / "warner-run.yaml"
    config.write_text(config_text, encoding="utf-8")
    full_env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "REDIS_URL": "",
        "WARNER_CONFIG": str(config),
        "NO_PROXY": "127.0.0.1,localhost",
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "warner", "--log-level", "info", "run", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )
    run = WarnerRun(process)
    try:
        listening = run.wait_event("api_listening", ready_timeout)
        run.port = int(listening["port"])
        yield run
    finally:
        run.stop()


async def post_angry_posts(http: aiohttp.ClientSession, url: str, token: str, texts: list[str], first: int,
                           count: int = 3) -> int:
    """``count`` angry posts, now, each from a new person (ids from ``first`` on); the next free id.

    What a storm looks like from outside: the real-process tests send this every second until
    the page they wait for arrives.
    """
    for n in range(first, first + count):
        body = {"id": str(n), "text": texts[n % len(texts)], "created_at": datetime.now(UTC).isoformat(),
                "author": f"person-{n}"}
        async with http.post(f"{url}/v1/mentions", json=body, headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 202, await r.text()
    return first + count
