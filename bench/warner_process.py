"""A ``warner run`` for the benchmarks: embedded Redis in a temporary directory, the API's port
read from its ``api_listening`` log line, stderr drained on a thread so the pipe never fills."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path


def start_warner(tmp: Path, config: str, env: dict[str, str], *, stdout: int = subprocess.DEVNULL
                 ) -> tuple[subprocess.Popen[str], int]:
    """Start ``warner run`` on ``config`` (with ``ingest.port: 0``); the process and the API's port."""
    (tmp / "warner.yaml").write_text(config, encoding="utf-8")
    full_env = {**os.environ, **env, "REDIS_URL": "", "XDG_DATA_HOME": str(tmp / "xdg"),
                "WARNER_CONFIG": str(tmp / "warner.yaml"), "NO_PROXY": "127.0.0.1"}
    process = subprocess.Popen([sys.executable, "-m", "warner", "--log-level", "info", "run"],
                               stderr=subprocess.PIPE, stdout=stdout, text=True, env=full_env)
    assert process.stderr is not None
    for line in process.stderr:
        if "api_listening" in line:
            port = int(json.loads(line)["port"])
            threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()  # type: ignore[union-attr]
            return process, port
    raise SystemExit("warner run did not start")
