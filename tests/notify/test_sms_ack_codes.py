"""Ack codes in a real Redis: short, stable per (incident, person), expiring, personal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from warner.notify.ack_codes import AckCodeNotYours, AckCodes, UnknownAckCode, ack_code_key, ack_issued_key


async def test_a_code_is_four_digits_and_resolves_for_its_person(redis: Any) -> None:
    codes = AckCodes(redis, ttl=timedelta(hours=6))
    code = await codes.issue("kesselberg:12", "anna")
    assert len(code) == 4 and code.isdigit()
    assert await codes.resolve(code, "anna") == "kesselberg:12"
    assert await codes.resolve(f" {code} ", "anna") == "kesselberg:12"


async def test_the_same_person_gets_the_same_code_for_the_same_incident(redis: Any) -> None:
    codes = AckCodes(redis)
    first = await codes.issue("kesselberg:12", "anna")
    assert await codes.issue("kesselberg:12", "anna") == first
    others = {await codes.issue("kesselberg:12", "ben"), await codes.issue("kesselberg:13", "anna")}
    assert first not in others and len(others) == 2


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
    with pytest.raises(UnknownAckCode):
        await codes.resolve(code, "anna")


async def test_a_code_issued_to_someone_else_is_refused(redis: Any) -> None:
    codes = AckCodes(redis)
    code = await codes.issue("kesselberg:12", "anna")
    with pytest.raises(AckCodeNotYours):
        await codes.resolve(code, "ben")
    with pytest.raises(UnknownAckCode):
        await codes.resolve("0000" if code != "0000" else "0001", "anna")


async def test_codes_grow_longer_when_short_ones_run_out(redis: Any) -> None:
    # every 4-digit code taken: the next one has more digits instead of failing
    await redis.mset({ack_code_key(f"{n:04d}"): "x" for n in range(10_000)})
    code = await AckCodes(redis).issue("kesselberg:12", "anna")
    assert len(code) == 5
