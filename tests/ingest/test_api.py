"""The ingest API, against a real Redis: auth, validation, atomicity, dedupe, backpressure."""

from __future__ import annotations

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from warner.ingest.app import create_app
from warner.store import keys
from warner.store.connection import connect


@pytest.fixture
async def client(config, redis):
    app = create_app(config, redis)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ndjson(records) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


async def post(client, body, token, content_type="application/json"):
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return await client.post("/v1/mentions", data=data,
                             headers={**bearer(token), "Content-Type": content_type})


async def stream_payloads(redis) -> list[dict]:
    return [orjson.loads(fields[b"m"]) for _, fields in await redis.xrange(keys.MENTION_STREAM)]


async def test_single_object_is_accepted_after_it_is_in_the_stream(client, redis, tokens, make_mention):
    response = await post(client, make_mention(id="a1"), tokens["webhook"])
    assert response.status == 202
    assert await response.json() == {"accepted": 1, "duplicates": 0, "unmatched": 0}
    (stored,) = await stream_payloads(redis)
    assert stored["id"] == "a1" and stored["source"] == "webhook" and stored["brand"] == "kesselberg"


async def test_array_and_ndjson_bodies(client, redis, tokens, make_mention):
    response = await post(client, [make_mention(), make_mention()], tokens["webhook"])
    assert (response.status, await response.json()) == (202, {"accepted": 2, "duplicates": 0, "unmatched": 0})
    response = await post(client, ndjson([make_mention(), make_mention(), make_mention()]) + b"\n\n",
                          tokens["webhook"], "application/x-ndjson")
    assert (response.status, await response.json()) == (202, {"accepted": 3, "duplicates": 0, "unmatched": 0})
    assert await redis.xlen(keys.MENTION_STREAM) == 5


async def test_missing_token_is_401(client, make_mention):
    response = await client.post("/v1/mentions", json=make_mention())
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "bearer token" in (await response.json())["error"]


async def test_unknown_token_is_401(client, make_mention):
    response = await post(client, make_mention(), "not-a-token")
    assert response.status == 401


async def test_token_of_another_source_is_403(client, redis, tokens, make_mention):
    response = await post(client, [make_mention(), make_mention(source="webhook")], tokens["forum"])
    assert response.status == 403
    assert "webhook" in (await response.json())["error"]
    assert await redis.xlen(keys.MENTION_STREAM) == 0


async def test_wrong_content_type_is_415(client, tokens):
    response = await post(client, b"id=1", tokens["webhook"], "application/x-www-form-urlencoded")
    assert response.status == 415
    assert "application/x-ndjson" in (await response.json())["error"]


async def test_body_over_the_limit_is_413(client, redis, tokens, make_mention):
    big = [make_mention(text="x" * 1000) for _ in range(80)]  # > 64 KiB configured
    response = await post(client, big, tokens["webhook"])
    assert response.status == 413
    assert "larger than 65536" in (await response.json())["error"]
    assert await redis.xlen(keys.MENTION_STREAM) == 0


async def test_chunked_body_over_the_limit_is_413(client, tokens, make_mention):
    payload = orjson.dumps([make_mention(text="y" * 1000) for _ in range(80)])

    async def chunks():
        for i in range(0, len(payload), 4096):
            yield payload[i:i + 4096]

    response = await client.post("/v1/mentions", data=chunks(),
                                 headers={**bearer(tokens["webhook"]), "Content-Type": "application/json"})
    assert response.status == 413


async def test_malformed_json_is_400_with_the_line(client, tokens):
    response = await post(client, b'{"id": "1",\n "text": }', tokens["webhook"])
    assert response.status == 400
    body = await response.json()
    assert body["errors"][0]["line"] == 2
    assert body["errors"][0]["message"].startswith("malformed JSON")


async def test_ndjson_errors_name_line_and_field_and_nothing_is_accepted(client, redis, tokens, make_mention):
    lines = [
        make_mention(),
        make_mention(created_at="yesterday"),
        make_mention(),
        make_mention(author_followers=-3, color="red"),
    ]
    body = ndjson(lines[:2]) + b"{not json\n" + ndjson(lines[2:])
    response = await post(client, body, tokens["webhook"], "application/x-ndjson")
    assert response.status == 400
    errors = (await response.json())["errors"]
    located = {(e.get("line"), e.get("field")) for e in errors}
    assert located == {(2, "created_at"), (3, None), (5, "author_followers"), (5, "color")}
    assert await redis.xlen(keys.MENTION_STREAM) == 0  # the valid lines were not accepted either


async def test_array_errors_name_the_index(client, redis, tokens, make_mention):
    response = await post(client, [make_mention(), {"id": "x"}, "just text"], tokens["webhook"])
    assert response.status == 400
    errors = (await response.json())["errors"]
    assert {(e["index"], e.get("field")) for e in errors} == {(1, "text"), (1, "created_at"), (2, None)}
    assert await redis.xlen(keys.MENTION_STREAM) == 0


