"""Typed configuration of the Slack channel.

The incoming-webhook URLs are per team (``oncall.teams[].slack_webhook_env``) and secret (the
path is the credential), read from the environment when the channel is built. With
``signing_secret_env`` the messages carry an acknowledge button and ``POST /slack/interactions``
is mounted; every request to it must carry Slack's signature made with that secret.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from warner.config.common import ENV_NAME, Duration, Section, TimeZoneName


class SlackConfig(Section):
    """Announcements in Slack channels (incoming webhooks of oncall.teams), optionally with a signed ack button."""

    timeout: Duration = Field(timedelta(seconds=10), description="Whole request, connect to last byte.")
    time_zone: TimeZoneName = Field(
        "Europe/Berlin", description="Times in the message ('seit 19:50') are local to this zone."
    )
    top_posts: int = Field(3, ge=0, le=5, description="How many of the posts driving the storm the message shows.")
    signing_secret_env: str | None = Field(
        None,
        pattern=ENV_NAME,
        description="Variable holding the Slack app's signing secret. Set: messages get an acknowledge button "
        "and POST /slack/interactions is mounted (Slack's Interactivity Request URL); people are matched by "
        "oncall.people[].slack_user_id. None: messages only announce.",
    )

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("timeout must be positive")
        return value
