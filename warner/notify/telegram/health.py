"""The Telegram poller's health, as /readyz shows it: a plain record, no bot library loaded.

``UpdatePoller`` (poller.py) keeps it current; the pager of every process has one, so a
process that is not the poller says so (``polling: false``) rather than nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class PollerHealth:
    """This process's poller: ``up`` while its last getUpdates worked; ``since`` when that last changed."""

    polling: bool = False  # this process holds the poller lease
    up: bool = False
    since: float | None = None
    last_error: str | None = None
    failures: int = 0  # in a row

    def as_json(self) -> dict[str, Any]:
        return {"polling": self.polling, "up": self.up, "since": self.since, "last_error": self.last_error,
                "failures": self.failures}  # fmt: skip
