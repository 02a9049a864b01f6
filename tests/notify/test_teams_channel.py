"""The Teams channel against a local Workflows webhook double: the card as Teams receives it, and each answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from doubles.chat_webhooks import ChatWebhooks
from notify.team_chat_pages import CONSOLE, HOSTILE, LABELS, team_page

from warner.notify.delivery import Notifier, RetryPolicy
from warner.notify.secrets import MissingSecretError
from warner.notify.team_chat import TeamChatChannel, team_webhooks
from warner.notify.teams.card import CARD_CONTENT_TYPE
from warner.notify.teams.channel import teams_channel
from warner.notify.teams.config import TeamsConfig


@pytest.fixture
async def hooks() -> AsyncIterator[ChatWebhooks]:
    async with ChatWebhooks() as double:
        yield double


def channel(hooks: ChatWebhooks, *, timeout: str = "2s", console: str | None = CONSOLE) -> TeamChatChannel:
    config = TeamsConfig.model_validate({"timeout": timeout})
    return teams_channel(config, {"ops": hooks.url("teams")}, labels=LABELS, console_url=console)


def card_of(body: Any) -> dict[str, Any]:
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    return dict(card)


def texts(card: dict[str, Any]) -> list[str]:
    out = []
    for element in card["body"]:
        if element["type"] == "TextBlock":
            out.append(element["text"])
        elif element["type"] == "RichTextBlock":
            out += [run["text"] for run in element["inlines"]]
    return out


async def test_a_new_incident_is_a_german_adaptive_card_with_figures_posts_and_a_console_link(
    hooks: ChatWebhooks,
) -> None:
    teams = channel(hooks)
    try:
        delivery = await teams.send(team_page())
    finally:
        await teams.close()
    assert delivery.ok and delivery.channel == "teams" and delivery.target == "ops"
    assert delivery.message_ref == "ops/kesselberg:12"  # lets acknowledged/resolved reach the chat later
    (posted,) = hooks.posted
    assert posted.content_type == "application/json"
    card = card_of(posted.json)
    shown = texts(card)
    assert shown[0] == "🔴 KRITISCH · Brauerei Kesselberg" and shown[1] == "Neuer Vorfall kesselberg:12"
    (facts,) = [e["facts"] for e in card["body"] if e["type"] == "FactSet"]
    assert facts == [
        {"title": "Erwähnungen", "value": "1.382 (sonst 4,2)"},
        {"title": "Negativ", "value": "70 %"},
        {"title": "Seit", "value": "21.11., 19:50"},
    ]
    assert "Beiträge mit der größten Reichweite" in shown and "Vierter Beitrag" not in shown  # top 3 only
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "In der Konsole öffnen", "url": f"{CONSOLE}/incidents/kesselberg:12"}
    ]


async def test_post_texts_are_text_runs_so_their_markdown_is_not_rendered(hooks: ChatWebhooks) -> None:
    teams = channel(hooks)
    try:
        await teams.send(team_page())
    finally:
        await teams.close()
    card = card_of(hooks.posted[0].json)
    (hostile,) = [e for e in card["body"] if e["type"] == "RichTextBlock" and e["inlines"][0]["text"] == HOSTILE]
    assert hostile["inlines"][0]["type"] == "TextRun"
    assert all(HOSTILE not in e.get("text", "") for e in card["body"] if e["type"] == "TextBlock")
    links = [run["selectAction"]["url"] for e in card["body"] if e["type"] == "RichTextBlock"
             for run in e["inlines"] if "selectAction" in run]  # fmt: skip
    assert links == ["https://social.example/@w/1"]  # the javascript: URL got no link


async def test_english_readers_get_english_and_no_console_link_without_a_public_url(hooks: ChatWebhooks) -> None:
    teams = channel(hooks, console=None)
    try:
        await teams.send(team_page("escalation", language="en"))
    finally:
        await teams.close()
    card = card_of(hooks.posted[0].json)
    assert texts(card)[:2] == ["🔴 CRITICAL · Brauerei Kesselberg", "Escalation (level 1): incident kesselberg:12"]
    assert "actions" not in card


async def test_an_acknowledgement_is_a_short_card_with_the_state_line(hooks: ChatWebhooks) -> None:
    teams = channel(hooks)
    try:
        delivery = await teams.send(team_page("acknowledged", state_line="Übernommen von Anna, 21:04"))
    finally:
        await teams.close()
    assert delivery.ok
    card = card_of(hooks.posted[0].json)
    (facts,) = [e["facts"] for e in card["body"] if e["type"] == "FactSet"]
    assert facts == [{"title": "Status", "value": "Übernommen von Anna, 21:04"}]
    assert texts(card)[1] == "Vorfall kesselberg:12: übernommen" and not any(
        e["type"] == "RichTextBlock" for e in card["body"]
    )


async def test_an_update_is_not_posted_because_a_webhook_cannot_edit(hooks: ChatWebhooks) -> None:
    teams = channel(hooks)
    try:
        delivery = await teams.send(team_page("update"))
    finally:
        await teams.close()
    assert delivery.ok and hooks.posted == []


@pytest.mark.parametrize(
    ("status", "body", "permanent"),
    [(400, "Bad Request", True), (401, "", True), (403, "Forbidden", True), (404, "WorkflowNotFound", True),
     (500, "boom", False), (502, "", False), (503, "busy", False)],
)  # fmt: skip
async def test_each_answer_is_a_permanent_or_transient_failure(
    hooks: ChatWebhooks, status: int, body: str, permanent: bool
) -> None:
    hooks.fail_next(1, status, body=body)
    teams = channel(hooks)
    try:
        delivery = await teams.send(team_page())
    finally:
        await teams.close()
    assert not delivery.ok and delivery.permanent is permanent and delivery.retry_after is None
    assert delivery.error == (f"HTTP {status}: {body}" if body else f"HTTP {status}")


async def test_a_rate_limit_carries_the_wait_teams_asked_for(hooks: ChatWebhooks) -> None:
    hooks.fail_next(1, 429, body="Too many requests", retry_after=7)
    teams = channel(hooks)
    try:
        delivery = await teams.send(team_page())
    finally:
        await teams.close()
    assert not delivery.ok and not delivery.permanent and delivery.retry_after == 7.0


async def test_a_slow_webhook_is_a_transient_timeout_and_the_error_never_shows_the_url(hooks: ChatWebhooks) -> None:
    hooks.slow_next(1, 1.0)
    teams = channel(hooks, timeout="200ms")
    try:
        delivery = await teams.send(team_page())
    finally:
        await teams.close()
    assert not delivery.ok and not delivery.permanent and delivery.error == "timeout"
    assert 0.15 < delivery.latency_s < 0.9


async def test_an_unreachable_webhook_is_transient_and_its_secret_path_is_not_in_the_error() -> None:
    async with ChatWebhooks() as gone:
        url = gone.url("teams", "s3cr3t-path")
    teams = teams_channel(TeamsConfig(), {"ops": url})
    try:
        delivery = await teams.send(team_page())
    finally:
        await teams.close()
    assert not delivery.ok and not delivery.permanent and delivery.error
    assert "s3cr3t-path" not in delivery.error


async def test_only_teams_with_a_webhook_can_be_reached(hooks: ChatWebhooks) -> None:
    teams = channel(hooks)
    try:
        assert teams.can_reach(team_page().recipient)
        assert not teams.can_reach(team_page(team="sales").recipient)
        assert not teams.can_reach(team_page(team=None).recipient)
        delivery = await teams.send(team_page(team="sales"))
    finally:
        await teams.close()
    assert not delivery.ok and delivery.permanent and "teams_webhook_env" in (delivery.error or "")
    assert hooks.posted == []


async def test_a_failing_teams_webhook_fails_over_to_slack_through_the_notifier(hooks: ChatWebhooks) -> None:
    from warner.notify.slack.channel import slack_channel
    from warner.notify.slack.config import SlackConfig

    hooks.fail_next(2, 503, body="Service Unavailable")
    teams = channel(hooks)
    slack = slack_channel(SlackConfig(), {"ops": hooks.url("slack")}, labels=LABELS)
    recorded: list[tuple[str, bool]] = []

    async def record(page: Any, delivery: Any) -> None:
        recorded.append((delivery.channel, delivery.ok))

    async def no_wait(_: float) -> None:
        return None

    notifier = Notifier({"teams": teams, "slack": slack}, RetryPolicy(max_attempts=2), record, sleep=no_wait)
    try:
        attempts = await notifier.deliver(team_page(), ["teams", "slack"])
    finally:
        await notifier.close()
    assert [(d.channel, d.ok) for d in attempts] == [("teams", False), ("teams", False), ("slack", True)]
    assert recorded == [("teams", False), ("teams", False), ("slack", True)]
    assert [p.platform for p in hooks.posted] == ["teams", "teams", "slack"]


def test_a_missing_webhook_variable_names_the_variable_and_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPS_TEAMS_WEBHOOK", raising=False)
    with pytest.raises(MissingSecretError, match=r"OPS_TEAMS_WEBHOOK .*oncall\.teams\[ops\]\.teams_webhook_env"):
        team_webhooks([("ops", "OPS_TEAMS_WEBHOOK"), ("sales", None)], "teams_webhook_env")


CHAT_CONFIG = """
brands: [{name: kesselberg, display_name: Brauerei Kesselberg}]
oncall:
  people: [{id: anna, name: Anna}]
  teams:
    - {id: ops, members: [anna], teams_webhook_env: OPS_TEAMS_URL, slack_webhook_env: OPS_SLACK_URL}
    - {id: sales, members: [anna], slack_webhook_env: SALES_SLACK_URL}
