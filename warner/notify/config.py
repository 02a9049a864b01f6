"""The ``notify:`` section: which channels exist and how hard each is tried."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from warner.config.common import Duration, Section
from warner.notify.email.config import EmailConfig
from warner.notify.slack.config import SlackConfig
from warner.notify.sms.config import SmsConfig
from warner.notify.teams.config import TeamsConfig
from warner.notify.telegram.config import TelegramConfig
from warner.notify.voice.config import VoiceConfig


class RetryConfig(Section):
    """Per channel, before failing over to the next one (see ``notify/delivery.py``)."""

    max_attempts: int = Field(3, ge=1, le=10, description="Tries on one channel before failing over to the next.")
    base_delay: Duration = Field(
        timedelta(seconds=1), description="Longest wait before the first retry (random below it); doubles per retry."
    )
    max_delay: Duration = Field(timedelta(seconds=20), description="Longest wait between two tries.")
    max_retry_after: Duration = Field(
        timedelta(seconds=30), description="Wait at most this long when a channel asks to; else fail over."
    )


class NotifyConfig(Section):
    telegram: TelegramConfig | None = Field(None, description="Pages and the bot on Telegram (none = no Telegram).")
    sms: SmsConfig | None = Field(None, description="Pages by SMS through a gateway (none = no SMS).")
    teams: TeamsConfig | None = Field(
        None, description="Announcements in Microsoft Teams, to teams with teams_webhook_env (none = no Teams)."
    )
    slack: SlackConfig | None = Field(
        None, description="Announcements in Slack, to teams with slack_webhook_env (none = no Slack)."
    )
    email: EmailConfig | None = Field(None, description="Pages and the digest by e-mail over SMTP (none = no mail).")
    voice: VoiceConfig | None = Field(None, description="Pages as phone calls, channel `call` (none = no calls).")
    console: bool = Field(False, description="Also print every page on the terminal (demo, development).")
    retry: RetryConfig = Field(RetryConfig(), description="Retries of a failed delivery, per channel.")

    @property
    def channels(self) -> list[str]:
        """Names of the configured channels, as escalation steps refer to them."""
        names = [name for name in ("telegram", "sms", "email", "teams", "slack") if getattr(self, name) is not None]
        if self.voice is not None:
            names.append("call")
        return [*names, "console"] if self.console else names
