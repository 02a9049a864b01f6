"""Whatever the API answers 202 for, the worker can process: a property across the API → stream →
worker boundary, on the real pipeline (score, count, detect) and a real Redis.

The records are drawn at and beyond the edges the issue found: timestamps from year 1 to 9999
with any offset, follower counts up to 2**63 − 1, ``extra`` nested up to 300 levels, any text.
Each is either refused with a 400 that names the field, or accepted and then processed — never
dead-lettered, never left pending.
"""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support import TOKENS

from warner.ingest.app import create_app
from warner.metrics import Metrics
from warner.scoring.models import default_scorer
from warner.service import build_worker
from warner.store import keys

pytestmark = pytest.mark.timeout(300)

SCORER = default_scorer()
AUTH = {"Authorization": f"Bearer {TOKENS['TEST_TOKEN_WEBHOOK']}", "Content-Type": "application/json"}


@st.composite
def timestamps(draw) -> str:
    year = draw(
        st.one_of(
            st.integers(1970, 2099),
            st.integers(1970, 2099),
            st.integers(1, 9999),
            st.sampled_from([1, 1969, 1970, 2026, 2099, 2100, 9999]),
        )
    )
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    offset = draw(
        st.one_of(
            st.just("Z"),
            st.builds(
                lambda s, h, m: f"{s}{h:02d}:{m:02d}", st.sampled_from("+-"), st.integers(0, 23), st.integers(0, 59)
            ),
        )
    )
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{offset}"


FOLLOWERS = st.one_of(
    st.integers(0, 10**10),
    st.integers(0, 2**63 - 1),
    st.sampled_from([0, 10**10, 10**10 + 1, 10**17, 2**53, 2**63 - 1]),
)
RAW_EXTRAS = [
    '{"k": "\\ud800"}',
    '{"\\u0000": 1}',
    '{"k": 18446744073709551616}',
    '{"k": 9223372036854775807}',
    '{"k": -9223372036854775809}',
    '{"k": 1e308}',
    '{"k": -1e308}',
    '{"k": 1e400}',
    '{"k": "\\u0000"}',
    '{"k": "\\udc80\\ud800"}',
    '{"\\ud83d": [1, 2]}',
    '{"k": 5e-324}',
]
TEXT = st.one_of(st.just("Kesselberger Helles schmeckt nach Seife"), st.text(max_size=200))


@st.composite
def record_bodies(draw) -> bytes:
    """One record as raw JSON (deep ``extra`` written as text: orjson cannot dump it)."""
    record = {
        "id": draw(st.text(min_size=1, max_size=20)),
        "text": "Kesselberg " + draw(TEXT),
        "created_at": draw(timestamps()),
    }
    if draw(st.booleans()):
        record["author_followers"] = draw(FOLLOWERS)
    if draw(st.booleans()):
        record["author"] = draw(st.text(min_size=1, max_size=30))
    body = orjson.dumps(record)
    if draw(st.integers(0, 3)) == 0:  # raw JSON orjson would never write: lone surrogates, NUL keys, edge numbers
        raw = draw(st.sampled_from(RAW_EXTRAS))
        body = body[:-1] + b',"extra":' + raw.encode() + b"}"
    elif draw(st.booleans()):
        levels = draw(st.one_of(st.integers(1, 40), st.integers(190, 300)))
        extra = '{"k":' * levels + draw(st.sampled_from(["1", '"x"', "[]", "1e308"])) + "}" * levels
        body = body[:-1] + b',"extra":' + extra.encode() + b"}"
    return body


@pytest.fixture
async def client(config, redis):
    async with TestClient(TestServer(create_app(config, redis), host="127.0.0.1")) as client:
        yield client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=record_bodies())
async def test_every_accepted_mention_is_processed_and_every_refusal_names_the_field(client, redis, config, body):
    await redis.flushall()
    response = await client.post("/v1/mentions", data=body, headers=AUTH)
    answer = await response.json()
    event(f"status {response.status}")
    assert response.status in (202, 400), answer
    if response.status == 400:
        assert all(e.get("field") or "JSON" in e["message"] for e in answer["errors"]), answer
        return
    worker = build_worker(config, redis, Metrics(), scorer=SCORER)
    processed = await asyncio.wait_for(worker.drain(), timeout=20)
    assert processed == answer["accepted"]
    assert await redis.xlen(keys.DEAD_LETTER_STREAM) == 0
    assert await worker.stream.backlog() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("created_at", "0001-01-01T00:30:00+01:00", "must be between 1970-01-01 and 2100-01-01"),
        ("created_at", "9999-12-31T23:30:00-01:00", "must be between 1970-01-01 and 2100-01-01"),
        ("author_followers", 10**17, "less than or equal to 10000000000"),
    ],
)
async def test_values_beyond_the_edges_are_refused_naming_the_field(client, redis, field, value, message):
    record = {"id": "1", "text": "Kesselberg", "created_at": "2026-11-21T19:42:10Z", field: value}
    response = await client.post("/v1/mentions", data=orjson.dumps(record), headers=AUTH)
    assert response.status == 400
    (error,) = (await response.json())["errors"]
    assert error["field"] == field and message in error["message"]


async def test_extra_nested_beyond_32_levels_is_refused_and_never_a_500(client, redis):
    for depth, status in ((32, 202), (33, 400), (255, 400), (300, 400), (2000, 400)):
        extra = '{"k":' * depth + "1" + "}" * depth
        body = f'{{"id": "d{depth}", "text": "Kesselberg", "created_at": "2026-11-21T19:42:10Z", "extra": {extra}}}'
        response = await client.post("/v1/mentions", data=body.encode(), headers=AUTH)
        assert response.status == status, (depth, await response.text())
