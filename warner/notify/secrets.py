"""Secrets of the channels: named in the YAML by ``*_env`` keys, read from the environment, never written in.

Every channel (SMS, calls, e-mail, team-chat webhooks) follows the same three rules, so they live
here once: a secret typed into the YAML is refused with a hint (``NoSecretsInYaml``); a variable
that is not set is an error that names the variable and the key (``read_secret``), because it is
found at an inconvenient hour; and a config problem points at the key below the section
(``field_error``), not at the section.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from warner.config.common import Section

SECRET_KEYS = frozenset({"password", "token", "secret", "auth_token", "api_key"})


class MissingSecretError(RuntimeError):
    """An ``*_env`` variable named in the config is not set."""


def read_secret(env_name: str, field: str) -> str:
    """The value of ``env_name``; ``MissingSecretError`` naming it and the config key ``field`` when unset."""
    value = os.environ.get(env_name, "")
    if not value:
        raise MissingSecretError(f"environment variable {env_name} is not set ({field})")
    return value


def field_error(model: str, loc: tuple[str, ...], message: str) -> ValidationError:
    """A validation error located at ``loc`` below the model raising it, so the config error names
    the key (``notify.sms.inbound.token_env``), not just the section."""
    error = PydanticCustomError("value_error", message)
    return ValidationError.from_exception_data(model, [InitErrorDetails(type=error, loc=loc, input=None)])


class NoSecretsInYaml(Section):
    """A section whose secrets come from the environment: a password, token or key in the YAML is refused."""

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_yaml(cls, data: Any) -> Any:
        if isinstance(data, dict) and SECRET_KEYS & set(data):
            found = ", ".join(sorted(SECRET_KEYS & set(data)))
            raise ValueError(
                f"secrets are not read from YAML ({found}): put them in environment variables "
                "and name those in the *_env fields"
            )
        return data
