"""The escalation hash and timers of each incident: typed reads, and the few atomic writes.

Reads give an ``EscalationState``; writes stay field by field (HINCRBY, HSETNX, ...) because
their atomicity is what makes the engine safe with several workers and re-driven timers: a
generation bump invalidates old timers, a ``sent:`` mark lets a timer page each recipient
once, a ``pick:`` mark keeps a re-driven rotation step on the same person.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from redis.typing import EncodableT, FieldT

from warner.core import Clock
from warner.incidents.lifecycle import split_id
from warner.oncall.escalation.state import (
    GEN,
    LAST_UPDATE_AT,
    NEXT_ITER,
    NEXT_POS,
    PAGED_PREFIX,
    PICK_PREFIX,
    SENT_PREFIX,
    SEVERITY,
    UPDATE_DUE,
    EscalationState,
    PagedTarget,
    StepTimer,
    TimerPayload,
    encode_number,
    frozen_policy_fields,
)
from warner.oncall.policy_config import Policy
from warner.oncall.timers import TimerStore
from warner.store import keys
from warner.store.values import as_text

if TYPE_CHECKING:
    from warner.store.connection import RedisClient


def escalation_key(iid: str) -> str:
    return keys.escalation(*split_id(iid))


class EscalationStore:
    def __init__(
        self, redis: RedisClient, timers: TimerStore, clock: Clock, *, poll: float, wake: asyncio.Event
    ) -> None:
        self.redis = redis
        self.timers = timers
        self.clock = clock
        self.poll = poll
        self.wake = wake  # set when a timer falls due before the next poll

    async def load(self, iid: str) -> EscalationState:
        return EscalationState.from_redis(await self.redis.hgetall(escalation_key(iid)))

    async def bump_gen(self, iid: str) -> int:
        """A new generation: every timer scheduled before does nothing when it fires."""
        return int(await self.redis.hincrby(escalation_key(iid), GEN, 1))

    async def set_severity(self, iid: str, severity: str) -> None:
        await self.redis.hset(escalation_key(iid), SEVERITY, severity)

    async def freeze_policy(self, iid: str, policy: Policy, severity: str, started_at: float) -> None:
        frozen = frozen_policy_fields(policy, severity, started_at)
        fields: dict[FieldT, EncodableT] = {name: value for name, value in frozen.items()}
        await self.redis.hset(escalation_key(iid), mapping=fields)

    async def clear_update_due(self, iid: str) -> None:
        await self.redis.hdel(escalation_key(iid), UPDATE_DUE)

    async def claim_update_due(self, iid: str, due: float) -> bool:
        """True if no edit round was scheduled yet (this caller schedules it)."""
        return bool(await self.redis.hsetnx(escalation_key(iid), UPDATE_DUE, encode_number(due)))

    async def set_last_update(self, iid: str, at: float) -> None:
        await self.redis.hset(escalation_key(iid), LAST_UPDATE_AT, encode_number(at))

    async def set_first_update(self, iid: str, at: float) -> None:
        """``last_update_at`` for the first page: group_interval counts from it."""
        await self.redis.hsetnx(escalation_key(iid), LAST_UPDATE_AT, encode_number(at))

    async def mark_sent(self, iid: str, mark: str, rid: str, at: float) -> bool:
        """False if timer ``mark`` already paged ``rid`` (it was re-driven after a crash)."""
        return bool(await self.redis.hsetnx(escalation_key(iid), f"{SENT_PREFIX}{mark}:{rid}", encode_number(at)))

    async def remember_paged(self, iid: str, target: PagedTarget) -> None:
        await self.redis.hset(escalation_key(iid), PAGED_PREFIX + target.recipient.id, target.to_json())

    async def pick_next_person(self, iid: str, policy_id: str, pos: int, people: tuple[str, ...], mark: str) -> str:
        """Round robin across incidents; the pick is remembered so a re-driven step pages the same one."""
        field = PICK_PREFIX + mark
        picked = await self.redis.hget(escalation_key(iid), field)
        if picked is None:
            n = await self.redis.incr(keys.rotation(policy_id, pos))
            await self.redis.hsetnx(escalation_key(iid), field, people[(n - 1) % len(people)])
            picked = await self.redis.hget(escalation_key(iid), field)
        if picked is None:  # only if the hash vanished in between
            raise LookupError(f"no pick for {mark}")
        return as_text(picked)

    async def schedule(self, iid: str, payload: TimerPayload, suffix: str, due: float) -> None:
        await self.timers.schedule(f"{iid}|{suffix}", due, iid, payload.to_payload())
        if due <= self.clock.now() + self.poll:
            self.wake.set()  # a first page with group_wait 0 goes out now, not at the next poll

    async def schedule_step(self, iid: str, timer: StepTimer, due: float) -> None:
        """Schedule a step and remember it as where a resumed escalation continues."""
        fields: dict[FieldT, EncodableT] = {
            NEXT_POS: encode_number(timer.pos),
            NEXT_ITER: encode_number(timer.iteration),
        }
        await self.redis.hset(escalation_key(iid), mapping=fields)
        await self.schedule(iid, timer, timer.suffix(), due)

    async def cancel_timers(self, iid: str) -> None:
        await self.timers.cancel_owner(iid)
