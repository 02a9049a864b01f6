"""Checks of what the config names but does not hold: secrets in the environment, and risky settings."""

from __future__ import annotations

import os
import re

from warner.config.locate import ConfigIssue
from warner.config.root import Config


def check_runtime_secrets(config: Config, filename: str, *, paging: bool = False) -> list[ConfigIssue]:
    """Each source's token and signing secret (and, with ``paging``, each channel's secrets) must be in the
    environment."""
    issues = [
        ConfigIssue(
            filename,
            f"ingest.sources[{i}].token_env",
            None,
            f"environment variable {source.token_env} is not set (token of source {source.name!r})",
        )
        for i, source in enumerate(config.ingest.sources)
        if not source.tokens()
    ]
    issues += [
        ConfigIssue(
            filename,
            f"ingest.sources[{i}].signing_secret_env",
            None,
            f"environment variable {source.signing_secret_env} is not set (signing secret of source "
            f"{source.name!r}; its requests are refused until it is)",
        )
        for i, source in enumerate(config.ingest.sources)
        if source.signing_secrets() == []
    ]
    if config.ingest.metrics_token_env and config.ingest.metrics_token() is None:
        issues.append(
            ConfigIssue(
                filename,
                "ingest.metrics_token_env",
                None,
                f"environment variable {config.ingest.metrics_token_env} is not set (token of GET /metrics; "
                "it is refused to everybody until it is)",
            )
        )
    if paging and config.escalation.routes:
        notify = config.notify
        missing = [*(notify.sms.missing_secrets() if notify.sms else [])]
        missing += notify.voice.missing_secrets() if notify.voice else []
        missing += notify.email.missing_secrets() if notify.email else []
        issues += [ConfigIssue(filename, _channel_field(m), None, _channel_message(m)) for m in missing]
        issues += _team_chat_secret_issues(config, filename)
        if notify.telegram is not None:
            issues += telegram_secret_issues(config, filename)
    return issues


_CHAT_NAMES = {"teams": "Microsoft Teams", "slack": "Slack"}


def _team_chat_secret_issues(config: Config, filename: str) -> list[ConfigIssue]:
    """Each team's Teams/Slack webhook URL (a secret) for the chats notify configures, and Slack's signing secret."""
    wanted = [(name, f"{name}_webhook_env") for name in ("teams", "slack") if getattr(config.notify, name) is not None]
    issues = [
        ConfigIssue(
            filename,
            f"oncall.teams[{i}].{key}",
            None,
            f"environment variable {env} is not set (the {_CHAT_NAMES[name]} webhook URL of team {team.id!r})",
        )
        for i, team in enumerate(config.oncall.teams)
        for name, key in wanted
        if (env := getattr(team, key)) and not os.environ.get(env)
    ]
    slack = config.notify.slack
    if slack is not None and slack.signing_secret_env and not os.environ.get(slack.signing_secret_env):
        issues.append(
            ConfigIssue(
                filename,
                "notify.slack.signing_secret_env",
                None,
                f"environment variable {slack.signing_secret_env} is not set (Slack's signing secret; "
                "button presses are refused until it is)",
            )
        )
    return issues


def telegram_secret_issues(config: Config, filename: str) -> list[ConfigIssue]:
    """The Telegram bot's token (and keys) must be in the environment; the issue names the ``*_env`` key."""
    from warner.notify.telegram.config import TelegramSecretError

    telegram = config.notify.telegram
    if telegram is None:
        return []
    try:
        telegram.secrets()
    except TelegramSecretError as exc:
        keys = ("token_env", "callback_secret_env", "secret_token_env")
        key = next((k for k in keys if getattr(telegram, k) == exc.env), "token_env")
        return [ConfigIssue(filename, f"notify.telegram.{key}", None, _without_key(str(exc)))]
    return []


def _without_key(message: str) -> str:
    """``… (the Telegram bot token (telegram.token_env))`` to ``… (the Telegram bot token)``: the issue names
    the key already, and parentheses inside parentheses are hard to read."""
    return re.sub(r" \((?:notify\.)?telegram\.\w+\)\)$", ")", message)


# What each channel secret is, for a message that names its key already (as the issue's field).
_CHANNEL_SECRETS = {
    "sms.http.user_env": "the SMS gateway's user name",
    "sms.http.password_env": "the SMS gateway's password",
    "sms.http.token_env": "the SMS gateway's token",
    "sms.twilio.auth_token_env": "the Twilio auth token",
    "sms.inbound.token_env": "the token SMS replies are posted with",
    "voice.twilio.auth_token_env": "the Twilio auth token for calls",
    "voice.http.token_env": "the call hook's token",
    "voice.inbound.token_env": "the token key presses are posted with",
    "email.user_env": "the SMTP user name",
    "email.password_env": "the SMTP password",
}
_KEY = re.compile(r"\((?:notify\.)?((?:sms|voice|email)(?:\.\w+)+)\)$")


def _channel_message(message: str) -> str:
    """``… is not set (sms.http.user_env)`` to ``… is not set (the SMS gateway's user name)``: the key is the
    issue's field already, what the variable holds is news."""
    return _KEY.sub(lambda m: f"({_CHANNEL_SECRETS.get(m.group(1), m.group(1))})", message)


def _channel_field(message: str) -> str:
    """``notify.sms.http.user_env`` from a missing-secret message that ends in ``(sms.http.user_env)``."""
    match = _KEY.search(message)
    return f"notify.{match.group(1)}" if match else "notify"


def security_warnings(config: Config) -> list[str]:
    """Insecure settings (open bind address, missing allowlists, …), one line each naming the field."""
    from warner.security import insecure_settings

    return insecure_settings(config)
