"""The ``web:`` section: where the responders' console listens and how long sign-ins last."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from pydantic import Field, field_validator

from warner.config.common import Duration, Section
from warner.detect.config import DetectConfig
from warner.digest.config import DigestConfig
from warner.ingest.config import BrandConfig
from warner.notify.config import NotifyConfig
from warner.oncall.config import OncallConfig
from warner.oncall.policy_config import EscalationConfig
from warner.respond.config import RespondConfig
from warner.store.config import RedisConfig, RetentionConfig


class WebConfig(Section):
    """The web console (``warner run`` serves it with roles all and web)."""

    host: str = Field("127.0.0.1", description="Address the console listens on; beyond loopback only behind TLS.")
    port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Port of the console (none = no console; 0 = any free port). The example config uses 8090.",
    )
    public_url: str | None = Field(
        None,
        description="How people reach the console, e.g. https://warner.example.de; sign-in links start with it "
        "(default http://host:port).",
    )
    link_ttl: Duration = Field(timedelta(minutes=10), description="A sign-in link works once, for this long.")
    session_ttl: Duration = Field(timedelta(hours=12), description="A sign-in lasts this long (logout ends it).")

    @field_validator("link_ttl", "session_ttl")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("must be positive")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    def base_url(self, bound_port: int | None = None) -> str:
        """Where links point: ``public_url``, else this host and the port actually bound."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{bound_port if bound_port is not None else self.port}"

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS when people reach the console over HTTPS."""
        return bool(self.public_url and self.public_url.startswith("https://"))


class WebSettings(Protocol):
    """What the console reads of warner's config. The root ``Config`` is one; declared here so that the
    console never imports the root."""

    @property
    def web(self) -> WebConfig: ...

    @property
    def oncall(self) -> OncallConfig: ...

    @property
    def escalation(self) -> EscalationConfig: ...

    @property
    def notify(self) -> NotifyConfig: ...

    @property
    def brands(self) -> list[BrandConfig]: ...

    @property
    def respond(self) -> RespondConfig: ...

    @property
    def digest(self) -> DigestConfig: ...

    @property
    def redis(self) -> RedisConfig: ...  # its data_dir: where the digest keeps its reports by default

    @property
    def bucket(self) -> timedelta: ...

    @property
    def detect(self) -> DetectConfig: ...

    @property
    def retention(self) -> RetentionConfig: ...

    def brand(self, name: str) -> BrandConfig | None: ...
