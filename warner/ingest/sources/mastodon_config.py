"""The ``sources.mastodon`` entries; light, because warner.config loads it while it is itself loading."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from warner.config.common import ENV_NAME, Duration, Section, Slug

MAX_LIMIT = 40  # Mastodon caps `limit` at 40 statuses per request
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class MastodonConfig(Section):
    """One Mastodon instance and what to follow on it."""

    kind: Literal["mastodon"] = Field("mastodon", description="Always mastodon (may be left out).")
    name: Slug = Field(description="Unique source name; also the `source` of its mentions.")
    instance: str = Field(description="Base URL of the instance, e.g. https://mastodon.social.")
    hashtags: list[str] = Field(default_factory=list, description="Tag timelines to follow (without #).")
    keywords: list[str] = Field(
        default_factory=list,
        description="Full-text searches (/api/v2/search); need token_env — instances return no statuses otherwise.",
    )
    token_env: str | None = Field(
        None, pattern=ENV_NAME, description="Environment variable holding an access token (read:search)."
    )
    interval: Duration = Field(timedelta(minutes=2), description="Time between polls.")
    limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT, description="Statuses per request (Mastodon allows 40).")
    max_pages: int = Field(10, ge=1, le=100, description="Pages per timeline and poll before yielding.")
    timeout: Duration = Field(timedelta(seconds=30), description="Per request.")
    brand: Slug | None = Field(None, description="Fixed brand for every mention (else the brand matcher decides).")

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_yaml(cls, data: Any) -> Any:
        if isinstance(data, dict) and ({"token", "access_token", "secret"} & data.keys()):
            raise ValueError(
                "secrets are not read from YAML: put the access token in an environment variable "
                "and name that variable in token_env"
            )
        return data

    @field_validator("instance")
    @classmethod
    def _instance_url(cls, url: str) -> str:
        parts = urlsplit(url.strip())
        if not parts.hostname or parts.path.strip("/") or parts.query:
            raise ValueError(f"expected the instance's base URL, e.g. https://mastodon.social, got {url!r}")
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            raise ValueError("the instance URL must use https:// (http:// only for 127.0.0.1/localhost)")
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("hashtags")
    @classmethod
    def _plain_tags(cls, tags: list[str]) -> list[str]:
        cleaned = [t.strip().removeprefix("#") for t in tags]
        if bad := [t for t in cleaned if not t or not t.replace("_", "a").isalnum()]:
            raise ValueError(f"hashtags are letters, digits and _ (without #), got {bad}")
        return cleaned

    @field_validator("keywords")
    @classmethod
    def _non_empty_keywords(cls, keywords: list[str]) -> list[str]:
        if any(not k.strip() for k in keywords):
            raise ValueError("keywords must not be empty")
        return [k.strip() for k in keywords]

    @model_validator(mode="after")
    def _something_to_follow(self) -> MastodonConfig:
        if not self.hashtags and not self.keywords:
            raise ValueError("a mastodon source needs hashtags or keywords")
        if self.keywords and not self.token_env:
            raise ValueError("keywords need token_env: Mastodon only searches statuses for a signed-in account")
        if self.interval.total_seconds() <= 0:
            raise ValueError("interval must be positive")
        return self

    @property
    def host(self) -> str:
        return urlsplit(self.instance).netloc

    def token(self) -> str | None:
        """The access token from ``token_env`` (None when no token is configured or the variable is empty)."""
        if self.token_env is None:
            return None
        return os.environ.get(self.token_env, "") or None

    def missing_secrets(self) -> list[str]:
        """What to tell the operator at start-up: a named but unset token variable."""
        if self.token_env and self.token() is None:
            return [f"environment variable {self.token_env} is not set (token_env of mastodon source {self.name!r})"]
        return []
