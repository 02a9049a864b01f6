"""What the two team-chat channels (Teams, Slack) share: whom they reach, which pages they post, refs.

A team chat is a team's announcement target (``Recipient.team``, from a ``notify_team_chat``
step): a channel reaches it iff the team has that platform's webhook. Webhooks can only post,
never edit, so every page that is news is a new message — new, escalation, reminder, and the
short acknowledged/resolved messages with the state line. An ``update`` (figures changed,
a snooze ended) is *not* posted: edits of the first message arrive every ``group_interval``
and would flood a channel; it is reported delivered without a request, so the escalation
treats the chat like an edited message. The first message's ``message_ref`` is a made-up one
(``<team>/<incident>``): it is what lets the escalation send the acknowledged and resolved
pages here (with the channel in ``escalation.update_channels``).

These channels announce; they do not acknowledge (Slack's signed button is the exception).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import structlog

from warner.core import Recipient
from warner.notify.base import Delivery, Page
from warner.notify.secrets import read_secret
from warner.notify.webhook_post import WebhookPoster

log = structlog.get_logger(__name__)

Render = Callable[[Page], Mapping[str, Any]]


def team_webhooks(teams: Iterable[tuple[str, str | None]], key: str) -> dict[str, str]:
    """Team id -> webhook URL for every (team id, env name) with a variable named.

    Raises ``MissingSecretError`` naming the variable and the key
    (``oncall.teams[ops].slack_webhook_env``) when one is not set: found at start, not at 3 a.m.
    """
    return {team: read_secret(env, f"oncall.teams[{team}].{key}") for team, env in teams if env}


class TeamChatChannel:
    """A channel that posts each page to its team's webhook, laid out by ``render``."""

    def __init__(self, name: str, webhooks: Mapping[str, str], render: Render, *, timeout: float) -> None:
        self.name = name
        self._webhooks = dict(webhooks)
        self._render = render
        self._poster = WebhookPoster(name, timeout)

    @property
    def teams(self) -> list[str]:
        return sorted(self._webhooks)

    def can_reach(self, recipient: Recipient) -> bool:
        return recipient.team is not None and recipient.team in self._webhooks

    async def send(self, page: Page) -> Delivery:
        team = page.recipient.team
        if team is None or team not in self._webhooks:
            error = f"{page.recipient.id} has no {self.name} webhook (oncall.teams[].{self.name}_webhook_env)"
            return Delivery(self.name, team or "", ok=False, latency_s=0.0, error=error, permanent=True)
        if page.kind == "update":
            return Delivery(self.name, team, ok=True, latency_s=0.0, message_ref=page.message_ref)
        delivery = await self._poster.post(self._webhooks[team], self._render(page), target=team)
        log.info(
            "team_chat_posted" if delivery.ok else "team_chat_post_failed",
            channel=self.name,
            team=team,
            incident_id=page.incident.id,
            kind=page.kind,
            error=delivery.error,
            latency_s=round(delivery.latency_s, 3),
        )
        if delivery.ok:
            delivery = dataclasses.replace(delivery, message_ref=page.message_ref or f"{team}/{page.incident.id}")
        return delivery

    async def post(self, team: str, body: Mapping[str, Any]) -> Delivery:
        """Post any message (the weekly digest) to ``team``'s webhook."""
        url = self._webhooks.get(team)
        if url is None:
            return Delivery(self.name, team, ok=False, latency_s=0.0, error=f"no {self.name} webhook", permanent=True)
        return await self._poster.post(url, body, target=team)

    async def close(self) -> None:
        await self._poster.close()
