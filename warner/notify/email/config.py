"""The ``notify.email`` section: which SMTP server, how it is secured, and who the mail is from.

As for SMS, secrets never live in the YAML: ``user_env`` and ``password_env`` name the
environment variables, read when the channel is built, so a missing one fails at start and
not when the first page goes out at night.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from warner.config.common import ENV_NAME, Duration, Section
from warner.notify.secrets import read_secret

__all__ = ["DEFAULT_PORTS", "EmailConfig"]

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_SECRET_KEYS = {"user", "username", "password", "secret", "token"}


class EmailConfig(Section):
    """The e-mail channel: pages to ``oncall.people[].email`` and the weekly digest by mail."""

    host: str = Field(min_length=1, description="SMTP server (your mail relay or provider), e.g. smtp.example.de.")
    port: int | None = Field(
        None, ge=1, le=65535, description="SMTP port (default: 587 with starttls, 465 with tls, 25 with none)."
    )
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls (upgrade after connecting, usually port 587), tls (TLS from the first byte, "
        "usually 465) or none (plain text: only for a relay on this host; check-config warns otherwise).",
    )
    ca_file: Path | None = Field(
        None,
        description="PEM file of the CA that signed the server's certificate (a company CA); default: the system's.",
    )
    user_env: str | None = Field(None, pattern=ENV_NAME, description="Variable holding the SMTP user (none = no AUTH).")
    password_env: str | None = Field(None, pattern=ENV_NAME, description="Variable holding the SMTP password.")
    from_address: str = Field(description="Sender address, e.g. warner@example.de (the server must allow it).")
    from_name: str = Field("warner", min_length=1, description="Sender name shown in mail clients.")
    timeout: Duration = Field(timedelta(seconds=15), description="Whole delivery of one mail, connect to last reply.")
    console_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="Where mails link to the console's incident page, e.g. https://warner.example.de "
        "(default: web.public_url; none without it = no link).",
    )
    helo_name: str | None = Field(
        None, description="Name warner gives in EHLO (default: this host's name); some relays want a FQDN."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_yaml(cls, data: Any) -> Any:
        if isinstance(data, dict) and _SECRET_KEYS & set(data):
            found = ", ".join(sorted(_SECRET_KEYS & set(data)))
            raise ValueError(
                f"secrets are not read from YAML ({found}): put them in environment variables "
                "and name those in user_env and password_env"
            )
        return data

    @field_validator("from_address")
    @classmethod
    def _plain_address(cls, value: str) -> str:
        if not _ADDRESS.match(value.strip()):
            raise ValueError(f"expected a plain address like warner@example.de, got {value!r}")
        return value.strip()

    @field_validator("console_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _consistent(self) -> EmailConfig:
        if bool(self.user_env) != bool(self.password_env):
            raise ValueError("SMTP AUTH needs both user_env and password_env (or neither)")
        if self.timeout.total_seconds() <= 0:
            raise ValueError("timeout must be positive")
        return self

    @property
    def smtp_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def domain(self) -> str:
        """The sender's domain: the right-hand side of every Message-ID warner makes."""
        return self.from_address.rpartition("@")[2].lower()

    def credentials(self) -> tuple[str, str] | None:
        """(user, password) for SMTP AUTH, None without; raises ``MissingSecretError`` naming an unset variable."""
        if not (self.user_env and self.password_env):
            return None
        return (
            read_secret(self.user_env, "notify.email.user_env"),
            read_secret(self.password_env, "notify.email.password_env"),
        )

    def missing_secrets(self) -> list[str]:
        """One message per AUTH variable the environment lacks."""
        checks = [(self.user_env, "notify.email.user_env"), (self.password_env, "notify.email.password_env")]
        return [
            f"environment variable {env} is not set ({field})"
            for env, field in checks
            if env and not os.environ.get(env)
        ]
