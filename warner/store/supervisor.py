"""Keep the embedded redis-server alive: reap it when it dies, start it again, or give up loudly.

Why: the child is warner's only store. Killed (``kill -9``, the OOM killer) it used to stay a
zombie nobody waited for, and warner answered 503 and failed every escalation pass for
ever — with nobody paged. Now a task on warner's event loop waits for the child to exit (a
pidfd, so it learns at once; polling where the kernel has none), reaps it, logs
``embedded_redis_died`` and starts a new server on the same data dir and socket, after a
backoff of 0.1 s doubling up to 5 s. The data dir's lock stays ours the whole time, and the
AOF (``appendfsync always`` in ``warner run``) brings back every write that was answered, so
every mention that got a ``202`` is still there.

Nothing else has to know: redis-py opens a new connection on the next command once the
socket answers again; the API's ``/readyz`` and ingest, the worker and the escalation engine
all retry on their own, and escalation steps are durable timers in Redis, so a step that fell
due while Redis was away runs once it is back.

Giving up: a start that fails (the server exits, or says nothing for ``READY_TIMEOUT_S``), and
a server that dies less than ``STABLE_S`` after it came up, each extend a streak; after
``MAX_FAILURES`` in a row — about 16 s of trying when every start fails at once — the
supervisor logs ``embedded_redis_gave_up`` with Redis' own last log lines and calls
``on_give_up``. ``warner run`` then shuts down and exits 1, so systemd or compose restart the
whole service and the journal says why. Restarting a hopeless server for ever from inside a
process that looks alive would hide the outage.

The task must run on the thread that started the server (the main thread, where asyncio
runs): ``PR_SET_PDEATHSIG`` kills the child when the thread that forked it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import structlog

from warner.store.embedded import EmbeddedRedis, EmbeddedRedisError

log = structlog.get_logger(__name__)

BACKOFF_START_S = 0.1  # a server killed once is back in about a tenth of a second
BACKOFF_MAX_S = 5.0  # a server that keeps failing is tried every 5 s at most
MAX_FAILURES = 8  # 0.1 + 0.2 + … + 3.2 + 5 + 5 ≈ 16 s of trying before the process exits
STABLE_S = 30.0  # a server that ran this long before dying starts a new streak
READY_TIMEOUT_S = 10.0  # a new server that neither answers nor says LOADING for this long is killed
_POLL_S = 0.1  # how often to look at the child where there is no pidfd


class RedisSupervisor:
    """Watches one started :class:`EmbeddedRedis`: ``start()``, then ``await close()`` before ``server.stop()``.

    ``failure`` is set (an :class:`EmbeddedRedisError`) once it gave up; ``on_give_up`` is
    called with it.
    """

    def __init__(self, server: EmbeddedRedis, *, on_give_up: Callable[[EmbeddedRedisError], Any] | None = None) -> None:
        self.server = server
        self.on_give_up = on_give_up
        self.failure: EmbeddedRedisError | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready_at = time.monotonic()

    def start(self) -> None:
        """Start watching; call on the event loop of the thread that started the server."""
        self._ready_at = time.monotonic()
        self._task = asyncio.create_task(self._watch(), name="embedded-redis-supervisor")

    async def close(self) -> None:
        """Stop watching (before the server is stopped on purpose, which is no death)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        try:
            streak = 0
            while True:
                process = self.server.process
                if process is None:
                    return  # stopped on purpose
                code = await _exited(process)
                died_at = time.monotonic()
                up_s = died_at - self._ready_at
                streak = 0 if up_s >= STABLE_S else streak + 1
                log.error("embedded_redis_died", pid=process.pid, up_s=round(up_s, 1), **_how(code))
                streak = await self._restart(died_at, streak)
        except EmbeddedRedisError as exc:
            self._give_up(exc)
        except Exception as exc:  # a bug here must not leave warner up without its store and silent
            log.exception("embedded_redis_supervisor_failed")
            self._give_up(EmbeddedRedisError(f"the embedded redis-server's supervisor failed: {exc!r}"))

    async def _restart(self, died_at: float, streak: int) -> int:
        """Start a new server until one answers (the streak, with failed starts); raise
        ``EmbeddedRedisError`` once the streak reaches ``MAX_FAILURES``."""
        attempts = 0
        while True:
            if streak >= MAX_FAILURES:
                tail = self.server.log_tail(1500)
                log.error(
                    "embedded_redis_gave_up",
                    data_dir=str(self.server.data_dir),
                    failures=streak,
                    down_s=round(time.monotonic() - died_at, 1),
                    redis_log=tail,
                )
                raise EmbeddedRedisError(
                    f"the embedded redis-server in {self.server.data_dir} died and could not be started again "
                    f"({streak} failures in a row, {time.monotonic() - died_at:.0f}s); warner exits so that "
                    f"its service manager restarts it. Redis' own log ({self.server.logfile}) ends:\n{tail}"
                )
            await asyncio.sleep(min(BACKOFF_START_S * 2**streak, BACKOFF_MAX_S))
            attempts += 1
            if await self._start_once():
                self._ready_at = time.monotonic()
                process = self.server.process
                log.warning(
                    "embedded_redis_restarted",
                    pid=process.pid if process else None,
                    down_s=round(self._ready_at - died_at, 3),
                    attempts=attempts,
                )
                return streak
            streak += 1

    async def _start_once(self) -> bool:
        """One new server: True once it answers PING; False (logged, reaped) if it does not."""
        try:
            process = self.server.respawn()  # on this thread: see the module docstring
        except (OSError, EmbeddedRedisError) as exc:
            log.warning("embedded_redis_restart_failed", error=str(exc))
            return False
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            state = await asyncio.to_thread(self.server.probe)  # a blocking PING, off the loop
            if state == "ready":
                return True
            if state == "exited":
                log.warning("embedded_redis_restart_failed", pid=process.pid, redis_log=_last_line(self.server))
                return False
            if state == "loading":
                deadline = time.monotonic() + READY_TIMEOUT_S  # replaying a long AOF: progress, not a hang
            elif time.monotonic() > deadline:
                process.kill()
                await _exited(process)
                log.warning("embedded_redis_restart_failed", pid=process.pid, error=f"silent for {READY_TIMEOUT_S:g}s")
                return False
            await asyncio.sleep(0.01)

    def _give_up(self, exc: EmbeddedRedisError) -> None:
        self.failure = exc
        if self.on_give_up is not None:
            self.on_give_up(exc)


async def _exited(process: subprocess.Popen[bytes]) -> int:
    """Wait until ``process`` exits and reap it (no zombie); its return code."""
    if process.returncode is not None:
        return process.returncode
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # no pidfd on this kernel or Python: look now and then
        while (code := process.poll()) is None:
            await asyncio.sleep(_POLL_S)
        return code
    loop = asyncio.get_running_loop()
    try:
        readable: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not readable.done():
                readable.set_result(None)

        loop.add_reader(pidfd, wake)
        try:
            if process.poll() is None:
                await readable
        finally:
            loop.remove_reader(pidfd)
        return process.wait()  # the pidfd said it exited: reaps at once
    finally:
        os.close(pidfd)


def _how(code: int) -> dict[str, Any]:
    """``exit_code=1`` or ``signal="SIGKILL"``, as a log's key and value."""
    if code < 0:
        try:
            return {"signal": signal.Signals(-code).name}
        except ValueError:
            return {"signal": -code}
    return {"exit_code": code}


def _last_line(server: EmbeddedRedis) -> str:
    lines = server.log_tail(500).strip().splitlines()
    return lines[-1] if lines else ""
