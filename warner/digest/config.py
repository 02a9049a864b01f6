"""The ``digest:`` section: when the weekly digest goes out, to whom, and where it is kept."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field

from warner.config.common import Section, Slug, TimeOfDay, TimeZoneName, Weekday


class DigestConfig(Section):
    enabled: bool = Field(True, description="Send the digest from `warner run` every week.")
    weekday: Weekday = Field("monday", description="Day it goes out, about the last complete week.")
    at: TimeOfDay = Field(time(8, 0), description='Local time it goes out, e.g. "08:00" (quoted).')
    time_zone: TimeZoneName = Field("Europe/Berlin", description="Zone of weekday and at, and of the weeks.")
    recipients: list[Slug] = Field(
        default_factory=list, description="On-call people (oncall.people ids) who get it on Telegram."
    )
    out_dir: Path | None = Field(None, description="Where the reports are saved; default: <data dir>/digests.")

    def directory(self, data_dir: Path | None) -> Path:
        if self.out_dir is not None:
            return self.out_dir
        from warner.store.embedded import default_data_dir

        return (data_dir or default_data_dir()) / "digests"
