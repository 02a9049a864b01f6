"""Fuzzing the ingest API against a real Redis: whatever arrives, no 5xx but 503, a JSON answer,
and the stream grows by exactly the number of mentions the answer reports as accepted."""

from __future__ import annotations

import contextlib
import gzip
import zlib

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from support import TOKENS

from warner.ingest.app import create_app
from warner.store import keys

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALID_TOKENS = list(TOKENS.values())
CONTENT_TYPES = [
    "application/json",
    "application/x-ndjson",
    "application/ndjson",
    "application/json; charset=latin-1",
    "text/plain",
    "multipart/form-data; boundary=xyz",
    "application/x-www-form-urlencoded",
    "",
    "application/json;;;=",
]
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200)
# Header values as they arrive: printable ASCII and, rarely, bytes that are not UTF-8 (latin-1).
HEADER_VALUE = st.one_of(
    HEADER_TEXT,
    st.text(
        st.characters(min_codepoint=0xA0, max_codepoint=0xFF) | st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        max_size=50,
    ),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=100),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)


def nested(depth: int, leaf: object) -> object:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"extra": value}
    return value


@st.composite
def mention(draw, valid: bool | None = None) -> dict:
    """A mention record: valid, or (by default, half of them) with some of its fields wrong."""
    valid = draw(st.booleans()) if valid is None else valid
    record = {
        "id": draw(st.one_of(st.text(min_size=1, max_size=20), st.integers(min_value=0, max_value=10**12))),
        "text": draw(st.one_of(st.just("Kesselberger Helles"), st.text(max_size=300))),
        "created_at": draw(st.sampled_from(["2026-11-21T19:42:10+01:00", "2026-11-21T19:42:10Z"])),
    }
    optional = {
        "source": ["webhook"],
        "brand": ["kesselberg", "bergblick"],
        "author_followers": [0, 120, 10**6],
        "url": ["https://example.org/p/1"],
        "lang": ["de", "en-GB"],
    }
    wrong = {
        "created_at": st.sampled_from(["yesterday", 5, None, "2026-11-21T19:42:10"]),
        "source": st.sampled_from(["forum", "other", ""]),
        "brand": st.sampled_from(["nope", ""]),
        "author_followers": st.integers(min_value=-(10**9), max_value=-1),
        "url": st.sampled_from(["ftp://x", "https://" + "x" * 3000]),
        "lang": st.sampled_from(["1", ""]),
        "extra": json_values,
        "unknown_field": json_values,
    }
    for name, values in optional.items():
        if draw(st.integers(0, 2)) == 0:
            record[name] = draw(st.sampled_from(values))
    if valid:
        if draw(st.booleans()):
            record["extra"] = draw(st.dictionaries(st.text(max_size=10), json_values, max_size=5))
    else:
        for name in draw(st.lists(st.sampled_from(sorted(wrong)), min_size=1, max_size=3, unique=True)):
            record[name] = draw(wrong[name])
    return record


def ndjson(records: list) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


BODIES = st.one_of(
    st.binary(max_size=2000),
    json_values.map(orjson.dumps),
    st.builds(nested, st.integers(0, 50), json_values).map(orjson.dumps),
    st.builds(nested, st.integers(0, 50), mention()).map(orjson.dumps),
    mention().map(orjson.dumps),
    st.lists(mention(), max_size=20).map(orjson.dumps),
    st.lists(mention(valid=True), min_size=1, max_size=20).map(orjson.dumps),
    st.lists(st.one_of(mention(), json_values), max_size=20).map(ndjson),
    st.tuples(mention(), st.binary(min_size=1, max_size=20)).map(lambda t: orjson.dumps(t[0])[:-1] + t[1] + b"}"),
    st.sampled_from([b'{"id": "\xff\xfe", "text": "x"}', b'"\xed\xa0\x80"', b"\xef\xbb\xbf{}", b"[" * 5000, b"{}" * 3]),
    st.integers(60_000, 80_000).map(lambda n: orjson.dumps({"id": "big", "text": "x" * n})),
    st.integers(1, 3).map(lambda n: ndjson([{"id": f"l{i}", "text": "ü" * 20_000} for i in range(n)])),
)

VALID_AUTHORIZATION = st.sampled_from([f"Bearer {t}" for t in VALID_TOKENS] + [f"bearer   {VALID_TOKENS[0]} "])
WRONG_AUTHORIZATION = st.one_of(
    st.none(),
    HEADER_VALUE,
    HEADER_VALUE.map(lambda v: f"Bearer {v}"),
    st.integers(1000, 8000).map(lambda n: "Bearer " + "A" * n),
)
# Two in three requests carry a valid token, so that most bodies get past authentication.
AUTHORIZATION = st.integers(0, 2).flatmap(lambda n: WRONG_AUTHORIZATION if n == 0 else VALID_AUTHORIZATION)


