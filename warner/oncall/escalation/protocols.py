"""What the escalation needs from the rest of warner, as protocols: people, delivery, ack codes.

The engine and its stages depend on these shapes, not on the on-call config or the channels,
so each stage can be built and tested with a small directory and a recording sender.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from warner.core import Recipient
from warner.notify.base import Delivery, Page
from warner.oncall.escalation.channels import Contact


class Directory(Protocol):
    """What escalation asks about people: who someone is and how to reach them, who is on call, whether
    it is off-hours or someone's quiet hours. ``warner.directory.ConfigDirectory`` answers from the config,
    with ``oncall.schedule.Roster`` (the compiled schedules) for who is on call."""

    def recipient(self, person_id: str) -> Recipient:
        """Raises LookupError for an unknown person."""
        ...

    def on_call(self, schedule_id: str, at: datetime) -> list[str]: ...

    def team_chat(self, team_id: str) -> Recipient | None: ...

    def is_off_hours(self, at: datetime) -> bool: ...

    def in_quiet_hours(self, person_id: str, at: datetime) -> bool: ...

    def contact(self, recipient: Recipient, at: datetime) -> Contact:
        """How ``recipient`` wants to be reached at ``at``: their channel order and the channels quiet then."""
        ...


class Sender(Protocol):
    """Delivers one page over ``order`` (failover order), or over all ``channels`` at once; reports every attempt."""

    async def deliver(self, page: Page, order: list[str]) -> list[Delivery]: ...

    async def deliver_all(self, page: Page, channels: list[str]) -> list[Delivery]: ...


AckCode = Callable[[str, str], Awaitable[str]]  # (incident id, recipient id) -> code; e.g. AckCodes.issue


async def incident_id_as_code(incident_id: str, recipient_id: str) -> str:
    """The default AckCode: the incident id itself."""
    return incident_id
