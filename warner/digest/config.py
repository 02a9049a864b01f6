"""The ``digest:`` section: when the weekly digest goes out, to whom, and where it is kept."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Protocol

from pydantic import Field

from warner.config.common import Section, Slug, TimeOfDay, TimeZoneName, Weekday
from warner.ingest.config import BrandConfig
from warner.notify.config import NotifyConfig
from warner.oncall.config import OncallConfig
from warner.store.config import RedisConfig, RetentionConfig


class DigestConfig(Section):
    enabled: bool = Field(True, description="Send the digest from `warner run` every week.")
    weekday: Weekday = Field("monday", description="Day it goes out, about the last complete week.")
    at: TimeOfDay = Field(time(8, 0), description='Local time it goes out, e.g. "08:00" (quoted).')
    time_zone: TimeZoneName = Field("Europe/Berlin", description="Zone of weekday and at, and of the weeks.")
    recipients: list[Slug] = Field(
        default_factory=list,
        description="On-call people (oncall.people ids) who get it: on Telegram, by mail (notify.email), or both.",
    )
    announce_to: list[Slug] = Field(
        default_factory=list,
        description="Teams (oncall.teams ids) whose Teams and Slack channels get the digest (their webhooks).",
    )
    out_dir: Path | None = Field(None, description="Where the reports are saved; default: <data dir>/digests.")

    def directory(self, data_dir: Path | None) -> Path:
        if self.out_dir is not None:
            return self.out_dir
        from warner.store.embedded import default_data_dir

        return (data_dir or default_data_dir()) / "digests"


class ConsoleAddress(Protocol):
    """Where people reach the web console (``web.public_url``): the digest's announcements link to it."""

    @property
    def public_url(self) -> str | None: ...


class DigestSettings(Protocol):
    """What the weekly digest reads of warner's config: its own section, who is on call and how they are reached,
    the brands, and what Redis keeps how long. The root ``Config`` is one; declared here so that the digest never
    imports the root."""

    @property
    def digest(self) -> DigestConfig: ...

    @property
    def notify(self) -> NotifyConfig: ...

    @property
    def oncall(self) -> OncallConfig: ...

    @property
    def brands(self) -> list[BrandConfig]: ...

    @property
    def bucket(self) -> timedelta: ...

    @property
    def retention(self) -> RetentionConfig: ...

    @property
    def redis(self) -> RedisConfig: ...

    @property
    def web(self) -> ConsoleAddress: ...
