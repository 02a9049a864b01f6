"""Typed configuration of the Microsoft Teams channel.

The webhook URLs are per team (``oncall.teams[].teams_webhook_env``): a Workflows URL carries
its own signature (``sig=``) and is a secret, so it lives in an environment variable, read when
the channel is built. This section only switches the channel on and says how long to wait.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from warner.config.common import Duration, Section, TimeZoneName


class TeamsConfig(Section):
    """Announcements in Microsoft Teams channels (Workflows webhooks of oncall.teams)."""

    timeout: Duration = Field(timedelta(seconds=10), description="Whole request, connect to last byte.")
    time_zone: TimeZoneName = Field(
        "Europe/Berlin", description="Times on the card ('seit 19:50') are local to this zone."
    )
    top_posts: int = Field(3, ge=0, le=5, description="How many of the posts driving the storm the card shows.")

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("timeout must be positive")
        return value
