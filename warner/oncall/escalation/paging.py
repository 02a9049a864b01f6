"""Paging one recipient: whom a notify step reaches, the gates a page passes, delivery and record.

The engine decides *that* a step pages (``steps.py``); this module turns that into pages:
it resolves the step's targets (a rotation pick is remembered per timer), lets each
``PageRequest`` pass the gates in order (``gates.py``), delivers it over the step's channels,
records every attempt (``timeline.py``) and remembers whom it paged for reminders.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from warner.core import Clock, Recipient
from warner.incidents.model import Incident
from warner.notify.base import Page
from warner.oncall.escalation.channels import plan_channels
from warner.oncall.escalation.gates import PageGate, PageRequest, Verdict
from warner.oncall.escalation.protocols import AckCode, Directory, Sender
from warner.oncall.escalation.redelivery import Redelivery
from warner.oncall.escalation.state import HeldTimer, PagedTarget
from warner.oncall.escalation.steps import known_people, targets_for
from warner.oncall.escalation.store import EscalationStore
from warner.oncall.escalation.timeline import Timeline
from warner.oncall.policy_config import EscalationStep

log = structlog.get_logger(__name__)


class PageDispatcher:
    def __init__(
        self,
        roster: Directory,
        sender: Sender,
        ack_code: AckCode,
        clock: Clock,
        store: EscalationStore,
        timeline: Timeline,
        gates: list[PageGate],
        quiet_recheck: timedelta = timedelta(minutes=5),
        redelivery: Redelivery | None = None,
    ) -> None:
        self.roster = roster
        self.sender = sender
        self.ack_code = ack_code
        self.clock = clock
        self.store = store
        self.timeline = timeline
        self.gates = gates
        self.quiet_recheck_s = quiet_recheck.total_seconds()  # a page whose every channel is quiet: try again then
        self.redelivery = redelivery  # a page no channel delivered is tried again (None: it is only noted)

    async def targets(
        self, inc: Incident, policy_id: str, pos: int, step: EscalationStep, mark: str, at: datetime
    ) -> list[tuple[Recipient, bool]]:
        """The recipients of a notify step, each with whether it is a person (not a team chat)."""
        targets = targets_for(step, self.roster, at)
        if targets.chat is not None:
            return [(targets.chat, False)]
        ids = targets.people
        if targets.rotation:
            ids = (await self.store.pick_next_person(inc.id, policy_id, pos, targets.rotation, mark),)
        found, unknown = known_people(ids, self.roster)
        for pid in unknown:
            log.error("page_unknown_person", incident=inc.id, person=pid)
            await self.timeline.note(inc.id, "unknown_person", person=pid)
        if not found:
            log.error("page_nobody_to_page", incident=inc.id, step=pos, kind=step.kind)
            await self.timeline.note(inc.id, "nobody_to_page", step=pos, target=step.kind)
        return [(recipient, True) for recipient in found]

    async def page(self, request: PageRequest) -> None:
        """Page one recipient unless a gate stops it; record every attempt."""
        now = self.clock.now()
        for gate in self.gates:
            verdict = await gate.check(request, now)
            if verdict is not None:
                await self._stopped_by(request, verdict)
                return
        inc, recipient, step = request.incident, request.recipient, request.step
        iid, rid = inc.id, recipient.id
        contact = self.roster.contact(recipient, datetime.fromtimestamp(now, UTC))
        plan = plan_channels(step, contact, critical=inc.severity == "critical")
        if plan.held_by_quiet:
            retry_at = now + self.quiet_recheck_s
            await self._stopped_by(request, Verdict("channel_quiet_hours", "hold", retry_at=retry_at))
            return
        if plan.left_out:
            log.info("page_channels_quiet", incident=iid, person=rid, left_out=list(plan.left_out))
        page = Page(inc, recipient, request.kind, await self.ack_code(iid, rid), escalation_level=request.level)
        if plan.delivery == "all":
            deliveries = await self.sender.deliver_all(page, plan.channels)
        else:
            deliveries = await self.sender.deliver(page, plan.channels)
        await self.timeline.record(inc, page, deliveries, request.reason)
        await self.store.remember_paged(iid, PagedTarget(recipient, step, request.level))
        await self.store.set_first_update(iid, now)
        if not any(d.ok for d in deliveries):
            log.error("page_undeliverable", incident=iid, recipient=rid, channels=plan.channels, retry=request.retry)
            again = await self.redelivery.schedule(request) if self.redelivery is not None else None
            await self.timeline.note(
                iid, "undeliverable", recipient=rid, channels=plan.channels, retry=request.retry, again_at=again
            )

    async def _stopped_by(self, request: PageRequest, verdict: Verdict) -> None:
        """A held page is tried again later; a suppressed one is noted; a skipped one leaves no trace."""
        iid, rid, reason = request.incident.id, request.recipient.id, verdict.gate
        if verdict.outcome == "hold" and verdict.retry_at is not None:
            held = HeldTimer(request.gen, rid, request.step, request.kind, request.reason, request.level)
            await self.store.schedule(iid, held, held.suffix(request.mark), verdict.retry_at)
            await self.timeline.note(iid, "page_held", person=rid, reason=reason, until_at_least=verdict.retry_at)
            log.info("page_held", incident=iid, person=rid, reason=reason)
        elif verdict.outcome == "suppress":
            await self.timeline.note(iid, "page_suppressed", person=rid, reason=reason)
            log.warning("page_suppressed", incident=iid, person=rid, reason=reason)
