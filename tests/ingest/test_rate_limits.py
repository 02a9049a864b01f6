"""Per-source rate limits, against a real Redis: over its rate a source gets 429 with Retry-After and
nothing of that request is taken; the limit is shared by every API process on the same Redis."""

from __future__ import annotations

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import CONFIG_YAML

from warner.config.loading import ConfigError, parse_config
from warner.ingest.app import create_app
from warner.ingest.ratelimit import Rate, RateLimiter, source_rates
from warner.store import keys

NOW_MS = 1_763_750_520_000


class Clock:
    """The API's wall clock in ms, moved by the test."""

    def __init__(self) -> None:
        self.ms = NOW_MS

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


def limited_yaml(rate_limit: str, max_mentions: int = 20) -> str:
    return CONFIG_YAML.replace("max_mentions_per_request: 1000", f"max_mentions_per_request: {max_mentions}").replace(
        "      token_env: TEST_TOKEN_WEBHOOK\n",
        f"      token_env: TEST_TOKEN_WEBHOOK\n      rate_limit: {rate_limit}\n",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited_config(tokens):
    return parse_config(limited_yaml("{mentions_per_second: 2, mentions_burst: 20}"), "limited.yaml")


@pytest.fixture
async def client(limited_config, redis, clock):
    async with TestClient(TestServer(create_app(limited_config, redis, wall_ms=clock), host="127.0.0.1")) as client:
        yield client


async def post(client, records, token):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return await client.post("/v1/mentions", data=orjson.dumps(records), headers=headers)


async def test_a_source_over_its_rate_gets_429_with_retry_after_and_nothing_of_that_request_is_stored(
    client, redis, clock, tokens, make_mention
):
    assert (await post(client, [make_mention() for _ in range(14)], tokens["webhook"])).status == 202
    over = [make_mention(id=f"over-{i}") for i in range(10)]
    response = await post(client, over, tokens["webhook"])
    assert response.status == 429
    assert response.headers["Retry-After"] == "2"  # 6 of the burst of 20 left: 4 more at 2/s
    body = await response.json()
    assert body["limit"] == "mentions" and (body["per_second"], body["burst"]) == (2, 20)
    assert body["error"] == (
        "rate limit of source 'webhook' exceeded: 2 mentions/s (burst 20); nothing was accepted, retry in 2 s"
    )
    assert await redis.xlen(keys.MENTION_STREAM) == 14
    assert not any([await redis.exists(keys.seen("webhook", m["id"])) for m in over])
    clock.advance(2)
    retried = await post(client, over, tokens["webhook"])
    assert (retried.status, await retried.json()) == (202, {"accepted": 10, "duplicates": 0, "unmatched": 0})


async def test_a_source_with_its_burst_used_up_is_refused_before_its_body_is_parsed(
    client, clock, tokens, make_mention
):
    """Not even one more mention fits: 429 at once, whatever the body holds (no decoding, no
    validation); Retry-After says when one mention fits again."""
    assert (await post(client, [make_mention() for _ in range(20)], tokens["webhook"])).status == 202
    headers = {"Authorization": f"Bearer {tokens['webhook']}", "Content-Type": "application/json"}
    refused = await client.post("/v1/mentions", data=b"{not json at all", headers=headers)
    assert (refused.status, refused.headers["Retry-After"]) == (429, "1")
    clock.advance(1)
    assert (await client.post("/v1/mentions", data=b"{not json at all", headers=headers)).status == 400


async def test_a_refused_request_takes_nothing_from_the_limit(client, clock, tokens, make_mention):
    assert (await post(client, [make_mention() for _ in range(20)], tokens["webhook"])).status == 202
    clock.advance(2)  # room for 4 again
    too_many = await post(client, [make_mention() for _ in range(10)], tokens["webhook"])
    assert (too_many.status, too_many.headers["Retry-After"]) == (429, "3")
    assert (await post(client, [make_mention() for _ in range(4)], tokens["webhook"])).status == 202
    assert (await post(client, [make_mention()], tokens["webhook"])).status == 429


async def test_duplicates_count_against_the_limit(client, tokens, make_mention):
    """The limit protects the API's work, which a duplicate costs as well."""
    same = make_mention(id="same")
    assert (await post(client, [same] * 20, tokens["webhook"])).status == 202
    assert (await post(client, [same], tokens["webhook"])).status == 429


async def test_a_request_rate_limit(tokens, redis, clock, make_mention):
    config = parse_config(limited_yaml("{requests_per_second: 0.5, requests_burst: 2}"), "limited.yaml")
    async with TestClient(TestServer(create_app(config, redis, wall_ms=clock), host="127.0.0.1")) as client:
        for _ in range(2):
            assert (await post(client, [make_mention() for _ in range(20)], tokens["webhook"])).status == 202
        response = await post(client, [make_mention()], tokens["webhook"])
        assert (response.status, response.headers["Retry-After"]) == (429, "2")
        body = await response.json()
        assert body["limit"] == "requests" and "0.5 requests/s (burst 2)" in body["error"]
        clock.advance(2)
        assert (await post(client, [make_mention()], tokens["webhook"])).status == 202


async def test_both_limits_must_fit_and_a_refusal_names_the_one_furthest_over(tokens, redis, clock, make_mention):
    rate_limit = "{mentions_per_second: 10, mentions_burst: 20, requests_per_second: 1, requests_burst: 1}"
    config = parse_config(limited_yaml(rate_limit), "limited.yaml")
    async with TestClient(TestServer(create_app(config, redis, wall_ms=clock), host="127.0.0.1")) as client:
        assert (await post(client, [make_mention() for _ in range(5)], tokens["webhook"])).status == 202
        second = await post(client, [make_mention()], tokens["webhook"])  # fits the mentions, not the requests
        assert (second.status, (await second.json())["limit"]) == (429, "requests")
        clock.advance(1)
        assert (await post(client, [make_mention() for _ in range(15)], tokens["webhook"])).status == 202
        clock.advance(1)  # the request fits again; 20 mentions on top of the 5 still draining do not
        third = await post(client, [make_mention() for _ in range(20)], tokens["webhook"])
        assert (third.status, (await third.json())["limit"]) == (429, "mentions")


async def test_two_api_apps_sharing_redis_share_the_limit(limited_config, redis, clock, tokens, make_mention):
    first = TestClient(TestServer(create_app(limited_config, redis, wall_ms=clock), host="127.0.0.1"))
    second = TestClient(TestServer(create_app(limited_config, redis, wall_ms=clock), host="127.0.0.1"))
    async with first, second:
        assert (await post(first, [make_mention() for _ in range(12)], tokens["webhook"])).status == 202
        assert (await post(second, [make_mention() for _ in range(8)], tokens["webhook"])).status == 202
        refused = await post(second, [make_mention()], tokens["webhook"])
        assert refused.status == 429
        assert (await post(first, [make_mention()], tokens["webhook"])).status == 429
    assert await redis.xlen(keys.MENTION_STREAM) == 20


async def test_other_sources_have_their_own_limit_or_none(client, redis, tokens, make_mention):
    assert (await post(client, [make_mention() for _ in range(20)], tokens["webhook"])).status == 202
    assert (await post(client, [make_mention()], tokens["webhook"])).status == 429
    for _ in range(3):
        assert (await post(client, [make_mention() for _ in range(20)], tokens["forum"])).status == 202
    assert await redis.keys("warner:{ratelimit}:*") == [keys.rate_limit("webhook").encode()]


async def test_the_limit_state_expires_a_second_after_the_bucket_is_full_again(client, redis, tokens, make_mention):
    assert (await post(client, [make_mention() for _ in range(6)], tokens["webhook"])).status == 202
    ttl_ms = await redis.pttl(keys.rate_limit("webhook"))
    assert 3_000 < ttl_ms <= 4_000  # 6 mentions at 2/s drain in 3 s, and a second for clocks that differ


async def test_a_refused_request_still_gets_its_other_answers_first(client, tokens, make_mention):
    """Authentication comes before the rate limit, and while the source has room left, validation
    too: a 400 is a 400, a 401 a 401."""
    assert (await post(client, [make_mention() for _ in range(19)], tokens["webhook"])).status == 202
    assert (await post(client, [{"id": "bad"}], tokens["webhook"])).status == 400
    assert (await post(client, [make_mention()], "wrong-token")).status == 401


def test_a_mention_burst_below_a_full_request_is_a_config_error(tokens):
    with pytest.raises(ConfigError) as caught:
        parse_config(limited_yaml("{mentions_per_second: 2, mentions_burst: 10}"), "limited.yaml")
    (issue,) = caught.value.issues
    assert (issue.file, issue.field) == ("limited.yaml", "ingest.sources")
    assert issue.message == (
        "sources[0].rate_limit.mentions_burst (10) is below max_mentions_per_request (20): "
        "a full request of source 'webhook' could never pass"
    )


@pytest.mark.parametrize(
    ("rate_limit", "field", "message"),
    [
        ("{}", "ingest.sources[0].rate_limit", "needs mentions_per_second and/or requests_per_second"),
        ("{requests_burst: 5}", "ingest.sources[0].rate_limit", "requests_burst is set but requests_per_second"),
        ("{mentions_per_second: 0}", "ingest.sources[0].rate_limit.mentions_per_second", "greater than 0"),
        ("{mentions_per_second: .inf}", "ingest.sources[0].rate_limit.mentions_per_second", "finite"),
        (
            "{requests_per_second: 1, requests_burst: 0}",
            "ingest.sources[0].rate_limit.requests_burst",
            "greater than or equal to 1",
        ),
        ("{requests_per_second: 1, per_minute: 5}", "ingest.sources[0].rate_limit.per_minute", "Extra inputs"),
    ],
)
def test_rate_limit_config_errors_name_the_field(tokens, rate_limit, field, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(limited_yaml(rate_limit), "limited.yaml")
    (issue,) = caught.value.issues
    assert issue.field == field and message in issue.message and issue.line is not None


def test_default_bursts_are_a_seconds_worth_and_fit_a_full_request(tokens):
    config = parse_config(limited_yaml("{mentions_per_second: 2.5, requests_per_second: 50}"), "limited.yaml")
    assert source_rates(config) == {"webhook": (Rate("mentions", 2.5, 20), Rate("requests", 50, 50))}
    config = parse_config(limited_yaml("{mentions_per_second: 2000}", max_mentions=500), "limited.yaml")
    assert source_rates(config) == {"webhook": (Rate("mentions", 2000, 2000),)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    per_second=st.sampled_from([0.5, 3, 250, 2000]),
    burst=st.integers(1, 40),
    steps=st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 40)), min_size=1, max_size=40),
)
async def test_never_more_than_burst_plus_rate_times_elapsed_and_retry_after_is_enough(redis, per_second, burst, steps):
    """Over any sequence of requests, what is admitted never exceeds burst + rate × elapsed time,
    and a refused request fits once its Retry-After has passed (nothing else being sent)."""
    await redis.delete(keys.rate_limit("prop"))
    limiter = RateLimiter(redis, {"prop": (Rate("mentions", per_second, burst),)})
    now = NOW_MS
    admitted = 0
    for delay_ms, cost in steps:
        now += delay_ms
        cost = min(cost, burst)
        refused = await limiter.admit("prop", cost, now)
        if refused is not None:
            assert refused.retry_after >= 1 and refused.rate.unit == "mentions"
            now += refused.retry_after * 1000
            assert await limiter.admit("prop", cost, now) is None
        admitted += cost
        assert admitted <= burst + per_second * (now - NOW_MS) / 1000 + 0.01


@pytest.mark.parametrize("per_second", [3, 7, 0.3, 999_999])
async def test_a_request_of_exactly_the_burst_fits_a_fresh_bucket(redis, per_second):
    """Rates that are no whole number of µs per unit must not lose a full burst to float rounding."""
    limiter = RateLimiter(redis, {"exact": (Rate("mentions", per_second, 20),)})
    assert await limiter.admit("exact", 20, NOW_MS) is None
    assert await limiter.admit("exact", 1, NOW_MS) is not None