async def test_unknown_brand_is_400(client, tokens, make_mention):
    response = await post(client, [make_mention(), make_mention(brand="nobody")], tokens["webhook"])
    assert response.status == 400
    assert (await response.json())["errors"] == [{"index": 1, "field": "brand", "message": "unknown brand 'nobody'"}]


async def test_created_at_needs_a_time_zone(client, tokens, make_mention):
    response = await post(client, make_mention(created_at="2026-11-21T19:42:10"), tokens["webhook"])
    assert response.status == 400
    assert "time zone" in (await response.json())["errors"][0]["message"]


async def test_brand_is_matched_from_text_and_unmatched_mentions_are_kept(client, redis, tokens, make_mention):
    body = [
        make_mention(text="Mit Bergblick Reisen nach Südtirol"),
        make_mention(text="Der Kesselberg-Tunnel ist gesperrt"),
        make_mention(text="MUELLER und KESSELBERGER"),
    ]
    assert (await post(client, body, tokens["webhook"])).status == 202
    stored = await stream_payloads(redis)
    assert [s.get("brand") for s in stored] == ["bergblick", None, "kesselberg"]


async def test_duplicates_are_acknowledged_not_appended_again(client, redis, tokens, make_mention):
    first = make_mention(id="dup-1")
    assert (await (await post(client, [first, make_mention(id="dup-2")], tokens["webhook"])).json()) == {
        "accepted": 2, "duplicates": 0, "unmatched": 0}
    again = await post(client, [first, first, make_mention(id="dup-3")], tokens["webhook"])
    assert (again.status, await again.json()) == (202, {"accepted": 1, "duplicates": 2, "unmatched": 0})
    assert await redis.xlen(keys.MENTION_STREAM) == 3


async def test_same_id_from_another_source_is_not_a_duplicate(client, tokens, make_mention):
    await post(client, make_mention(id="same"), tokens["webhook"])
    response = await post(client, make_mention(id="same"), tokens["forum"])
    assert await response.json() == {"accepted": 1, "duplicates": 0, "unmatched": 0}


async def test_numeric_ids_are_accepted_as_text(client, redis, tokens, make_mention):
    assert (await post(client, make_mention(id=1234567890123), tokens["webhook"])).status == 202
    assert (await stream_payloads(redis))[0]["id"] == "1234567890123"


async def test_full_backlog_is_503_with_retry_after_and_nothing_accepted(config, redis, tokens, make_mention):
    small = config.model_copy(update={"ingest": config.ingest.model_copy(update={"max_backlog": 3})})
    async with TestClient(TestServer(create_app(small, redis), host="127.0.0.1")) as client:
        assert (await post(client, [make_mention() for _ in range(3)], tokens["webhook"])).status == 202
        refused = make_mention(id="late")
        response = await post(client, refused, tokens["webhook"])
        assert response.status == 503
        assert response.headers["Retry-After"] == "7"
        assert (await response.json())["backlog"] == 3
        assert await redis.xlen(keys.MENTION_STREAM) == 3
        assert not await redis.exists(keys.seen("webhook", "late"))  # so a retry is not a "duplicate"


async def test_store_down_is_503_and_readyz_says_so(config, tokens, tmp_path, make_mention):
    dead = connect(f"unix://{tmp_path}/no-redis.sock")
    async with TestClient(TestServer(create_app(config, dead), host="127.0.0.1")) as client:
        response = await post(client, make_mention(), tokens["webhook"])
        assert response.status == 503
        assert "nothing was accepted" in (await response.json())["error"]
        assert (await client.get("/readyz")).status == 503
        assert (await client.get("/healthz")).status == 200
    await dead.aclose()


async def test_health_ready_and_metrics(client, tokens, make_mention):
    assert (await client.get("/healthz")).status == 200
    assert await (await client.get("/readyz")).json() == {"status": "ready"}
    await post(client, [make_mention(id="x1"), make_mention(id="x1")], tokens["webhook"])
    await post(client, make_mention(), "wrong")
    text = await (await client.get("/metrics")).text()
    assert 'warner_ingest_accepted_total{source="webhook"} 1.0' in text
    assert 'warner_ingest_duplicates_total{source="webhook"} 1.0' in text
    assert 'warner_ingest_rejected_requests_total{reason="unauthorized"} 1.0' in text
    assert "warner_stream_backlog 1.0" in text
    assert "warner_ingest_request_seconds_count 1.0" in text


async def test_a_mention_that_matches_no_brand_is_kept_and_the_answer_and_metrics_say_so(
    client, redis, tokens, make_mention
):
    records = [make_mention(id="u1", text="Ein Brot aus Ulm"), make_mention(id="m1")]
    response = await post(client, records, tokens["webhook"])
    assert (response.status, await response.json()) == (202, {"accepted": 2, "duplicates": 0, "unmatched": 1})
    assert [p.get("brand") for p in await stream_payloads(redis)] == [None, "kesselberg"]
    metrics = await (await client.get("/metrics")).text()
    assert 'warner_ingest_unmatched_total{source="webhook"} 1.0' in metrics
