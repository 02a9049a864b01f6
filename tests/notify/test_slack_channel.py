"""The Slack channel against a local incoming-webhook double: Block Kit as Slack receives it, and each answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from doubles.chat_webhooks import ChatWebhooks
from notify.team_chat_pages import CONSOLE, HOSTILE, LABELS, team_page

from warner.notify.delivery import Notifier, RetryPolicy
from warner.notify.slack.blocks import ACK_ACTION
from warner.notify.slack.channel import slack_channel
from warner.notify.slack.config import SlackConfig
from warner.notify.team_chat import TeamChatChannel


@pytest.fixture
async def hooks() -> AsyncIterator[ChatWebhooks]:
    async with ChatWebhooks() as double:
        yield double


def channel(hooks: ChatWebhooks, *, signed: bool = False, console: str | None = CONSOLE) -> TeamChatChannel:
    config = SlackConfig.model_validate({"timeout": "2s"} | ({"signing_secret_env": "SLACK_SIGNING"} if signed else {}))
    return slack_channel(config, {"ops": hooks.url("slack")}, labels=LABELS, console_url=console)


async def sent(hooks: ChatWebhooks, page: Any, **options: Any) -> dict[str, Any]:
    slack = channel(hooks, **options)
    try:
        delivery = await slack.send(page)
    finally:
        await slack.close()
    assert delivery.ok and delivery.channel == "slack" and delivery.target == "ops"
    (body,) = hooks.bodies("slack")
    return dict(body)


def of_type(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in body["blocks"] if b["type"] == kind]


async def test_a_new_incident_is_a_header_a_section_with_figures_and_a_console_button(hooks: ChatWebhooks) -> None:
    body = await sent(hooks, team_page())
    assert [b["type"] for b in body["blocks"]][:2] == ["header", "section"]
    (header,) = of_type(body, "header")
    assert header["text"] == {"type": "plain_text", "text": "🔴 KRITISCH · Brauerei Kesselberg", "emoji": True}
    figures = body["blocks"][1]
    assert figures["text"] == {"type": "mrkdwn", "text": "Neuer Vorfall kesselberg:12"}
    assert [f["text"] for f in figures["fields"]] == [
        "*Erwähnungen*\n1.382 (sonst 4,2)", "*Negativ*\n70 %", "*Seit*\n21.11., 19:50",
    ]  # fmt: skip
    (actions,) = of_type(body, "actions")
    assert actions["elements"] == [{
        "type": "button", "text": {"type": "plain_text", "text": "In der Konsole öffnen", "emoji": True},
        "url": f"{CONSOLE}/incidents/kesselberg:12", "action_id": "warner_console",
    }]  # fmt: skip
    assert body["text"].startswith("🔴 KRITISCH · Brauerei Kesselberg: Neuer Vorfall kesselberg:12")


async def test_posts_are_plain_text_and_cannot_ping_the_channel(hooks: ChatWebhooks) -> None:
    body = await sent(hooks, team_page())
    posts = [b["text"] for b in of_type(body, "section") if b["text"]["type"] == "plain_text"]
    assert [p["text"] for p in posts] == [HOSTILE, "Das Bier schmeckt seit Wochen nach Pappe", "Nie wieder Kesselberg"]
    small_print = [e["text"] for b in of_type(body, "context") for e in b["elements"]]
    assert "@wutbuerger · Reichweite 48.000 · <https://social.example/@w/1|Beitrag öffnen>" in small_print
    assert "Lea · Reichweite 12.500" in small_print  # its javascript: URL is no link
    mrkdwn = [t for b in body["blocks"] for t in _mrkdwn_texts(b)]
    assert not any("<!channel>" in t for t in mrkdwn)


async def test_the_ack_button_is_there_only_with_signed_interactions_and_only_while_open(hooks: ChatWebhooks) -> None:
    body = await sent(hooks, team_page("reminder", language="en"), signed=True, console=None)
    (actions,) = of_type(body, "actions")
    (button,) = actions["elements"]
    assert button["action_id"] == ACK_ACTION and button["value"] == "kesselberg:12"
    assert button["text"]["text"] == "Acknowledge" and button["style"] == "primary"
    assert body["blocks"][1]["text"]["text"] == "Reminder: incident kesselberg:12 is not acknowledged yet"
    hooks.posted.clear()
    resolved = await sent(hooks, team_page("resolved", state_line="Erledigt von Ben, 22:10"), signed=True)
    (actions,) = of_type(resolved, "actions")
    assert [e["action_id"] for e in actions["elements"]] == ["warner_console"]
    assert resolved["blocks"][1]["text"]["text"] == "*Vorfall kesselberg:12: erledigt*"
    assert [f["text"] for f in resolved["blocks"][1]["fields"]] == ["*Status*\nErledigt von Ben, 22:10"]
    assert not any(b["text"]["type"] == "plain_text" for b in of_type(resolved, "section"))


async def test_names_in_mrkdwn_are_escaped_so_they_cannot_mention_anybody(hooks: ChatWebhooks) -> None:
    config = SlackConfig.model_validate({"timeout": "2s"})
    slack = slack_channel(config, {"ops": hooks.url("slack")}, labels={"kesselberg": "Bier & <!here>"})
    try:
        assert (await slack.send(team_page(state_line="Übernommen von <@U123>, 21:04"))).ok
    finally:
        await slack.close()
    (body,) = hooks.bodies("slack")
    assert body["text"] == (
        "🔴 KRITISCH · Bier &amp; &lt;!here&gt;: Neuer Vorfall kesselberg:12 — Übernommen von &lt;@U123&gt;, 21:04"
    )
    assert "*Status*\nÜbernommen von &lt;@U123&gt;, 21:04" in [f["text"] for f in body["blocks"][1]["fields"]]
    assert body["blocks"][0]["text"]["text"] == "🔴 KRITISCH · Bier & <!here>"  # plain_text: shown, never parsed


@pytest.mark.parametrize(
    ("status", "reason"),
    [(400, "invalid_payload"), (403, "action_prohibited"), (404, "channel_not_found"), (410, "channel_is_archived")],
)
async def test_slacks_refusals_are_permanent_and_name_the_reason(hooks: ChatWebhooks, status: int, reason: str) -> None:
    hooks.fail_next(1, status, body=reason)
    slack = channel(hooks)
    try:
        delivery = await slack.send(team_page())
    finally:
        await slack.close()
    assert not delivery.ok and delivery.permanent and delivery.error == f"HTTP {status}: {reason}"


async def test_rate_limits_and_server_errors_are_transient(hooks: ChatWebhooks) -> None:
    hooks.fail_next(1, 429, body="rate_limited", retry_after=3)
    hooks.fail_next(1, 500, body="rollup_error")
    slack = channel(hooks)
    try:
        limited, broken = await slack.send(team_page()), await slack.send(team_page())
    finally:
        await slack.close()
    assert not limited.ok and not limited.permanent and limited.retry_after == 3.0
    assert not broken.ok and not broken.permanent and broken.retry_after is None
    assert broken.error == "HTTP 500: rollup_error"


async def test_an_archived_channel_fails_over_at_once_to_the_next_channel(hooks: ChatWebhooks) -> None:
    from warner.notify.teams.channel import teams_channel
    from warner.notify.teams.config import TeamsConfig

    hooks.fail_next(1, 410, body="channel_is_archived")
    slack = channel(hooks)
    teams = teams_channel(TeamsConfig(), {"ops": hooks.url("teams")})

    async def record(page: Any, delivery: Any) -> None:
        return None

    notifier = Notifier({"slack": slack, "teams": teams}, RetryPolicy(max_attempts=3), record)
    try:
        attempts = await notifier.deliver(team_page(), ["slack", "teams"])
    finally:
        await notifier.close()
    assert [(d.channel, d.ok, d.error) for d in attempts] == [
        ("slack", False, "HTTP 410: channel_is_archived"), ("teams", True, None),
    ]  # fmt: skip


def _mrkdwn_texts(block: dict[str, Any]) -> list[str]:
    texts = [block["text"]["text"]] if block.get("text", {}).get("type") == "mrkdwn" else []
    texts += [f["text"] for f in block.get("fields", [])]
    texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return texts
