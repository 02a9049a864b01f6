"""The ``Notifier`` and its channels, built once from the config when the pager starts.

One place decides which channels exist (``notify:``) and how each is built, as
``ingest/sources/factory.py`` does for the pulled sources. Every channel is complete before
the notifier gets it. The Telegram channel sends through the bot application's own ``Bot``;
the application needs the incident responder and the bot's backend first, so the composition
(``warner/paging.py``) builds it and passes the bot in (``AlertBot``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console

from warner.metrics import Metrics
from warner.notify.base import Channel, Delivery, Page
from warner.notify.delivery import Notifier, Record, RetryPolicy

if TYPE_CHECKING:
    from telegram import Bot

    from warner.config.root import Config
    from warner.notify.telegram.channel import EditedMessages


@dataclass(frozen=True, slots=True)
class AlertBot:
    """The running bot Telegram alerts go out through, and what the alerts share with its button handler."""

    bot: Bot  # the application's (``application.bot``): one client for alerts, presses and commands
    callback_key: bytes  # signs the buttons (``TelegramConfig.secrets().callback_key``)
    edits: EditedMessages  # alerts the channel edited, so the button handler does not edit a pressed one twice


async def recorded_by_engine(page: Page, delivery: Delivery) -> None:
    """The pager's ``Record``: the escalation engine writes every attempt into the incident timeline itself."""


def build_notifier(
    config: Config,
    metrics: Metrics | None = None,
    *,
    telegram: AlertBot | None = None,
    console: Console | None = None,
    record: Record = recorded_by_engine,
) -> Notifier:
    """The notifier over every channel ``config.notify`` configures, with its retry policy.

    ``telegram``: the bot the Telegram channel sends through, required when Telegram is configured.
    ``console``: where the console channel prints (default: a new ``rich`` console).
    Raises ``MissingSecretError`` naming an unset SMS gateway, SMTP or voice provider secret or team webhook
    variable.
    """
    labels = {b.name: b.label for b in config.brands}
    channels: dict[str, Channel] = {}
    if config.notify.sms is not None:
        from warner.notify.sms.channels import sms_channel

        channels["sms"] = sms_channel(config.notify.sms, labels=labels)
    channels |= _team_chats(config, labels)
    if config.notify.email is not None:
        from warner.notify.email.channel import email_channel

        sms = config.notify.sms
        channels["email"] = email_channel(
            config.notify.email,
            labels=labels,
            console_url=config.web.public_url,
            sms_replies=sms is not None and sms.inbound is not None,
            bucket_s=config.bucket.total_seconds(),
        )
    if config.notify.voice is not None:
        from warner.notify.voice.channel import voice_channel

        channels["call"] = voice_channel(config.notify.voice, labels=labels, console=console)
    if config.notify.console:
        from warner.notify.console import ConsoleChannel

        channels["console"] = ConsoleChannel(console or Console(), labels=labels)
    if config.notify.telegram is not None:
        if telegram is None:
            raise ValueError("notify.telegram is configured: the Telegram channel needs the bot (telegram=AlertBot)")
        from warner.notify.telegram.channel import TelegramChannel
        from warner.notify.telegram.keyboard import CallbackSigner

        signer = CallbackSigner(telegram.callback_key, config.notify.telegram.stale_after)
        channels["telegram"] = TelegramChannel(
            telegram.bot, signer, brand_names=labels, bucket_s=config.bucket.total_seconds(), edits=telegram.edits
        )
    retry = config.notify.retry
    policy = RetryPolicy(
        max_attempts=retry.max_attempts,
        base_delay=retry.base_delay.total_seconds(),
        max_delay=retry.max_delay.total_seconds(),
        max_retry_after=retry.max_retry_after.total_seconds(),
    )
    return Notifier(channels, policy, record, metrics)


def _team_chats(config: Config, labels: dict[str, str]) -> dict[str, Channel]:
    """The Teams and Slack channels, over the webhooks of ``oncall.teams`` (read from the environment now)."""
    from warner.notify.team_chat import team_webhooks

    channels: dict[str, Channel] = {}
    console_url = config.web.public_url
    teams = config.oncall.teams
    if config.notify.teams is not None:
        from warner.notify.teams.channel import teams_channel

        hooks = team_webhooks(((t.id, t.teams_webhook_env) for t in teams), "teams_webhook_env")
        channels["teams"] = teams_channel(config.notify.teams, hooks, labels=labels, console_url=console_url)
    if config.notify.slack is not None:
        from warner.notify.slack.channel import slack_channel

        hooks = team_webhooks(((t.id, t.slack_webhook_env) for t in teams), "slack_webhook_env")
        channels["slack"] = slack_channel(config.notify.slack, hooks, labels=labels, console_url=console_url)
    return channels
