"""Telegram settings: how the bot talks to the Bot API and who may press its buttons.

Secrets never live in the YAML. The config names environment variables (``token_env``,
``secret_token_env``, ``callback_secret_env``) and :meth:`TelegramConfig.secrets` reads them
when the service starts, failing with a message that names the missing variable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from warner.config.common import ENV_NAME, Duration, Section

TELEGRAM_API = "https://api.telegram.org"
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a webhook secret_token
_CALLBACK_KDF_LABEL = b"warner/telegram/callback-data/v1"


class TelegramSecretError(RuntimeError):
    """A secret the Telegram channel needs is missing or unusable; ``env`` names the variable."""

    def __init__(self, env: str, message: str):
        self.env = env
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class TelegramSecrets:
    """What :meth:`TelegramConfig.secrets` read from the environment."""

    token: str
    callback_key: bytes  # HMAC key for callback data
    webhook_secret: str | None  # expected X-Telegram-Bot-Api-Secret-Token (webhook mode only)

    def __repr__(self) -> str:  # never print a token into a log
        return "TelegramSecrets(<redacted>)"


class TelegramConfig(Section):
    """The Telegram channel and bot."""

    token_env: str = Field("TELEGRAM_BOT_TOKEN", pattern=ENV_NAME, description="Variable holding the bot token.")
    mode: Literal["polling", "webhook"] = Field("polling", description="How updates (button presses) arrive.")
    webhook_url: str | None = Field(None, description="Public https URL Telegram posts updates to (webhook mode).")
    webhook_path: str = Field("/telegram/webhook", description="Path warner serves the webhook on.")
    secret_token_env: str | None = Field(
        None, pattern=ENV_NAME, description="Variable holding the webhook secret token (required in webhook mode)."
    )
    callback_secret_env: str | None = Field(
        None,
        pattern=ENV_NAME,
        description="Variable holding the key that signs buttons; default: derived from the token.",
    )
    allowed_chat_ids: list[int] = Field(
        default_factory=list, description="Group chats whose members may press buttons and use commands."
    )
    base_url: str = Field(TELEGRAM_API, description="Bot API server, without trailing slash.")
    stale_after: Duration = Field(timedelta(days=7), description="Buttons older than this are refused.")

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_yaml(cls, data: Any) -> Any:
        if isinstance(data, dict):
            secrets = sorted(k for k in data if k in {"token", "secret", "secret_token", "callback_secret"})
            if secrets:
                raise ValueError(
                    f"secrets are not read from YAML ({', '.join(secrets)}): put them in environment variables "
                    "and name those in token_env, secret_token_env or callback_secret_env"
                )
        return data

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+", url):
            raise ValueError(f"expected an http(s) URL such as {TELEGRAM_API}, got {url!r}")
        return url.rstrip("/")

    @field_validator("webhook_path")
    @classmethod
    def _absolute_path(cls, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError("webhook_path must start with '/'")
        return path

    @model_validator(mode="after")
    def _webhook_complete(self) -> TelegramConfig:
        if self.mode == "webhook":
            if not self.webhook_url or not self.webhook_url.startswith("https://"):
                raise ValueError("webhook mode needs webhook_url, a public https:// URL")
            if not self.secret_token_env:
                raise ValueError("webhook mode needs secret_token_env: warner checks Telegram's secret token header")
        if self.stale_after.total_seconds() <= 0:
            raise ValueError("stale_after must be positive")
        return self

    def secrets(self, environ: Mapping[str, str] | None = None) -> TelegramSecrets:
        """Read the token and keys from the environment; raise TelegramSecretError naming the variable."""
        env = os.environ if environ is None else environ
        token = _required(env, self.token_env, "the Telegram bot token (telegram.token_env)")
        if self.callback_secret_env:
            key = _required(
                env, self.callback_secret_env, "the key for button signatures (telegram.callback_secret_env)"
            )
            callback_key = key.encode()
        else:
            callback_key = derive_callback_key(token)
        webhook_secret = None
        if self.mode == "webhook" and self.secret_token_env:
            webhook_secret = _required(
                env, self.secret_token_env, "the webhook secret token (telegram.secret_token_env)"
            )
            if not _SECRET_TOKEN.match(webhook_secret):
                raise TelegramSecretError(
                    self.secret_token_env,
                    f"environment variable {self.secret_token_env} must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
                )
        return TelegramSecrets(token=token, callback_key=callback_key, webhook_secret=webhook_secret)


def derive_callback_key(token: str) -> bytes:
    """A signing key from the bot token (HMAC-SHA256 as a KDF), so a leaked key is not the token itself."""
    return hmac.new(_CALLBACK_KDF_LABEL, token.encode(), hashlib.sha256).digest()


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "")
    if not value:
        raise TelegramSecretError(name, f"environment variable {name} is not set ({what})")
    return value
