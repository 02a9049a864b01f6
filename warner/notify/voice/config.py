"""Typed configuration of the voice channel (``notify.voice``): which provider, where, and how
key presses come back.

As for SMS, secrets never live in the YAML (``*_env`` fields name environment variables), and
a config that would mount a key-press route without authentication is refused: Twilio's route
always checks Twilio's signature, the generic hook's route only runs with a bearer token.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from warner.config.common import ENV_NAME, Duration, Section, TimeZoneName
from warner.notify.secrets import NoSecretsInYaml, field_error, read_secret

GATHER_PATH = "/voice/twilio/gather"
PRESS_PATH = "/voice/press"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class TwilioVoiceConfig(NoSecretsInYaml):
    """Twilio's Voice API, or anything that speaks it (``base_url`` points elsewhere)."""

    base_url: str = Field(
        "https://api.twilio.com", pattern=r"^https?://", description="Voice API server (another: a compatible one)."
    )
    account_sid: str = Field(min_length=1, description="Account SID (not a secret; the auth token is).")
    auth_token_env: str = Field(
        pattern=ENV_NAME, description="Variable holding the auth token (also checks the key-press signatures)."
    )
    from_number: str = Field(pattern=r"^\+[1-9]\d{4,14}$", description="E.164 number the call comes from.")

    def auth_token(self) -> str:
        return read_secret(self.auth_token_env, "notify.voice.twilio.auth_token_env")


class VoiceHookConfig(NoSecretsInYaml):
    """A generic call hook: warner POSTs the text to speak, the hook calls and answers how it went."""

    url: str = Field(pattern=r"^https?://", description="Endpoint that places one call and answers its outcome.")
    token_env: str = Field(pattern=ENV_NAME, description="Variable holding the bearer token warner sends.")

    def token(self) -> str:
        return read_secret(self.token_env, "notify.voice.http.token_env")


class VoiceInboundConfig(Section):
    """How key presses ("1" = acknowledge) come back; every route that acknowledges is authenticated."""

    verify_twilio_signature: bool = Field(
        True,
        description="Always on: key presses from Twilio are always signature-checked (false is refused, "
        "so a config cannot open the route).",
    )
    token_env: str | None = Field(
        None,
        pattern=ENV_NAME,
        description="Variable holding the bearer token POST /voice/press (the generic hook's key presses) "
        "requires; without it that route is not mounted. Required with provider http.",
    )

    @field_validator("verify_twilio_signature")
    @classmethod
    def _signatures_stay_on(cls, verify: bool) -> bool:
        if not verify:
            raise ValueError("false is not allowed: unsigned key presses could acknowledge incidents")
        return verify


class VoiceConfig(Section):
    """Phone calls that speak the page and take "press 1" as an acknowledgement."""

    provider: Literal["twilio", "http", "console"] = Field(
        description="Who calls: the `twilio` or the `http` section; console prints the call (demo)."
    )
    twilio: TwilioVoiceConfig | None = Field(None, description="Required with provider twilio.")
    http: VoiceHookConfig | None = Field(None, description="Required with provider http.")
    public_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="Where the provider reaches warner's API (https; http only on loopback), e.g. "
        "https://warner.example.de: key presses come back to /voice/twilio/gather or /voice/press below it, "
        "and Twilio's signature covers this URL. Required with twilio and http.",
    )
    ring_timeout: Duration = Field(
        timedelta(seconds=30), description="How long the phone rings before the call counts as unanswered."
    )
    answer_grace: Duration = Field(
        timedelta(seconds=15),
        description="Waited beyond ring_timeout for the call's outcome (dialling, the provider's queue); "
        "after it the attempt is a transient failure.",
    )
    poll_interval: Duration = Field(timedelta(seconds=1), description="How often the call's status is read (twilio).")
    timeout: Duration = Field(timedelta(seconds=10), description="One API request, connect to last byte (twilio).")
    time_zone: TimeZoneName = Field("Europe/Berlin", description="Times spoken ('seit 19:50 Uhr') are local to this.")
    inbound: VoiceInboundConfig = Field(VoiceInboundConfig(), description="Key presses that acknowledge.")

    @model_validator(mode="after")
    def _provider_section(self) -> VoiceConfig:
        if self.provider != "console" and getattr(self, self.provider) is None:
            raise ValueError(f"provider {self.provider} needs a voice.{self.provider} section")
        if not 5 <= self.ring_timeout.total_seconds() <= 600:
            raise field_error("VoiceConfig", ("ring_timeout",), "must be between 5s and 10m (what Twilio accepts)")
        for name in ("answer_grace", "poll_interval", "timeout"):
            if getattr(self, name).total_seconds() <= 0:
                raise field_error("VoiceConfig", (name,), "must be positive")
        return self

    @model_validator(mode="after")
    def _key_presses_come_back_authenticated(self) -> VoiceConfig:
        """Twilio and the hook need the public URL to call back; the hook's route needs its token."""
        if self.provider == "console":
            return self
        if not self.public_url:
            raise field_error("VoiceConfig",
                ("public_url",),
                f"required with provider {self.provider}: the URL where the provider reaches warner's API "
                "(key presses come back below it; behind a proxy warner cannot work it out)",
            )
        url = urlsplit(self.public_url)
        if url.scheme != "https" and url.hostname not in _LOOPBACK:
            raise field_error("VoiceConfig", ("public_url",), "must be https (http only on loopback, for tests)")
        if self.provider == "http" and not self.inbound.token_env:
            raise field_error("VoiceConfig",
                ("inbound", "token_env"),
                "required with provider http: POST /voice/press acknowledges incidents and is only served "
                "with a bearer token (name the environment variable that holds it)",
            )
        return self

    def url_of(self, path: str) -> str:
        """The public URL of one of warner's voice routes."""
        return (self.public_url or "").rstrip("/") + path

    def callback_routes(self) -> list[str]:
        """The key-press routes this config mounts (each with its authentication)."""
        routes = [GATHER_PATH] if self.provider == "twilio" else []
        return routes + ([PRESS_PATH] if self.inbound.token_env else [])

    def secret_envs(self) -> list[str]:
        """Every environment variable this config names as a secret (for the log redactor)."""
        names = [self.twilio.auth_token_env if self.twilio else None, self.http.token_env if self.http else None]
        return [n for n in [*names, self.inbound.token_env] if n]

    def missing_secrets(self) -> list[str]:
        """One message per secret the active provider needs but the environment lacks."""
        checks: list[tuple[str | None, str]] = []
        if self.provider == "twilio" and self.twilio is not None:
            checks.append((self.twilio.auth_token_env, "voice.twilio.auth_token_env"))
        if self.provider == "http" and self.http is not None:
            checks.append((self.http.token_env, "voice.http.token_env"))
        if self.inbound.token_env:
            checks.append((self.inbound.token_env, "voice.inbound.token_env"))
        unset = [(env, field) for env, field in checks if env and not os.environ.get(env)]
        return [f"environment variable {env} is not set ({field})" for env, field in unset]
