"""The ``sources.bluesky`` entries; light, because warner.config loads it while it is itself loading."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field, model_validator

from warner.config.common import ENV_NAME, Duration, Section, Slug

PUBLIC_APPVIEW = "https://public.api.bsky.app"


class BlueskyConfig(Section):
    """One Bluesky search source; authenticate with an app password named by env vars, never in YAML."""

    name: Slug = Field(description="Unique source name; the `source` of its mentions.")
    service: str = Field(PUBLIC_APPVIEW, pattern=r"^https?://", description="XRPC base URL (AppView or PDS).")
    queries: list[str] = Field(min_length=1, description="Search queries: brand names, '#hashtag', '@handle'.")
    interval: Duration = Field(timedelta(minutes=2), description="Time between polls.")
    limit: int = Field(50, ge=1, le=100, description="Posts per page.")
    max_pages: int = Field(5, ge=1, le=50, description="Pages read per query and poll; the rest waits as backlog.")
    overlap: Duration = Field(timedelta(minutes=5), description="Re-read this far behind the newest post seen.")
    lang: str | None = Field(None, pattern=r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$", description="Only this lang.")
    timeout: Duration = Field(timedelta(seconds=15), description="Per HTTP request.")
    identifier_env: str | None = Field(None, pattern=ENV_NAME, description="Env var with the handle or DID.")
    app_password_env: str | None = Field(None, pattern=ENV_NAME, description="Env var with the app password.")
    brand: Slug | None = Field(None, description="Fixed brand for every mention (else the brand matcher decides).")

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_yaml(cls, data: Any) -> Any:
        if isinstance(data, dict) and {"password", "app_password", "token", "secret"} & set(data):
            raise ValueError(
                "secrets are not read from YAML: name environment variables in identifier_env and app_password_env"
            )
        return data

    @model_validator(mode="after")
    def _credentials_come_in_pairs(self) -> BlueskyConfig:
        if (self.identifier_env is None) != (self.app_password_env is None):
            raise ValueError("identifier_env and app_password_env go together (or neither, for public search)")
        if len(set(self.queries)) != len(self.queries) or any(not q.strip() for q in self.queries):
            raise ValueError("queries must be unique and not blank")
        return self
