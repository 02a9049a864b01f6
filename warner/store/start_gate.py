"""``warner run`` waits for Redis at start — a while, quietly — and a worker then gives up loudly.

Why: a worker started while Redis (or every node of a cluster) was unreachable used to start
all its loops anyway; the escalation loop logged a 4 KB traceback every second, ``/healthz``
said 200, and nothing ever stopped it, while OPERATIONS.md promised it would stop. Now
``open_redis`` runs its first step (the data-format check, ``data_format.py``) through
:func:`wait_until_reachable`: nothing else starts until it worked. Until then one line per try
(``redis_unreachable_at_start``: the error, the try, the wait before the next one — 0.25 s
doubling up to 10 s, no traceback); after the deadline (``worker.start_timeout`` for a process
that runs a worker) it raises :class:`StoreUnreachableAtStart`, which ``warner`` prints as one
``error:`` line before exiting 1, so systemd's ``Restart=`` or compose's restart policy start it
again and the journal says why. Without a deadline (the API, the console) it waits until stopped.

Retried: every Redis error of the step (unreachable, cluster down, loading, full …); anything
else (a data format this version cannot read) ends the wait at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import structlog
from redis.exceptions import RedisClusterException, RedisError

log = structlog.get_logger(__name__)

FIRST_WAIT_S = 0.25
MAX_WAIT_S = 10.0
TRY_TIMEOUT_S = 10.0  # a host that drops packets must not hold one try for minutes


class StoreUnreachableAtStart(Exception):
    """Redis did not answer within the start deadline; the message is the one line ``warner`` prints."""


async def wait_until_reachable(
    step: Callable[[], Awaitable[object]], deadline_s: float | None, stop: asyncio.Event
) -> bool:
    """True once ``step`` ran without a Redis error; False if ``stop`` was set first; raises
    :class:`StoreUnreachableAtStart` after ``deadline_s`` seconds (None: never)."""
    started = time.monotonic()
    wait, attempt = FIRST_WAIT_S, 0
    while not stop.is_set():
        attempt += 1
        try:
            async with asyncio.timeout(TRY_TIMEOUT_S):
                await step()
        except TimeoutError:
            error = f"no answer within {TRY_TIMEOUT_S:g}s"
        except (RedisError, RedisClusterException, OSError) as exc:
            error = (str(exc) or type(exc).__name__).rstrip(".")
        else:
            if attempt > 1:
                log.info("redis_reachable", waited_s=round(time.monotonic() - started, 2), attempts=attempt)
            return True
        left = float("inf") if deadline_s is None else deadline_s - (time.monotonic() - started)
        if left <= 0 and deadline_s is not None:
            raise StoreUnreachableAtStart(
                f"Redis unreachable since start ({attempt} tries in {time.monotonic() - started:.0f}s, "
                f"worker.start_timeout {deadline_s:g}s): {error}; exiting so the service manager starts warner again"
            )
        pause = min(wait, left)
        log.warning("redis_unreachable_at_start", error=error[:300], attempt=attempt, retry_in=round(pause, 2),
                    gives_up_in=None if deadline_s is None else round(left, 1))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause)
        wait = min(wait * 2, MAX_WAIT_S)
    return False
