"""The ``slack`` channel: each page to the team's Slack channel as Block Kit, with an ack button when signed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from warner.notify.announcement import announcement
from warner.notify.base import Page
from warner.notify.slack.blocks import incident_message
from warner.notify.slack.config import SlackConfig
from warner.notify.team_chat import TeamChatChannel


def slack_channel(
    config: SlackConfig,
    webhooks: Mapping[str, str],
    *,
    labels: Mapping[str, str] | None = None,
    console_url: str | None = None,
) -> TeamChatChannel:
    """The channel over ``webhooks`` (team id -> incoming-webhook URL, see ``team_chat.team_webhooks``).

    With ``signing_secret_env`` the messages carry the acknowledge button (``slack/interactions.py``).
    """
    tz, names = ZoneInfo(config.time_zone), dict(labels or {})
    ack_button = config.signing_secret_env is not None

    def render(page: Page) -> dict[str, Any]:
        a = announcement(
            page, label=names.get(page.incident.brand), console_url=console_url, tz=tz, top_posts=config.top_posts
        )
        return incident_message(a, ack_button=ack_button)

    return TeamChatChannel("slack", webhooks, render, timeout=config.timeout.total_seconds())
