"""The ``teams`` channel: each page to the team's Microsoft Teams channel as an Adaptive Card."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from warner.notify.announcement import announcement
from warner.notify.base import Page
from warner.notify.team_chat import TeamChatChannel
from warner.notify.teams.card import incident_card, message
from warner.notify.teams.config import TeamsConfig


def teams_channel(
    config: TeamsConfig,
    webhooks: Mapping[str, str],
    *,
    labels: Mapping[str, str] | None = None,
    console_url: str | None = None,
) -> TeamChatChannel:
    """The channel over ``webhooks`` (team id -> Workflows URL, see ``team_chat.team_webhooks``)."""
    tz, names = ZoneInfo(config.time_zone), dict(labels or {})

    def render(page: Page) -> dict[str, Any]:
        a = announcement(
            page, label=names.get(page.incident.brand), console_url=console_url, tz=tz, top_posts=config.top_posts
        )
        return message(incident_card(a))

    return TeamChatChannel("teams", webhooks, render, timeout=config.timeout.total_seconds())
