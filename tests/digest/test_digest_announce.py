"""The weekly digest in the team chats: an Adaptive Card in Teams, Block Kit in Slack, failures listed not fatal.

Real parts: the digest figures of a sample week, the real webhook client against the local chat
webhook double; end to end, the real ``send_weekly_digest`` from a private redis-server with
python-telegram-bot against the Bot API double.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from digest.recipients import ANNA, BEN
from digest.week_sample import realistic_week
from doubles.chat_webhooks import ChatWebhooks
from structlog.testing import capture_logs
from support import CONFIG_YAML

from warner.config.loading import ConfigError, parse_config
from warner.digest.announce import announce_digest
from warner.digest.weekly import send_weekly_digest

TEAMS_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {anna}}}
    - {{id: ben, name: Ben, telegram_id: {ben}, language: en}}
  teams:
    - {{id: ops, members: [anna], teams_webhook_env: OPS_TEAMS_URL, slack_webhook_env: OPS_SLACK_URL}}
    - {{id: pr, members: [ben], slack_webhook_env: PR_SLACK_URL, language: {pr_language}}}
    - {{id: support, members: [ben], telegram_chat_id: -100123}}
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
  teams: {{}}
  slack: {{}}
web: {{public_url: "https://warner.example.de"}}
digest:
  recipients: [anna, ben]
  announce_to: {announce_to}
"""


@pytest.fixture
async def hooks(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ChatWebhooks]:
    async with ChatWebhooks() as double:
        monkeypatch.setenv("OPS_TEAMS_URL", double.url("teams", "ops"))
        monkeypatch.setenv("OPS_SLACK_URL", double.url("slack", "ops"))
        monkeypatch.setenv("PR_SLACK_URL", double.url("slack", "pr"))
        yield double


def chat_config(
    tokens: Any, telegram_url: str = "http://127.0.0.1:9", announce_to: str = "[ops, pr]", pr_language: str = "de"
) -> Any:
    yaml = TEAMS_YAML.format(
        anna=ANNA, ben=BEN, telegram=telegram_url, announce_to=announce_to, pr_language=pr_language
    )
    return parse_config(CONFIG_YAML + yaml, "d.yaml")


async def test_each_team_chat_gets_the_weeks_figures_in_german_with_a_link_to_the_report(
    hooks: ChatWebhooks, tokens: Any
) -> None:
    deliveries = await announce_digest(chat_config(tokens), realistic_week())
    assert sorted((d.channel, d.target, d.ok) for d in deliveries) == [
        ("slack", "ops", True), ("slack", "pr", True), ("teams", "ops", True),
    ]  # fmt: skip
    (teams,) = hooks.bodies("teams")
    card = teams["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == "📊 Wochenbericht KW 47/2026"
    facts = dict((f["title"], f["value"]) for f in card["body"][2]["facts"])
    assert facts["Vorfälle"] == "3 Vorfälle: 🔴 1 kritisch · 🟠 1 Warnung · 🔵 1 Info"
    assert facts["MTTA"] == "Median 4 min, 90 % innerhalb 9 min (3 Vorfälle)"
    assert facts["MTTR"] == "2 h 3 min (1 Vorfall)"
    assert facts["Fehlalarmquote"] == "50 % (bewertet: 2, davon Fehlalarm: 1)"
    brands = [f["title"] for f in card["body"][4]["facts"]]
    assert brands == ["Brauerei Kesselberg", "Gasthof Alpenblick"]
    assert card["actions"] == [{
        "type": "Action.OpenUrl", "title": "Bericht in der Konsole öffnen",
        "url": "https://warner.example.de/digests/2026-W47",
    }]  # fmt: skip
    slack_ops, slack_pr = (p.json for p in hooks.posted if p.platform == "slack")
    assert slack_ops == slack_pr
    assert slack_ops["blocks"][0]["text"]["text"] == "📊 Wochenbericht KW 47/2026"
    fields = [f["text"] for f in slack_ops["blocks"][1]["fields"]]
    assert "*MTTA*\nMedian 4 min, 90 % innerhalb 9 min (3 Vorfälle)" in fields
    assert "*Brauerei Kesselberg*: 4.559 Erwähnungen" in slack_ops["blocks"][2]["text"]["text"]
    assert slack_ops["blocks"][-1]["elements"][0]["url"] == "https://warner.example.de/digests/2026-W47"


async def test_a_team_that_reads_english_gets_the_digest_in_english(hooks: ChatWebhooks, tokens: Any) -> None:
    deliveries = await announce_digest(chat_config(tokens, pr_language="en"), realistic_week())
    assert all(d.ok for d in deliveries)
    by_team = {p.hook: p.json for p in hooks.posted if p.platform == "slack"}
    assert by_team["pr"]["blocks"][0]["text"]["text"] == "📊 Weekly digest 2026-W47"
    assert by_team["ops"]["blocks"][0]["text"]["text"] == "📊 Wochenbericht KW 47/2026"


async def test_a_refused_webhook_and_a_team_without_chat_are_logged_and_listed(
    hooks: ChatWebhooks, tokens: Any
) -> None:
    hooks.fail_next(1, 404, body="no_service")
    with capture_logs() as logs:
        deliveries = await announce_digest(chat_config(tokens, announce_to="[pr, support]"), realistic_week())
    failed = {(d.channel, d.target): d.error for d in deliveries if not d.ok}
    assert failed == {
        ("slack", "pr"): "HTTP 404: no_service",
        ("digest", "support"): "team support has no Teams or Slack webhook "
        "(oncall.teams[].teams_webhook_env/slack_webhook_env)",
    }
    warned = [(e["channel"], e["team"]) for e in logs if e["event"] == "digest_announcement_failed"]
    assert sorted(warned) == [("digest", "support"), ("slack", "pr")]


async def test_a_missing_webhook_variable_is_a_listed_failure_naming_it(
    hooks: ChatWebhooks, tokens: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPS_SLACK_URL")
    deliveries = await announce_digest(chat_config(tokens, announce_to="[ops]"), realistic_week())
    assert [(d.channel, d.ok) for d in deliveries] == [("slack", False), ("teams", True)]
    assert "OPS_SLACK_URL" in (deliveries[0].error or "") and "oncall.teams[ops].slack_webhook_env" in (
        deliveries[0].error or ""
    )


def test_announce_to_names_only_configured_teams(tokens: Any) -> None:
    with pytest.raises(ConfigError, match=r"digest\.announce_to\[1\].*unknown team 'marketing'"):
        chat_config(tokens, announce_to="[ops, marketing]")


async def test_the_telegram_digest_goes_out_while_a_team_chat_refuses_it(
    redis: Any, tokens: Any, telegram: Any, hooks: ChatWebhooks, tmp_path: Any
) -> None:
    config = chat_config(tokens, telegram.base_url, announce_to="[ops]")
    hooks.fail_next(1, 410, body="channel_is_archived")  # the first post, Slack's or Teams'
    sent = await send_weekly_digest(redis, config.model_copy(update={"digest": config.digest.model_copy(
        update={"out_dir": tmp_path})}), "2026-W47")  # fmt: skip
    assert [d.ok for d in sent.deliveries] == [True, True]
    assert [int(p["chat_id"]) for p in telegram.calls_of("sendPhoto")] == [ANNA, BEN]
    assert sorted(d.ok for d in sent.announcements) == [False, True]
    (refused,) = [d for d in sent.announcements if not d.ok]
    assert refused.error == "HTTP 410: channel_is_archived" and refused.permanent
    assert len(hooks.posted) == 2
