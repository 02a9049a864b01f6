"""Checks of what the config names but does not hold: secrets in the environment, and risky settings."""

from __future__ import annotations

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
        if source.token() is None
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
        if config.notify.sms is not None:
            issues += [
                ConfigIssue(filename, _sms_field(m), None, _sms_message(m)) for m in config.notify.sms.missing_secrets()
            ]
        if config.notify.telegram is not None:
            issues += telegram_secret_issues(config, filename)
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


# What each SMS secret is, for a message that names its key already (as the issue's field).
_SMS_SECRETS = {
    "sms.http.user_env": "the SMS gateway's user name",
    "sms.http.password_env": "the SMS gateway's password",
    "sms.http.token_env": "the SMS gateway's token",
    "sms.twilio.auth_token_env": "the Twilio auth token",
    "sms.inbound.token_env": "the token SMS replies are posted with",
}


def _sms_message(message: str) -> str:
    """``… is not set (sms.http.user_env)`` to ``… is not set (the SMS gateway's user name)``: the key is the
    issue's field already, what the variable holds is news."""
    return re.sub(r"\((sms(?:\.\w+)+)\)$", lambda m: f"({_SMS_SECRETS.get(m.group(1), m.group(1))})", message)


def _sms_field(message: str) -> str:
    """``notify.sms.http.user_env`` from a missing-secret message that ends in ``(sms.http.user_env)``."""
    match = re.search(r"\((sms(?:\.\w+)+)\)$", message)
    return f"notify.{match.group(1)}" if match else "notify.sms"


def security_warnings(config: Config) -> list[str]:
    """Insecure settings (open bind address, missing allowlists, …), one line each naming the field."""
    from warner.security import insecure_settings

    return insecure_settings(config)
