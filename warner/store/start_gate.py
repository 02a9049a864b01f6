"""A worker waits for Redis at start — a while, quietly — and then gives up loudly.

Why: a worker started while Redis (or every node of a cluster) was unreachable used to start
all its loops anyway; the escalation loop logged a 4 KB traceback every second, ``/healthz``
said 200, and nothing ever stopped it, while OPERATIONS.md promised it would stop. Now the
worker's loops start only once Redis answers. Until then it logs one line per try
(``redis_unreachable_at_start``: the error, the try, the wait before the next one — 0.25 s
doubling up to 10 s), serves ``/healthz`` 200 and ``/readyz`` 503; after
``worker.start_timeout`` it raises :class:`StoreUnreachableAtStart`, which ``warner`` prints as
one ``error:`` line before exiting 1, so systemd's ``Restart=`` or compose's restart policy
start it again and the journal says why.

"Answers" means PING works — on a cluster, on every node the client knows (redis-py sends it
to all of them). A server that answers but refuses writes (full, read-only, ``MISCONF``) is
reachable: the worker starts and waits that out like any outage, and ``/readyz`` says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

import structlog
from redis.exceptions import RedisClusterException, RedisError

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

FIRST_WAIT_S = 0.25
MAX_WAIT_S = 10.0
PING_TIMEOUT_S = 5.0  # a host that drops packets must not hold one try for minutes


class StoreUnreachableAtStart(Exception):
    """Redis did not answer within the start deadline; the message is the one line ``warner`` prints."""


async def wait_until_reachable(redis: RedisClient, deadline_s: float, stop: asyncio.Event) -> bool:
    """True once Redis answers; False if ``stop`` was set first; raises after ``deadline_s`` seconds."""
    started = time.monotonic()
    wait, attempt = FIRST_WAIT_S, 0
    while not stop.is_set():
        attempt += 1
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                await redis.ping()
        except TimeoutError:
            error = f"no answer to PING within {PING_TIMEOUT_S:g}s"
        except (RedisError, RedisClusterException, OSError) as exc:
            error = (str(exc) or type(exc).__name__).rstrip(".")
        else:
            if attempt > 1:
                log.info("redis_reachable", waited_s=round(time.monotonic() - started, 2), attempts=attempt)
            return True
        left = deadline_s - (time.monotonic() - started)
        if left <= 0:
            raise StoreUnreachableAtStart(
                f"Redis unreachable since start ({attempt} tries in {time.monotonic() - started:.0f}s, "
                f"worker.start_timeout {deadline_s:g}s): {error}; exiting so the service manager starts warner again"
            )
        pause = min(wait, left)
        log.warning("redis_unreachable_at_start", error=error, attempt=attempt, retry_in=round(pause, 2),
                    gives_up_in=round(left, 1))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause)
        wait = min(wait * 2, MAX_WAIT_S)
    return False
