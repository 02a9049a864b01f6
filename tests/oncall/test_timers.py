"""Durable timers in the real Redis: due once, claimed once, re-driven once after a crash."""

from __future__ import annotations

import asyncio

from warner.core import ManualClock
from warner.oncall.timers import TimerStore

T0 = 1_790_000_000.0


async def test_a_timer_is_claimed_only_when_due_and_only_once(redis):
    clock = ManualClock(T0)
    store = TimerStore(redis, clock, lease=60)
    assert await store.schedule("kb:1|step", T0 + 300, "kb:1", {"pos": 1})

    assert await store.claim() == []
    clock.advance(300)
    claimers = [TimerStore(redis, clock, lease=60) for _ in range(5)]
    results = await asyncio.gather(*(c.claim() for c in claimers))

    claimed = [t for r in results for t in r]
    assert [(t.id, t.payload, t.attempt, t.owner) for t in claimed] == [("kb:1|step", {"pos": 1}, 1, "kb:1")]
    await store.complete(claimed[0])
    clock.advance(3600)
    assert await store.redrive() == 0
    assert await store.claim() == []


async def test_an_id_is_scheduled_once_even_after_it_fired(redis):
    clock = ManualClock(T0)
    store = TimerStore(redis, clock)
    assert await store.schedule("x", T0, "kb:1", {})
    assert not await store.schedule("x", T0 + 60, "kb:1", {})  # pending
    [timer] = await store.claim()
    assert not await store.schedule("x", T0, "kb:1", {})  # claimed
    await store.complete(timer)
    assert not await store.schedule("x", T0, "kb:1", {})  # fired
    assert await store.claim() == []


async def test_an_expired_lease_is_redriven_once_and_counts_the_attempt(redis):
    clock = ManualClock(T0)
    store = TimerStore(redis, clock, lease=30)
    await store.schedule("x", T0, "kb:1", {"a": 1})
    [crashed] = await store.claim()  # the worker dies here: no complete
    clock.advance(10)
    assert await store.redrive() == 0  # lease still running
    assert (await store.stats()).claimed == 1
    clock.advance(25)
    assert (await store.stats()).expired_claims == 1

    assert await store.redrive() == 1
    assert await store.redrive() == 0
    again = await asyncio.gather(store.claim(), TimerStore(redis, clock).claim())
    [retry] = [t for r in again for t in r]
    assert retry.id == crashed.id and retry.attempt == 2
    await store.complete(retry)
    assert (await store.stats()).claimed == 0


async def test_cancelling_an_owner_drops_its_pending_timers_only(redis):
    clock = ManualClock(T0)
    store = TimerStore(redis, clock)
    await store.schedule("a1", T0 + 10, "kb:1", {})
    await store.schedule("a2", T0 + 20, "kb:1", {})
    await store.schedule("b1", T0 + 10, "kb:2", {})
    assert [t for t, _ in await store.pending("kb:1")] == ["a1", "a2"]

    assert await store.cancel_owner("kb:1") == 2
    clock.advance(60)
    assert [t.id for t in await store.claim()] == ["b1"]
    assert not await store.schedule("a1", T0, "kb:1", {})  # a cancelled id never comes back


async def test_stats_report_backlog_and_heartbeat_for_the_auditor(redis):
    clock = ManualClock(T0)
    store = TimerStore(redis, clock)
    assert (await store.stats()).heartbeat_age is None
    await store.beat()
    await store.schedule("x", T0 - 120, "kb:1", {})
    await store.schedule("y", T0 + 120, "kb:1", {})
    clock.advance(5)
    stats = await store.stats(grace=60)
    assert (stats.due, stats.overdue, stats.claimed) == (2, 1, 0)
    assert stats.heartbeat_age == 5
    assert await store.next_due() == T0 - 120
