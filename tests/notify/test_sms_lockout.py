"""The reply lockout in a real Redis: five wrong codes lock a number or a client, shared by all processes.

A locked number refuses everything; a locked client (the gateway) still has each reply checked
for the sender number's own code, so strangers cannot lock the on-call person out.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import structlog

from warner.notify.sms.lockout import MAX_WRONG, Attempt, Locked, ReplyLockout, mask_phone
from warner.store.connection import connect

ANNA = "+4915112345678"


async def wrong_codes(lockout: ReplyLockout, sender: str, client: str, n: int) -> None:
    for _ in range(n):
        attempt = await lockout.reserve(sender, client)
        assert isinstance(attempt, Attempt)
        await attempt.wrong()


async def test_five_wrong_codes_lock_the_number_for_fifteen_minutes(redis: Any) -> None:
    lockout = ReplyLockout(redis)
    assert MAX_WRONG == 5
    await wrong_codes(lockout, ANNA, "10.0.0.1", 4)
    assert isinstance(await lockout.reserve(ANNA, "10.0.0.2"), Attempt)  # the 5th try is still checked
    locked = await lockout.reserve(ANNA, "10.0.0.3")
    assert isinstance(locked, Locked)  # ... and held until it is known, so the 6th waits
    assert 14 * 60 < locked.retry_after <= 15 * 60


async def test_the_number_stays_locked_from_any_client_and_other_numbers_are_not(redis: Any) -> None:
    lockout = ReplyLockout(redis)
    for n in range(5):  # one wrong code from each of five clients: only the number reaches five
        await wrong_codes(lockout, ANNA, f"10.0.0.{n}", 1)
    assert isinstance(await lockout.reserve(ANNA, "10.0.0.99"), Locked)
    assert isinstance(await lockout.reserve("+4917099887766", "10.0.0.99"), Attempt)


async def test_a_locked_client_still_has_each_number_checked_and_wrong_codes_count_against_the_number(
    redis: Any,
) -> None:
    lockout = ReplyLockout(redis)
    for n in range(5):  # strangers' wrong codes through one gateway: the gateway is locked ...
        await wrong_codes(lockout, f"+49151000000{n:02d}", "10.0.0.7", 1)
    attempt = await lockout.reserve(ANNA, "10.0.0.7")
    assert isinstance(attempt, Attempt)  # ... but Anna's reply is still checked
    assert attempt.client_locked is not None and 14 * 60 < attempt.client_locked.retry_after <= 15 * 60
    unlocked = await lockout.reserve(ANNA, "10.0.0.8")
    assert isinstance(unlocked, Attempt) and unlocked.client_locked is None  # other clients are not locked
    await unlocked.wrong()
    await attempt.wrong()  # a wrong code through the locked gateway still counts against the number
    await wrong_codes(lockout, ANNA, "10.0.0.7", 3)  # five for Anna now
    assert isinstance(await lockout.reserve(ANNA, "10.0.0.9"), Locked)  # her number locks, from any client


async def test_a_right_code_through_a_locked_client_leaves_the_client_locked(redis: Any) -> None:
    lockout = ReplyLockout(redis)
    for n in range(5):
        await wrong_codes(lockout, f"+49151000000{n:02d}", "10.0.0.7", 1)
    await wrong_codes(lockout, ANNA, "10.0.0.7", 4)  # four typos from Anna as well
    attempt = await lockout.reserve(ANNA, "10.0.0.7")
    assert isinstance(attempt, Attempt) and attempt.client_locked is not None
    await attempt.right()  # clears Anna's count; gives back nothing the client was not charged
    await wrong_codes(lockout, ANNA, "10.0.0.8", 4)
    assert isinstance(await lockout.reserve(ANNA, "10.0.0.8"), Attempt)
    still = await lockout.reserve("+4915100000099", "10.0.0.7")
    assert isinstance(still, Attempt) and still.client_locked is not None


async def test_concurrent_guesses_through_a_locked_client_get_no_more_than_five_checked(redis: Any) -> None:
    lockout = ReplyLockout(redis)
    for n in range(5):
        await wrong_codes(lockout, f"+49151000000{n:02d}", "10.0.0.7", 1)
    results = await asyncio.gather(*(lockout.reserve(ANNA, "10.0.0.7") for _ in range(200)))
    checked = [r for r in results if isinstance(r, Attempt)]
    assert len(checked) == MAX_WRONG and all(a.client_locked is not None for a in checked)
    with structlog.testing.capture_logs() as logs:
        for a in checked:
            await a.wrong()
    locks = {e["scope"] for e in logs if e["event"] == "sms_reply_locked"}
    assert locks == {"number"}  # the client's lock is neither renewed nor logged again
    assert isinstance(await lockout.reserve(ANNA, "10.0.0.8"), Locked)


async def test_a_right_code_clears_the_numbers_count_and_gives_the_clients_attempt_back(redis: Any) -> None:
    lockout = ReplyLockout(redis)
    await wrong_codes(lockout, ANNA, "10.0.0.1", 4)
    attempt = await lockout.reserve(ANNA, "10.0.0.1")
    assert isinstance(attempt, Attempt)
    await attempt.right()
    await wrong_codes(lockout, ANNA, "10.0.0.2", 4)  # four typos again: still not locked
    assert isinstance(await lockout.reserve(ANNA, "10.0.0.2"), Attempt)


async def test_a_burst_of_concurrent_guesses_gets_no_more_than_five_checked(redis_url: str, redis: Any) -> None:
    clients = [connect(redis_url) for _ in range(4)]  # as if from four API processes
    try:
        lockouts = [ReplyLockout(c) for c in clients]
        results = await asyncio.gather(*(lockouts[i % 4].reserve(ANNA, "10.0.0.1") for i in range(200)))
        checked = [r for r in results if isinstance(r, Attempt)]
        assert len(checked) == MAX_WRONG
        assert sum(isinstance(r, Locked) for r in results) == 200 - MAX_WRONG
        await asyncio.gather(*(a.wrong() for a in checked))
        assert isinstance(await lockouts[0].reserve(ANNA, "10.0.0.1"), Locked)
    finally:
        for c in clients:
            await c.aclose()


async def test_the_lockout_ends_after_its_time(redis: Any) -> None:
    lockout = ReplyLockout(redis, window=timedelta(seconds=5), lockout=timedelta(milliseconds=300))
    await wrong_codes(lockout, ANNA, "10.0.0.1", 5)
    assert isinstance(await lockout.reserve(ANNA, "10.0.0.1"), Locked)
    await asyncio.sleep(0.4)
    assert isinstance(await lockout.reserve(ANNA, "10.0.0.1"), Attempt)


async def test_a_lockout_is_logged_with_a_masked_number_and_no_code(redis: Any) -> None:
    lockout = ReplyLockout(redis)
    with structlog.testing.capture_logs() as logs:
        await wrong_codes(lockout, ANNA, "10.0.0.1", 5)
    locked = [e for e in logs if e["event"] == "sms_reply_locked"]
    assert {e["scope"] for e in locked} == {"number", "client"}
    assert all(e["sender"] == "***678" and e["lockout_s"] == 900 for e in locked)
    assert ANNA not in repr(logs)
    assert not any(ANNA in k for k in map(bytes.decode, await redis.keys("*")))
    assert mask_phone("+49") == "***"
