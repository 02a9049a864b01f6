"""Ack codes in a real Redis: six random digits, personal, single-use, retired with their page."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from warner.notify.sms.ack_codes import (
    AckCodes,
    Claim,
    ack_code_key,
    ack_incident_codes_key,
    ack_issued_key,
    ack_used_key,
)


async def test_a_code_is_six_digits_and_claims_the_incident_for_its_person(redis: Any) -> None:
    codes = AckCodes(redis, ttl=timedelta(hours=6))
    code = await codes.issue("kesselberg:12", "anna")
    assert len(code) == 6 and code.isdigit()
    assert await codes.claim(f" {code} ", "anna") == Claim("claimed", "kesselberg:12", "used")


async def test_a_code_works_once(redis: Any) -> None:
    codes = AckCodes(redis)
    code = await codes.issue("kesselberg:12", "anna")
    assert (await codes.claim(code, "anna")).outcome == "claimed"
    assert await codes.claim(code, "anna") == Claim("closed", "kesselberg:12", "used")
    assert not await redis.exists(ack_code_key(code))


async def test_the_same_person_gets_the_same_code_for_the_same_incident_until_it_is_used(redis: Any) -> None:
    codes = AckCodes(redis)
    first = await codes.issue("kesselberg:12", "anna")
    assert await codes.issue("kesselberg:12", "anna") == first
    others = {await codes.issue("kesselberg:12", "ben"), await codes.issue("kesselberg:13", "anna")}
    assert first not in others and len(others) == 2
    await codes.claim(first, "anna")
    assert await codes.issue("kesselberg:12", "anna") != first  # a used code never comes back


async def test_codes_expire_and_every_page_refreshes_the_ttl(redis: Any) -> None:
    codes = AckCodes(redis, ttl=timedelta(hours=6))
    code = await codes.issue("kesselberg:12", "anna")
    assert 6 * 3600 - 5 <= await redis.ttl(ack_code_key(code)) <= 6 * 3600
    await redis.expire(ack_code_key(code), 10)
    await redis.expire(ack_issued_key("kesselberg:12", "anna"), 10)
    assert await codes.issue("kesselberg:12", "anna") == code
    assert await redis.ttl(ack_code_key(code)) > 10
    assert await redis.ttl(ack_issued_key("kesselberg:12", "anna")) > 10
    await redis.delete(ack_code_key(code))
    assert (await codes.claim(code, "anna")).outcome == "wrong"


async def test_a_code_from_the_wrong_person_or_nobody_is_just_wrong_and_stays_live(redis: Any) -> None:
    codes = AckCodes(redis)
    code = await codes.issue("kesselberg:12", "anna")
    assert await codes.claim(code, "ben") == Claim("wrong")
    assert await codes.claim(code, None) == Claim("wrong")
    assert await codes.claim("000000" if code != "000000" else "000001", "anna") == Claim("wrong")
    assert (await codes.claim(code, "anna")).outcome == "claimed"


async def test_retiring_an_incident_ends_every_code_of_it_and_tells_only_their_owners(redis: Any) -> None:
    codes = AckCodes(redis)
    anna = await codes.issue("kesselberg:12", "anna")
    ben = await codes.issue("kesselberg:12", "ben")
    other = await codes.issue("kesselberg:13", "anna")
    assert await codes.retire("kesselberg:12", "resolved") == 2
    assert await codes.claim(anna, "anna") == Claim("closed", "kesselberg:12", "resolved")
    assert await codes.claim(ben, "anna") == Claim("wrong")  # someone else's tombstone says nothing
    assert await codes.claim(ben, "ben") == Claim("closed", "kesselberg:12", "resolved")
    assert (await codes.claim(other, "anna")).outcome == "claimed"  # another incident's page goes on
    assert not await redis.exists(ack_incident_codes_key("kesselberg:12"))
    assert not await redis.exists(ack_issued_key("kesselberg:12", "anna"))
    fresh = await codes.issue("kesselberg:12", "anna")  # a later page (re-opened) gets a new code
    assert fresh not in (anna, ben) and (await codes.claim(fresh, "anna")).outcome == "claimed"


async def test_tombstones_expire_and_block_their_code_meanwhile(redis: Any) -> None:
    draws = itertools.chain([1234], itertools.repeat(1234, 3), itertools.count(5000))
    codes = AckCodes(redis, tombstone_ttl=timedelta(hours=2), draw=lambda _n: next(draws))
    code = await codes.issue("kesselberg:12", "anna")
    assert code == "001234"
    await codes.retire("kesselberg:12", "acknowledged")
    assert 2 * 3600 - 5 <= await redis.ttl(ack_used_key(code)) <= 2 * 3600
    assert await codes.issue("kesselberg:14", "ben") != code  # the tombstone holds 001234


async def test_codes_grow_longer_when_six_digit_ones_keep_colliding(redis: Any) -> None:
    codes = AckCodes(redis, draw=lambda _n: 0)
    assert await codes.issue("kesselberg:12", "anna") == "000000"
    assert await codes.issue("kesselberg:13", "anna") == "0000000"  # ten collisions, then one digit more


def test_ack_code_keys_and_lockout_counters_share_the_acks_slot() -> None:
    from redis.crc import key_slot

    from warner.store import keys

    group = [
        ack_code_key("482193"),
        ack_used_key("482193"),
        ack_issued_key("kesselberg:1", "anna"),
        ack_incident_codes_key("kesselberg:1"),
        keys.sms_reply_failures("phone", "ab" * 16),
        keys.sms_reply_failures("client", "cd" * 16),
    ]
    assert len({key_slot(k.encode()) for k in group}) == 1
