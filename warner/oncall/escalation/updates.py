"""Message updates: an incident that changes edits the messages already sent, not new pages.

Alertmanager's ``group_interval``: at most one round of edits per interval; a change within
the interval schedules one round at its end (an ``UpdateTimer``). Acks, snoozes, resolutions,
re-opens of a flapping incident and the end of a snooze edit every sent message at once, with
a line that says who did what.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from warner.core import Clock, Recipient
from warner.incidents.lifecycle import Response, state_line
from warner.incidents.model import Incident
from warner.notify.base import Page, PageKind
from warner.oncall.escalation.protocols import Directory, Sender
from warner.oncall.escalation.state import EscalationState, UpdateTimer
from warner.oncall.escalation.store import EscalationStore
from warner.oncall.escalation.timeline import Timeline
from warner.oncall.policy_config import EscalationConfig


class MessageUpdates:
    def __init__(
        self,
        config: EscalationConfig,
        roster: Directory,
        sender: Sender,
        clock: Clock,
        store: EscalationStore,
        timeline: Timeline,
    ) -> None:
        self.config = config
        self.roster = roster
        self.sender = sender
        self.clock = clock
        self.store = store
        self.timeline = timeline
        self.tz = ZoneInfo(config.time_zone)

    async def incident_changed(self, inc: Incident, resp: Response, state: EscalationState) -> None:
        """Edit now if the last round is a group_interval ago, else schedule one round (once)."""
        if not await self.timeline.any_sent(inc.id):
            return  # nothing sent yet: the first page carries the latest numbers
        now = self.clock.now()
        due = (state.last_update_at or 0.0) + self.config.group_interval.total_seconds()
        if due <= now:
            await self.store.set_last_update(inc.id, now)
            await self.edit_all(inc, "update", resp, reason="incident_changed")
        elif await self.store.claim_update_due(inc.id, due):
            timer = UpdateTimer(state.gen)
            await self.store.schedule(inc.id, timer, timer.suffix(due), due)

    async def interval_ended(self, inc: Incident, resp: Response) -> None:
        """The scheduled round of edits (an UpdateTimer fired)."""
        await self.store.clear_update_due(inc.id)
        await self.store.set_last_update(inc.id, self.clock.now())
        await self.edit_all(inc, "update", resp, reason="group_interval")

    async def edit_all(self, inc: Incident, kind: PageKind, resp: Response | None, reason: str) -> None:
        """Edit every sent message (on a channel that can edit) to show ``kind`` and the response state."""
        for m in await self.timeline.sent_messages(inc.id):
            if m.channel not in self.config.update_channels:
                continue
            line = None
            if resp is not None and resp.state != "open":
                line = state_line(resp, m.recipient.language, self._person, self.tz)
            page = Page(inc, m.recipient, kind, m.ack_code, m.ref, line, m.level)
            await self.timeline.record(inc, page, await self.sender.deliver(page, [m.channel]), reason)

    def _person(self, pid: str) -> Recipient | None:
        try:
            return self.roster.recipient(pid)
        except LookupError:
            return None
