"""Pages no channel delivered are sent again, until someone is reached or the incident is answered.

A revoked bot token, an SMS gateway down: every channel of a page failed. Before, that page was
noted ``undeliverable`` and lost; now it becomes a durable timer (``RedeliverTimer``) of the
incident, tried again after ``escalation.redeliver_after``, doubling up to
``escalation.redeliver_max_interval``. Being a timer of the incident's generation, it is claimed
by one worker only, pages once per timer (``OncePerMark``), and an acknowledgement, a snooze or a
resolution cancels it like every other timer of the incident.

The ids of pending re-drives are kept in one set (``keys.TIMERS_REDELIVER``, in the timers' slot)
so that when a channel is known to work again — a worker starts (the token rotation restarts
them) or the Telegram poller recovers — they are made due at once (``pull_forward``) instead of
at the end of their backoff.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from warner.core import Clock
from warner.oncall.escalation.gates import PageRequest
from warner.oncall.escalation.state import PagedTarget, RedeliverTimer
from warner.oncall.escalation.store import EscalationStore
from warner.store import keys

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

# every pending re-drive (still in the due set, later than now) becomes due now; forgotten ones leave the set
_PULL_FORWARD = """
local n = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local due = redis.call('ZSCORE', KEYS[1], id)
  if not due then
    redis.call('SREM', KEYS[2], id)
  elseif tonumber(due) > tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], ARGV[1], id)
    n = n + 1
  end
end
return n
"""


class Redelivery:
    """Schedules the re-drive of an undelivered page, and makes pending re-drives due at once."""

    def __init__(
        self,
        redis: RedisClient,
        store: EscalationStore,
        clock: Clock,
        first: timedelta,
        cap: timedelta,
        wake: asyncio.Event,
    ) -> None:
        self.redis = redis
        self.store = store
        self.clock = clock
        self.first_s = first.total_seconds()
        self.cap_s = max(cap.total_seconds(), self.first_s)
        self.wake = wake
        self._pull = redis.register_script(_PULL_FORWARD)

    def delay(self, n: int) -> float:
        """Seconds before re-try ``n`` (1 = the first): ``first``, doubling, at most ``cap``."""
        return float(min(self.first_s * 2 ** min(n - 1, 32), self.cap_s))

    async def schedule(self, request: PageRequest) -> float:
        """The page of ``request`` failed on every channel: try it again later; returns when."""
        n = request.retry + 1
        due = self.clock.now() + self.delay(n)
        target = PagedTarget(request.recipient, request.step, request.level)
        timer = RedeliverTimer(request.gen, target, request.kind, request.reason, request.origin or request.mark, n)
        iid = request.incident.id
        await self.store.schedule(iid, timer, timer.suffix(), due)
        await self.redis.sadd(keys.TIMERS_REDELIVER, f"{iid}|{timer.suffix()}")
        log.warning("page_redelivery_scheduled", incident=iid, recipient=request.recipient.id, retry=n, due_at=due)
        return due

    async def pull_forward(self, why: str) -> int:
        """Every pending re-drive is due now (a channel works again); returns how many were waiting."""
        n = int(await self._pull(keys=[keys.TIMERS_DUE, keys.TIMERS_REDELIVER], args=[repr(self.clock.now())]))
        if n:
            log.info("page_redelivery_pulled_forward", pages=n, reason=why)
            self.wake.set()
        return n