notify:
  teams: {timeout: 5s}
  slack: {top_posts: 1}
web: {public_url: "https://warner.example.de"}
"""


async def test_the_notifier_builds_both_chat_channels_over_the_teams_webhooks(
    hooks: ChatWebhooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warner.config.loading import parse_config
    from warner.notify.factory import build_notifier
    from warner.security import config_secrets

    urls = {"OPS_TEAMS_URL": hooks.url("teams"), "OPS_SLACK_URL": hooks.url("slack"), "SALES_SLACK_URL": "x"}
    for name, value in urls.items():
        monkeypatch.setenv(name, value)
    config = parse_config(CHAT_CONFIG)
    assert config.notify.channels == ["teams", "slack"]
    assert set(urls.values()) <= set(config_secrets(config))  # scrubbed from every log line
    notifier = build_notifier(config)
    try:
        assert notifier.channels["slack"].can_reach(team_page(team="sales").recipient)
        assert not notifier.channels["teams"].can_reach(team_page(team="sales").recipient)
        attempts = await notifier.deliver_all(team_page(), ["teams", "slack"])
    finally:
        await notifier.close()
    assert sorted(d.channel for d in attempts if d.ok) == ["slack", "teams"]
    (card,) = hooks.bodies("teams")
    assert card_of(card)["actions"][0]["url"] == "https://warner.example.de/incidents/kesselberg:12"
    monkeypatch.delenv("SALES_SLACK_URL")
    with pytest.raises(MissingSecretError, match=r"SALES_SLACK_URL .*oncall\.teams\[sales\]\.slack_webhook_env"):
        build_notifier(config)