@pytest.fixture
async def client(config, redis):
    async with TestClient(TestServer(create_app(config, redis), host="127.0.0.1")) as client:
        yield client


async def post_and_check(client, redis, body: bytes, headers: dict[str, str]) -> int:
    before = await redis.xlen(keys.MENTION_STREAM)
    response = await client.post("/v1/mentions", data=body, headers=headers)
    raw = await response.read()
    after = await redis.xlen(keys.MENTION_STREAM)
    with contextlib.suppress(InvalidArgument):  # outside a hypothesis test there is nothing to record
        event(f"status {response.status}")
    assert response.status < 500 or response.status == 503, (response.status, raw[:500])
    assert response.content_type == "application/json", (response.status, raw[:200])
    answer = orjson.loads(raw)
    if response.status == 202:
        assert after - before == answer["accepted"]
        assert answer["accepted"] + answer["duplicates"] >= 1
    else:
        assert isinstance(answer["error"], str) and answer["error"]
        assert after == before
    return response.status


@FUZZ
@given(body=BODIES, content_type=st.sampled_from(CONTENT_TYPES), authorization=AUTHORIZATION)
async def test_any_body_gets_a_json_answer_and_only_accepted_mentions_are_stored(
    client, redis, body, content_type, authorization
):
    headers = {"Content-Type": content_type} if content_type else {}
    if authorization is not None:
        headers["Authorization"] = authorization
    await post_and_check(client, redis, body, headers)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    extra=st.dictionaries(
        st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=30).map(lambda s: "X-" + s),
        HEADER_VALUE,
        max_size=10,
    ),
    records=st.lists(mention(valid=True), min_size=1, max_size=5),
    encoding=st.sampled_from(["gzip", "deflate", "identity", "bogus", None]),
)
async def test_random_headers_and_encodings_never_break_the_api(client, redis, extra, records, encoding):
    headers = {**extra, "Authorization": f"Bearer {VALID_TOKENS[0]}", "Content-Type": "application/json"}
    body = orjson.dumps(records)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
        body = {"gzip": gzip.compress, "deflate": zlib.compress}.get(encoding, bytes)(body)
    status = await post_and_check(client, redis, body, headers)
    assert status == (415 if encoding == "bogus" else 202)  # an encoding nobody can decode: 415, never a 5xx


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_body_that_does_not_decode_as_its_content_encoding_is_a_4xx(client, redis, encoding):
    headers = {
        "Authorization": f"Bearer {VALID_TOKENS[0]}",
        "Content-Type": "application/json",
        "Content-Encoding": encoding,
    }
    await post_and_check(client, redis, b'{"id": "1", "text": "not compressed"}', headers)


async def test_a_huge_authorization_header_is_refused_by_the_server_not_crashed(client, redis):
    """Beyond aiohttp's header limit (8190 bytes) the HTTP parser answers 400 itself (plain text,
    before any handler runs): still no 5xx and nothing stored."""
    response = await client.post(
        "/v1/mentions",
        data=b"{}",
        headers={"Authorization": "Bearer " + "A" * 100_000, "Content-Type": "application/json"},
    )
    assert 400 <= response.status < 500
    assert await redis.xlen(keys.MENTION_STREAM) == 0


@pytest.mark.parametrize("encoding", ["br", "zstd"])
async def test_brotli_and_zstd_bodies_are_decoded(client, redis, encoding):
    import brotli

    try:
        from compression import zstd
    except ImportError:
        from backports import zstd
    body = orjson.dumps({"id": f"enc-{encoding}", "text": "Kesselberger Helles", "created_at": "2026-11-21T19:42:10Z"})
    compressed = brotli.compress(body) if encoding == "br" else zstd.compress(body)
    headers = {"Authorization": f"Bearer {VALID_TOKENS[0]}", "Content-Type": "application/json",
               "Content-Encoding": encoding}
    assert await post_and_check(client, redis, compressed, headers) == 202


@pytest.mark.parametrize("encoding", ["compress", "x-gzip", "gzip, br", "bogus"])
async def test_an_encoding_the_server_cannot_decode_is_415_without_an_install_hint(client, redis, encoding):
    headers = {"Authorization": f"Bearer {VALID_TOKENS[0]}", "Content-Type": "application/json",
               "Content-Encoding": encoding}
    response = await client.post("/v1/mentions", data=b'{"id": "1"}', headers=headers)
    assert response.status == 415
    message = (await response.json())["error"]
    assert repr(encoding) in message and "install" not in message.lower()
    assert await redis.xlen(keys.MENTION_STREAM) == 0
