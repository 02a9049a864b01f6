"""The Mastodon source against a local instance double: mapping, cursor, paging, errors, auth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from doubles.mastodon_api import MastodonApiDouble
from structlog.testing import capture_logs

from warner.core import ManualClock
from warner.ingest.sources.base import SourceError
from warner.ingest.sources.mastodon import MastodonConfig, MastodonSource, html_to_text

TAG_TIMELINE = "/api/v1/timelines/tag/"


@pytest.fixture
async def api() -> AsyncIterator[MastodonApiDouble]:
    async with MastodonApiDouble() as double:
        yield double


def config(api: MastodonApiDouble, **fields: Any) -> MastodonConfig:
    return MastodonConfig.model_validate({"name": "masto", "instance": api.base_url, "hashtags": ["warner"], **fields})


async def poll_once(source: MastodonSource, cursor: dict[str, Any]) -> Any:
    try:
        return await source.poll(cursor)
    finally:
        await source.close()


async def test_first_poll_maps_statuses_to_mentions(api: MastodonApiDouble) -> None:
    status = api.post(
        "warner",
        '<p>Die <a href="https://social.example/tags/warner" class="mention hashtag" rel="tag">#<span>warner</span></a>'
        " App stürzt ab &amp; lädt nicht<br />Seit heute früh</p><p>Bitte fixen!</p>",
        acct="carla@other.example",
        followers=4200,
        boosts=17,
        favourites=3,
        language="de",
    )

    poll = await poll_once(MastodonSource(config(api, brand="warner")), {})

    [mention] = poll.mentions
    assert mention.id == f"127.0.0.1:{api.port}:{status['id']}"
    assert mention.source == "masto"
    assert mention.brand == "warner"
    assert mention.text == "Die #warner App stürzt ab & lädt nicht\nSeit heute früh\n\nBitte fixen!"
    assert mention.created_at == datetime.fromisoformat(status["created_at"])
    assert mention.author == "carla@other.example"
    assert mention.author_followers == 4200
    assert mention.extra is not None and (mention.extra["boosts"], mention.extra["favourites"]) == (17, 3)
    assert mention.url == status["url"]
    assert mention.lang == "de"
    assert poll.cursor == {"tags": {"warner": status["id"]}, "keywords": {}}
    assert poll.skipped == 0


async def test_second_poll_returns_only_new_statuses(api: MastodonApiDouble) -> None:
    api.post("warner", "<p>alt #warner</p>")
    source = MastodonSource(config(api))
    try:
        first = await source.poll({})
        new = api.post("warner", "<p>neu #warner</p>")
        second = await source.poll(first.cursor)
        third = await source.poll(second.cursor)
    finally:
        await source.close()

    assert [m.text for m in second.mentions] == ["neu #warner"]
    assert api.queries(TAG_TIMELINE)[1]["min_id"] == first.cursor["tags"]["warner"]
    assert second.cursor["tags"]["warner"] == new["id"]
    assert third.mentions == [] and third.cursor == second.cursor


async def test_restart_from_the_cursor_has_no_duplicates_and_no_gaps(api: MastodonApiDouble) -> None:
    for n in range(3):
        api.post("warner", f"<p>vorher {n}</p>")
    first = await poll_once(MastodonSource(config(api, limit=5)), {})
    # while warner is down a burst larger than a page arrives
    for n in range(12):
        api.post("warner", f"<p>dazwischen {n}</p>")

    restarted = await poll_once(MastodonSource(config(api, limit=5)), first.cursor)

    texts = sorted(m.text for m in first.mentions + restarted.mentions)
    assert texts == sorted([f"vorher {n}" for n in range(3)] + [f"dazwischen {n}" for n in range(12)])
    assert len({m.id for m in first.mentions + restarted.mentions}) == 15
    assert restarted.next_poll_s is None


async def test_a_burst_beyond_max_pages_is_read_over_several_polls(api: MastodonApiDouble) -> None:
    first = api.post("warner", "<p>start</p>")
    for n in range(9):
        api.post("warner", f"<p>burst {n}</p>")
    source = MastodonSource(config(api, limit=2, max_pages=2))
    cursor = {"tags": {"warner": first["id"]}}
    seen: list[str] = []
    try:
        for _ in range(4):
            poll = await source.poll(cursor)
            seen += [m.text for m in poll.mentions]
            cursor = poll.cursor
            if poll.next_poll_s is None:
                break
    finally:
        await source.close()

    assert sorted(seen) == sorted(f"burst {n}" for n in range(9))
    assert len(seen) == 9


async def test_rate_limit_raises_with_retry_after(api: MastodonApiDouble) -> None:
    api.fail(status=429, headers={"Retry-After": "42"})
    with pytest.raises(SourceError) as caught:
        await poll_once(MastodonSource(config(api)), {})
    assert caught.value.retry_after == 42 and not caught.value.permanent


async def test_rate_limit_reset_header_gives_retry_after(api: MastodonApiDouble) -> None:
    now = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
    api.fail(status=429, headers={"X-RateLimit-Reset": "2026-11-21T18:04:30.000Z", "X-RateLimit-Remaining": "0"})
    with pytest.raises(SourceError) as caught:
        await poll_once(MastodonSource(config(api), clock=ManualClock(now.timestamp())), {})
    assert caught.value.retry_after == 270


async def test_unauthorised_is_permanent_and_server_error_transient(api: MastodonApiDouble) -> None:
    api.fail(status=401)
    with pytest.raises(SourceError) as unauthorised:
        await poll_once(MastodonSource(config(api)), {})
    api.fail(status=500)
    with pytest.raises(SourceError) as broken:
        await poll_once(MastodonSource(config(api)), {})

    assert unauthorised.value.permanent
    assert not broken.value.permanent and broken.value.retry_after is None


async def test_unreachable_instance_is_transient() -> None:
    source = MastodonSource(MastodonConfig(name="masto", instance="http://127.0.0.1:9", hashtags=["warner"]))
    with pytest.raises(SourceError) as caught:
        await poll_once(source, {})
    assert not caught.value.permanent


async def test_malformed_status_is_skipped_logged_and_counted(api: MastodonApiDouble) -> None:
    api.post("warner", "<p>gut</p>")
    broken = api.post_malformed("warner", drop="created_at")
    api.post_malformed("warner", drop="content")

    with capture_logs() as logs:
        poll = await poll_once(MastodonSource(config(api)), {})

    assert [m.text for m in poll.mentions] == ["gut"]
    assert poll.skipped == 2
    skipped = [e for e in logs if e["event"] == "source_entry_skipped"]
    assert len(skipped) == 2 and skipped[0]["log_level"] == "warning"
    assert {e["entry_id"] for e in skipped} >= {broken["id"]}
    assert poll.cursor["tags"]["warner"] == api.statuses[-1]["id"]  # the cursor moves past them


async def test_token_is_sent_as_bearer(api: MastodonApiDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    api.token = "s3cret"
    monkeypatch.setenv("MASTO_TOKEN", "s3cret")
    api.post("warner", "<p>hallo</p>")

    poll = await poll_once(MastodonSource(config(api, token_env="MASTO_TOKEN")), {})

    assert len(poll.mentions) == 1
    assert {r.authorization for r in api.requests} == {"Bearer s3cret"}


async def test_missing_token_variable_is_a_clear_permanent_error(
    api: MastodonApiDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MASTO_TOKEN", raising=False)
    cfg = config(api, token_env="MASTO_TOKEN")

    with pytest.raises(SourceError, match="MASTO_TOKEN is not set") as caught:
        await poll_once(MastodonSource(cfg), {})

    assert caught.value.permanent
    assert cfg.missing_secrets() == [
        "environment variable MASTO_TOKEN is not set (token_env of mastodon source 'masto')"
    ]
    assert api.requests == []


async def test_no_token_sends_no_authorization(api: MastodonApiDouble) -> None:
    await poll_once(MastodonSource(config(api)), {})
    assert [r.authorization for r in api.requests] == [None]


async def test_off_topic_posts_are_dropped_by_relevant(api: MastodonApiDouble) -> None:
    api.post("warner", "<p>Warner Bank: Überweisung hängt</p>")
    off_topic = api.post("warner", "<p>Warner Bros. neuer Film</p>")

    poll = await poll_once(MastodonSource(config(api), relevant=lambda text: "bank" in text.lower()), {})

    assert [m.text for m in poll.mentions] == ["Warner Bank: Überweisung hängt"]
    assert poll.skipped == 0
    assert poll.cursor["tags"]["warner"] == off_topic["id"]


async def test_boosts_fold_into_the_original(api: MastodonApiDouble) -> None:
    original = api.post("warner", "<p>Warner Bank down?</p>", followers=900)
    api.boost(original, acct="ben@other.example")
    api.boost(original, acct="dora@third.example")

    poll = await poll_once(MastodonSource(config(api)), {})

    [mention] = poll.mentions
    assert mention.id.endswith(f":{original['id']}")
    assert mention.author == "anna@social.example" and mention.author_followers == 900
    assert mention.extra is not None and mention.extra["boosts"] == 2


async def test_a_post_in_two_followed_tags_is_one_mention(api: MastodonApiDouble) -> None:
    status = api.post("warner", "<p>#warner #warnerbank</p>")
    status["tags"].append({"name": "warnerbank", "url": "https://social.example/tags/warnerbank"})
    api.post("warnerbank", "<p>nur #warnerbank</p>")

    poll = await poll_once(MastodonSource(config(api, hashtags=["warner", "#WarnerBank"])), {})

    assert sorted(m.text for m in poll.mentions) == ["#warner #warnerbank", "nur #warnerbank"]
    assert set(poll.cursor["tags"]) == {"warner", "WarnerBank"}


async def test_keywords_are_searched_with_the_token(api: MastodonApiDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    api.token = "s3cret"
    monkeypatch.setenv("MASTO_TOKEN", "s3cret")
    api.post(None, "<p>Warner Bank App geht nicht</p>")
    source = MastodonSource(config(api, hashtags=[], keywords=["warner bank"], token_env="MASTO_TOKEN"))
    try:
        first = await source.poll({})
        api.post(None, "<p>schon wieder warner bank</p>")
        api.post(None, "<p>etwas anderes</p>")
        second = await source.poll(first.cursor)
    finally:
        await source.close()

    assert [m.text for m in first.mentions] == ["Warner Bank App geht nicht"]
    assert [m.text for m in second.mentions] == ["schon wieder warner bank"]
    assert api.queries("/api/v2/search")[1]["min_id"] == first.cursor["keywords"]["warner bank"]


def test_html_to_text_keeps_link_text_and_line_breaks() -> None:
    html = (
        '<p>Siehe <a href="https://example.com/a/very/long/path"><span class="invisible">https://</span>'
        '<span class="ellipsis">example.com/a/very</span><span class="invisible">/long/path</span></a></p>'
        "<p>a&lt;b &quot;c&quot;<br>d</p>"
    )
    assert html_to_text(html) == 'Siehe https://example.com/a/very/long/path\n\na<b "c"\nd'


def test_yaml_example_parses_and_secrets_stay_out() -> None:
    yaml_text = """
name: mastodon-social
instance: https://mastodon.social/
hashtags: ["#warnerbank", warner]
keywords: [warner bank]
token_env: MASTODON_TOKEN
interval: 2m
"""
    cfg = MastodonConfig.model_validate(yaml.safe_load(yaml_text))
    assert (cfg.instance, cfg.hashtags, cfg.interval.total_seconds(), cfg.limit) == (
        "https://mastodon.social",
        ["warnerbank", "warner"],
        120,
        40,
    )
    with pytest.raises(ValueError, match="token_env"):
        MastodonConfig.model_validate({"name": "m", "instance": "https://x.example", "hashtags": ["a"], "token": "t"})
    with pytest.raises(ValueError, match="keywords need token_env"):
        MastodonConfig.model_validate({"name": "m", "instance": "https://x.example", "keywords": ["a"]})
    with pytest.raises(ValueError, match="https"):
        MastodonConfig.model_validate({"name": "m", "instance": "http://x.example", "hashtags": ["a"]})
