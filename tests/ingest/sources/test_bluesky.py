"""The Bluesky search source against the local XRPC double: mapping, cursors, paging, failures."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from doubles.bluesky_api import BlueskyApiDouble
from pydantic import ValidationError
from structlog.testing import capture_logs

from warner.core import ManualClock
from warner.ingest.sources.base import Cursor, SourceError
from warner.ingest.sources.bluesky import BlueskyConfig, BlueskySource

T0 = datetime(2026, 11, 21, 18, 30, tzinfo=UTC)


@pytest.fixture
async def api() -> AsyncIterator[BlueskyApiDouble]:
    async with BlueskyApiDouble() as double:
        yield double


def config(api: BlueskyApiDouble, **fields: Any) -> BlueskyConfig:
    return BlueskyConfig(**{"name": "bsky", "service": api.base_url, "queries": ["kesselberger"], **fields})


async def poll(source: BlueskySource, cursor: Cursor) -> tuple[list[str], Cursor]:
    result = await source.poll(cursor)
    return [m.text for m in result.mentions], json.loads(json.dumps(result.cursor))  # as stored in Redis


async def test_post_view_becomes_a_mention_with_reach(api: BlueskyApiDouble) -> None:
    view = api.post("Kesselberger Helles ist ausverkauft?!", at=T0, handle="anna.bsky.social", followers=1234,
                    langs=["de", "en"], likes=7, reposts=2, replies=3)  # fmt: skip
    api.post("kesselberger schmeckt", at=T0 + timedelta(seconds=5), handle="ben.bsky.social")  # no profile
    source = BlueskySource(config(api))
    try:
        result = await source.poll({})
    finally:
        await source.close()
    by_author = {m.author: m for m in result.mentions}
    anna = by_author["anna.bsky.social"]
    rkey = view["uri"].rsplit("/", 1)[-1]
    assert anna.id == view["uri"] and anna.id.startswith("at://did:plc:anna/app.bsky.feed.post/")
    assert anna.source == "bsky" and anna.text == "Kesselberger Helles ist ausverkauft?!"
    assert anna.created_at == T0 and anna.lang == "de" and anna.brand is None
    assert anna.author_followers == 1234
    assert anna.url == f"https://bsky.app/profile/anna.bsky.social/post/{rkey}"
    assert anna.extra == {"likes": 7, "reposts": 2, "replies": 3}
    assert by_author["ben.bsky.social"].author_followers is None
    assert [m.author for m in result.mentions] == ["ben.bsky.social", "anna.bsky.social"]  # newest first
    assert api.calls_of("app.bsky.actor.getProfiles") == [{"actors": ["did:plc:anna", "did:plc:ben"]}]
    search = api.calls_of("app.bsky.feed.searchPosts")[0]
    assert search["q"] == ["kesselberger"] and search["sort"] == ["latest"] and search["limit"] == ["50"]


async def test_profiles_are_looked_up_in_batches_of_25(api: BlueskyApiDouble) -> None:
    for n in range(30):
        api.post(f"Kesselberger {n}", at=T0 + timedelta(seconds=n), handle=f"user{n}.bsky.social", followers=n)
    source = BlueskySource(config(api))
    try:
        result = await source.poll({})
    finally:
        await source.close()
    assert sorted(m.author_followers for m in result.mentions) == list(range(30))
    batches = [len(call["actors"]) for call in api.calls_of("app.bsky.actor.getProfiles")]
    assert batches == [25, 5]


async def test_second_poll_returns_only_new_posts(api: BlueskyApiDouble) -> None:
    api.post("Kesselberger eins", at=T0)
    source = BlueskySource(config(api))
    try:
        first, cursor = await poll(source, {})
        api.post("Kesselberger zwei", at=T0 + timedelta(minutes=1))
        second, cursor = await poll(source, cursor)
        third, _ = await poll(source, cursor)
    finally:
        await source.close()
    assert (first, second, third) == (["Kesselberger eins"], ["Kesselberger zwei"], [])
    since = api.calls_of("app.bsky.feed.searchPosts")[1]["since"][0]
    assert since == "2026-11-21T18:25:00.000Z"  # newest seen minus the 5 minute overlap


async def test_restart_with_saved_cursor_has_no_duplicates_and_no_gaps(api: BlueskyApiDouble) -> None:
    api.post("Kesselberger vorher", at=T0)
    api.post("Kesselberger auch vorher", at=T0 + timedelta(minutes=2))
    first_source = BlueskySource(config(api))
    try:
        before, cursor = await poll(first_source, {})
    finally:
        await first_source.close()
    # While down: a new post, and one created before the newest seen but indexed only now (sortAt = createdAt).
    api.post("Kesselberger danach", at=T0 + timedelta(minutes=3))
    api.post("Kesselberger spät indiziert", at=T0 + timedelta(minutes=1), indexed_at=T0 + timedelta(minutes=4))
    second_source = BlueskySource(config(api))
    try:
        after, _ = await poll(second_source, cursor)
    finally:
        await second_source.close()
    assert sorted(before) == ["Kesselberger auch vorher", "Kesselberger vorher"]
    assert sorted(after) == ["Kesselberger danach", "Kesselberger spät indiziert"]


async def test_a_poll_walks_every_page_since_the_last(api: BlueskyApiDouble) -> None:
    api.post("Kesselberger 0", at=T0)
    source = BlueskySource(config(api, limit=2))
    try:
        _, cursor = await poll(source, {})
        for n in range(1, 6):
            api.post(f"Kesselberger {n}", at=T0 + timedelta(minutes=n))
        texts, _ = await poll(source, cursor)
    finally:
        await source.close()
    assert texts == [f"Kesselberger {n}" for n in range(5, 0, -1)]
    pages = api.calls_of("app.bsky.feed.searchPosts")[1:]
    assert [p.get("cursor") for p in pages] == [None, ["2"], ["4"]]


async def test_a_burst_beyond_the_page_cap_is_read_on_later_polls(api: BlueskyApiDouble) -> None:
    api.post("Kesselberger 0", at=T0)
    source = BlueskySource(config(api, limit=2, max_pages=1))
    try:
        _, cursor = await poll(source, {})
        for n in range(1, 8):
            api.post(f"Kesselberger {n}", at=T0 + timedelta(minutes=n))
        seen, polls = [], 0
        while polls < 10 and (polls == 0 or cursor["queries"]["kesselberger"]["backlog"] is not None):
            texts, cursor = await poll(source, cursor)
            seen, polls = seen + texts, polls + 1
        assert len(api.calls_of("app.bsky.feed.searchPosts")) <= 1 + 2 * polls  # max_pages fresh + max_pages backlog
    finally:
        await source.close()
    assert sorted(seen) == sorted(f"Kesselberger {n}" for n in range(1, 8))
    assert len(seen) == len(set(seen))
    assert 1 < polls < 10


async def test_rate_limit_says_when_to_retry(api: BlueskyApiDouble) -> None:
    clock = ManualClock(T0.timestamp())
    api.fail("app.bsky.feed.searchPosts", status=429, error="RateLimitExceeded",
             headers={"RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                      "RateLimit-Reset": str(int(T0.timestamp()) + 42)})  # fmt: skip
    api.fail("app.bsky.feed.searchPosts", status=429, headers={"Retry-After": "17"})
    source = BlueskySource(config(api), clock=clock)
    try:
        with pytest.raises(SourceError) as by_reset:
            await source.poll({})
        with pytest.raises(SourceError) as by_retry_after:
            await source.poll({})
    finally:
        await source.close()
    assert by_reset.value.retry_after == 42 and not by_reset.value.permanent
    assert by_retry_after.value.retry_after == 17


async def test_bad_query_is_permanent_and_server_errors_are_not(api: BlueskyApiDouble) -> None:
    api.fail("app.bsky.feed.searchPosts", status=400, error="InvalidRequest")
    api.fail("app.bsky.feed.searchPosts", status=500)
    api.fail("app.bsky.feed.searchPosts", status=403, error="Forbidden")
    source = BlueskySource(config(api))
    try:
        errors = []
        for _ in range(3):
            with pytest.raises(SourceError) as caught:
                await source.poll({})
            errors.append(caught.value)
    finally:
        await source.close()
    assert [e.permanent for e in errors] == [True, False, True]
    assert "InvalidRequest" in str(errors[0]) or "programmed HTTP 400" in str(errors[0])


async def test_unreachable_service_is_a_transient_error() -> None:
    source = BlueskySource(BlueskyConfig(name="bsky", service="http://127.0.0.1:9", queries=["kesselberger"]))
    try:
        with pytest.raises(SourceError) as caught:
            await source.poll({})
    finally:
        await source.close()
    assert not caught.value.permanent and caught.value.retry_after is None


async def test_malformed_posts_are_skipped_logged_and_counted(api: BlueskyApiDouble) -> None:
    api.post("Kesselberger gut", at=T0)
    api.malformed("Kesselberger ohne Datum", at=T0 + timedelta(seconds=1), drop="createdAt")
    api.malformed("Kesselberger ohne Record", at=T0 + timedelta(seconds=2), drop="record")
    source = BlueskySource(config(api))
    try:
        with capture_logs() as logs:
            result = await source.poll({})
        again = await source.poll(result.cursor)
    finally:
        await source.close()
    assert [m.text for m in result.mentions] == ["Kesselberger gut"]
    assert result.skipped == 2
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["source_entry_skipped"] * 2
    assert (again.mentions, again.skipped) == ([], 0)  # skipped once, not on every poll


async def test_posts_the_brand_matcher_rejects_are_left_out(api: BlueskyApiDouble) -> None:
    api.post("Kesselberger Helles", at=T0)
    api.post("Kesselberger Straße gesperrt", at=T0 + timedelta(seconds=1))
    source = BlueskySource(config(api), relevant=lambda text: "straße" not in text.lower())
    try:
        texts, cursor = await poll(source, {})
        again, _ = await poll(source, cursor)
    finally:
        await source.close()
    assert texts == ["Kesselberger Helles"] and again == []


async def test_authenticated_search_renews_an_expired_session(
    api: BlueskyApiDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_BSKY_ID", "warner.bsky.social")
    monkeypatch.setenv("TEST_BSKY_PASSWORD", "abcd-efgh-ijkl-mnop")
    api.credentials = ("warner.bsky.social", "abcd-efgh-ijkl-mnop")
    api.post("Kesselberger", at=T0)
    source = BlueskySource(config(api, identifier_env="TEST_BSKY_ID", app_password_env="TEST_BSKY_PASSWORD"))
    try:
        first, cursor = await poll(source, {})
        api.expire_sessions()
        again, _ = await poll(source, cursor)
    finally:
        await source.close()
    assert first == ["Kesselberger"] and again == []
    assert len(api.calls_of("com.atproto.server.createSession")) == 2
    assert all(r.authorization for r in api.requests if r.method == "app.bsky.feed.searchPosts")


async def test_wrong_app_password_is_permanent(api: BlueskyApiDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_BSKY_ID", "warner.bsky.social")
    monkeypatch.setenv("TEST_BSKY_PASSWORD", "wrong")
    api.credentials = ("warner.bsky.social", "right")
    source = BlueskySource(config(api, identifier_env="TEST_BSKY_ID", app_password_env="TEST_BSKY_PASSWORD"))
    try:
        with pytest.raises(SourceError) as caught:
            await source.poll({})
    finally:
        await source.close()
    assert caught.value.permanent


def test_config_keeps_secrets_out_of_yaml() -> None:
    with pytest.raises(ValidationError, match="secrets are not read from YAML"):
        BlueskyConfig(name="bsky", queries=["kesselberger"], app_password="hunter2")
    with pytest.raises(ValidationError, match="go together"):
        BlueskyConfig(name="bsky", queries=["kesselberger"], identifier_env="BSKY_ID")
    with pytest.raises(ValidationError):
        BlueskyConfig(name="bsky", queries=["kesselberger"], limit=101)
    parsed = BlueskyConfig.model_validate({"name": "bsky", "queries": ["#kesselberger"], "interval": "90s"})
    assert parsed.interval == timedelta(seconds=90) and parsed.service == "https://public.api.bsky.app"
