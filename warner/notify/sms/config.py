"""Typed configuration of the SMS channel: which gateway, where, and how to authenticate.

Secrets never live in the YAML: a field ending in ``_env`` names the environment variable
that holds them, read when the channel is built. A missing variable is an error that names
the variable and the field, because it is found at an inconvenient hour.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Literal

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field, ValidationError, field_validator, model_validator

from warner.config.common import ENV_NAME, Duration, Section, TimeZoneName
from warner.notify.secrets import NoSecretsInYaml, field_error, read_secret

FORM_TEMPLATE = "to={{ to|urlencode }}&text={{ text|urlencode }}{% if sender %}&from={{ sender|urlencode }}{% endif %}"
JSON_TEMPLATE = '{"to": {{ to|tojson }}, "text": {{ text|tojson }}, "from": {{ sender|tojson }}}'

def _field_error(loc: tuple[str, ...], message: str) -> ValidationError:
    return field_error("SmsConfig", loc, message)


def template_environment() -> SandboxedEnvironment:
    """The sandbox that renders gateway bodies: config authors cannot reach Python from it."""
    return SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


class HttpGatewayConfig(NoSecretsInYaml):
    """A generic HTTP SMS gateway: one request per message, rendered from a template."""

    url: str = Field(pattern=r"^https?://", description="Endpoint that sends one SMS.")
    method: Literal["POST", "GET", "PUT"] = Field(
        "POST", description="HTTP method; GET sends the rendered template as the query string."
    )
    auth: Literal["none", "basic", "bearer"] = Field(
        "none", description="How warner authenticates: basic (user_env, password_env) or bearer (token_env)."
    )
    user_env: str | None = Field(None, pattern=ENV_NAME, description="Variable holding the basic-auth user.")
    password_env: str | None = Field(None, pattern=ENV_NAME, description="Variable holding the password.")
    token_env: str | None = Field(None, pattern=ENV_NAME, description="Variable holding the bearer token.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers (no secrets).")
    content_type: Literal["form", "json"] = Field(
        "form", description="Body format (form = URL-encoded); also chooses the default body_template."
    )
    body_template: str | None = Field(
        None,
        description="Jinja2 (sandboxed) with to, text, sender; a form string or JSON. Default per content_type.",
    )
    sender: str | None = Field(None, description="Sender id or number offered to the template as `sender`.")

    @field_validator("body_template")
    @classmethod
    def _compiles(cls, template: str | None) -> str | None:
        if template is not None:
            try:
                template_environment().from_string(template)
            except TemplateSyntaxError as exc:
                raise ValueError(f"body_template line {exc.lineno}: {exc.message}") from None
        return template

    @model_validator(mode="after")
    def _consistent(self) -> HttpGatewayConfig:
        if self.auth == "basic" and not (self.user_env and self.password_env):
            raise ValueError("auth basic needs user_env and password_env")
        if self.auth == "bearer" and not self.token_env:
            raise ValueError("auth bearer needs token_env")
        if self.method == "GET" and self.content_type == "json":
            raise ValueError("method GET sends the rendered template as a query string: use content_type form")
        if self.body_template is not None:
            try:
                sample = (
                    template_environment()
                    .from_string(self.body_template)
                    .render(to="+4915112345678", text="warner", sender=self.sender)
                )
            except Exception as exc:
                raise ValueError(f"body_template fails to render: {type(exc).__name__}: {exc}") from None
        if self.content_type == "json" and self.body_template is not None:
            try:
                json.loads(sample)
            except ValueError:
                raise ValueError("body_template does not render valid JSON (use |tojson for values)") from None
        return self

    def template(self) -> str:
        return self.body_template or (JSON_TEMPLATE if self.content_type == "json" else FORM_TEMPLATE)

    def credentials(self) -> tuple[str, str] | str | None:
        """(user, password) for basic, the token for bearer, None without auth; raises if unset."""
        if self.auth == "basic":
            assert self.user_env and self.password_env
            return read_secret(self.user_env, "sms.http.user_env"), read_secret(
                self.password_env, "sms.http.password_env"
            )
        if self.auth == "bearer":
            assert self.token_env
            return read_secret(self.token_env, "sms.http.token_env")
        return None


class TwilioConfig(NoSecretsInYaml):
    """Twilio, or anything that speaks its Messages API (base_url points elsewhere)."""

    base_url: str = Field(
        "https://api.twilio.com", pattern=r"^https?://", description="Messages API server (another: a compatible one)."
    )
    account_sid: str = Field(min_length=1, description="Account SID (not a secret; the auth token is).")
    auth_token_env: str = Field(pattern=ENV_NAME, description="Variable holding the auth token.")
    from_number: str = Field(pattern=r"^\+[1-9]\d{4,14}$", description="E.164 sender number.")

    def auth_token(self) -> str:
        return read_secret(self.auth_token_env, "sms.twilio.auth_token_env")


class SmsInboundConfig(Section):
    """Replies to pages ("OK 482193") acknowledge the incident — over routes that never run open.

    ``POST /sms/twilio`` is mounted with provider twilio; every request must carry Twilio's
    signature of ``twilio_url``. ``POST /sms/reply`` (any other gateway, JSON) is mounted only
    with ``token_env``; every request must carry that bearer token. A config that would leave
    a route without authentication is refused by ``warner check-config`` and ``warner run``.
    """

    twilio_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="The public URL of POST /sms/twilio exactly as entered at Twilio (what its signature "
        "covers), e.g. https://warner.example.de/sms/twilio. Required with provider twilio: behind a proxy "
        "or TLS terminator warner sees another URL than Twilio signed.",
    )
    verify_twilio_signature: bool = Field(
        True,
        description="Always on: Twilio replies are always signature-checked. Kept so that old configs "
        "with false get a clear error instead of an open webhook.",
    )
    token_env: str | None = Field(
        None,
        pattern=ENV_NAME,
        description="Variable holding the bearer token POST /sms/reply (the generic JSON webhook) requires; "
        "without it that route is not mounted. Required with provider http.",
    )

    @field_validator("verify_twilio_signature")
    @classmethod
    def _signatures_stay_on(cls, verify: bool) -> bool:
        if not verify:
            raise ValueError(
                "false is no longer allowed: unsigned Twilio replies could acknowledge incidents "
                "(remove the key; set twilio_url to the URL configured at Twilio)"
            )
        return verify


class SmsConfig(Section):
    """The SMS channel: provider and its section, timeout, replies."""

    renamed_keys = {"timezone": "time_zone"}  # read until 0.3; check-config warns

    provider: Literal["http", "twilio"] = Field(description="Which gateway: the `http` or the `twilio` section.")
    http: HttpGatewayConfig | None = Field(None, description="Required with provider http.")
    twilio: TwilioConfig | None = Field(None, description="Required with provider twilio.")
    timeout: Duration = Field(timedelta(seconds=10), description="Whole request, connect to last byte.")
    time_zone: TimeZoneName = Field(
        "Europe/Berlin", description="Times in the text ('seit 19:50') are local to this zone."
    )
    inbound: SmsInboundConfig | None = Field(None, description="Replies acknowledge (none = replies are ignored).")

    @model_validator(mode="after")
    def _provider_section(self) -> SmsConfig:
        if getattr(self, self.provider) is None:
            raise ValueError(f"provider {self.provider} needs an sms.{self.provider} section")
        if self.timeout.total_seconds() <= 0:
            raise ValueError("timeout must be positive")
        return self

    @model_validator(mode="after")
    def _inbound_is_authenticated(self) -> SmsConfig:
        """Every reply route that would be mounted has its authentication (see SmsInboundConfig)."""
        inbound = self.inbound
        if inbound is None:
            return self
        if self.provider == "http" and not inbound.token_env:
            raise _field_error(
                ("inbound", "token_env"),
                "required with provider http: POST /sms/reply acknowledges incidents and is only served "
                "with a bearer token (name the environment variable that holds it)",
            )
        if self.provider == "twilio" and not inbound.twilio_url:
            raise _field_error(
                ("inbound", "twilio_url"),
                "required with provider twilio: the public URL of POST /sms/twilio as entered at Twilio "
                "(its signature covers that URL; behind a proxy warner cannot work it out)",
            )
        return self

    def reply_routes(self) -> list[str]:
        """The reply webhooks this config mounts (each with its authentication)."""
        if self.inbound is None:
            return []
        routes = ["/sms/twilio"] if self.provider == "twilio" else []
        return routes + (["/sms/reply"] if self.inbound.token_env else [])

    def missing_secrets(self) -> list[str]:
        """One message per secret the active provider needs but the environment lacks."""
        checks: list[tuple[str | None, str]] = []
        if self.provider == "http" and self.http is not None:
            if self.http.auth == "basic":
                checks += [(self.http.user_env, "sms.http.user_env"), (self.http.password_env, "sms.http.password_env")]
            if self.http.auth == "bearer":
                checks.append((self.http.token_env, "sms.http.token_env"))
        if self.provider == "twilio" and self.twilio is not None:
            checks.append((self.twilio.auth_token_env, "sms.twilio.auth_token_env"))
        if self.inbound is not None and self.inbound.token_env:
            checks.append((self.inbound.token_env, "sms.inbound.token_env"))
        return [
            f"environment variable {env} is not set ({field})"
            for env, field in checks
            if env and not os.environ.get(env)
        ]
