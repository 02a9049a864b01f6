"""The escalation engine: routes incidents to policies and runs their durable timers.

It wires the stages together — the step interpreter (``steps.py``), the page gates
(``gates.py``), delivery records (``deliveries.py``), message updates (``updates.py``) and the
typed escalation hash (``state.py``, ``store.py``) — and owns what joins them: reacting to the
detector's events and to people's responses, the timer loop, and dispatching each timer by
its kind.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog
from redis.exceptions import RedisError

from warner.core import LEVELS, Clock, Severity
from warner.incidents.lifecycle import IncidentLifecycle, Response, Transition, split_id
from warner.incidents.model import Incident, IncidentEvent
from warner.incidents.store import IncidentStore
from warner.notify.base import PageKind
from warner.oncall.escalation.gates import (
    FlappingGuard,
    HourlyCeiling,
    OncePerMark,
    PageGate,
    PageRequest,
    QuietHours,
    StillOpen,
)
from warner.oncall.escalation.paging import PageDispatcher
from warner.oncall.escalation.protocols import AckCode, Directory, Sender, incident_id_as_code
from warner.oncall.escalation.redelivery import Redelivery
from warner.oncall.escalation.state import (
    EscalationState,
    HeldTimer,
    RedeliverTimer,
    RemindTimer,
    ResumeTimer,
    StepTimer,
    UpdateTimer,
    parse_timer_payload,
)
from warner.oncall.escalation.steps import (
    PageTargets,
    ResolveIncident,
    ScheduleStep,
    StartReminders,
    StepInterpreter,
    StopOutsideTimeRange,
)
from warner.oncall.escalation.store import EscalationStore
from warner.oncall.escalation.timeline import Timeline
from warner.oncall.escalation.updates import MessageUpdates
from warner.oncall.policy_config import NOTIFY_KINDS, EscalationConfig, EscalationStep, Policy
from warner.oncall.timers import Timer, TimerStore

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5  # a timer that failed this often is dropped (and logged), not retried forever

_RANK: dict[str, int] = {severity: i for i, severity in enumerate(LEVELS)}


class EscalationEngine:
    def __init__(
        self,
        redis: RedisClient,
        config: EscalationConfig,
        roster: Directory,
        sender: Sender,
        clock: Clock,
        *,
        ack_code: AckCode = incident_id_as_code,
        lease: float = 120.0,
        poll: float = 1.0,
        audit_every: float = 30.0,
    ) -> None:
        self.redis = redis
        self.config = config
        self.roster = roster
        self.sender = sender
        self.clock = clock
        self.ack_code = ack_code
        self.poll = poll
        self.audit_every = audit_every
        self.tz = ZoneInfo(config.time_zone)
        self.incidents = IncidentStore(redis)
        self.lifecycle = IncidentLifecycle(redis, clock)
        self.timers = TimerStore(redis, clock, lease=lease)
        self._wake = asyncio.Event()
        self.store = EscalationStore(redis, self.timers, clock, poll=poll, wake=self._wake)
        self.timeline = Timeline(redis, self.incidents, clock)
        self.updates = MessageUpdates(config, roster, sender, clock, self.store, self.timeline)
        self.steps = StepInterpreter(self.tz, roster.is_off_hours, config.repeat_interval, config.quiet_hours_recheck)
        gates: list[PageGate] = [
            OncePerMark(self.store),
            QuietHours(roster, self.steps.local, config.quiet_hours_recheck),
            HourlyCeiling(redis, config.max_pages_per_person_per_hour),
            StillOpen(self.lifecycle.get),
        ]
        self.redelivery = Redelivery(
            redis, self.store, clock, config.redeliver_after, config.redeliver_max_interval, self._wake
        )
        self.paging = PageDispatcher(
            roster, sender, ack_code, clock, self.store, self.timeline, gates, config.quiet_hours_recheck,
            self.redelivery,
        )
        self.flapping = FlappingGuard(self.lifecycle.reopens_since, config.flapping.max_reopens, config.flapping.window)

    # -- the detector's events ------------------------------------------------------------------

    async def on_event(self, event: IncidentEvent) -> None:
        """IncidentHook: start, update, re-open or re-route the escalation of the incident."""
        inc = event.incident
        t = await self.lifecycle.apply(inc.id, "open", via="detector")
        if event.kind == "opened" or t.changed:
            if t.changed:
                await self._start(inc, "first_page")
            return
        state = await self.store.load(inc.id)
        resp = t.response
        rose = _RANK.get(inc.severity, 0) > _RANK.get(state.severity or "info", 0)
        await self.store.set_severity(inc.id, inc.severity)
        if event.kind in ("escalated", "reopened") and resp.state in ("resolved", "false_alarm", "snoozed"):
            reopened = await self.lifecycle.apply(inc.id, "reopen", via="detector")
            if reopened.changed:
                await self._reopened(inc, reopened.response)
            return
        if resp.state == "open" and rose:
            policy = self._route(inc.severity)
            if policy is not None and policy.id != state.policy_id:
                await self._start(inc, "severity_rose")
                return
        if resp.state == "acknowledged" and rose and resp.acknowledged_by:
            await self._page_acker(inc, resp, state)
        await self.updates.incident_changed(inc, resp, state)

    # -- the people's responses -----------------------------------------------------------------

    async def on_response(self, t: Transition) -> None:
        """Listener of IncidentResponder: stop or pause pages, edit sent messages to show the state."""
        r = t.response
        if r.state == "open":
            return
        iid = r.incident_id
        gen = await self.store.bump_gen(iid)
        await self.store.cancel_timers(iid)
        await self.store.clear_update_due(iid)
        if r.state == "snoozed" and r.snoozed_until is not None:
            resume = ResumeTimer(gen)
            await self.store.schedule(iid, resume, resume.suffix(), r.snoozed_until)
        await self.timeline.note(
            iid, "paused" if r.state == "snoozed" else "stopped", reason=t.step, by=t.by, via=t.via
        )
        inc = await self._incident(iid)
        if inc is not None:
            kind: PageKind = "resolved" if r.final else "acknowledged"
            await self.updates.edit_all(inc, kind, r, reason=t.step)

    # -- the timer loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Run due steps until ``stop`` is set; beat the heartbeat and audit leases as it goes."""
        last_audit = float("-inf")
        failing = 0  # passes in a row that Redis failed
        while not stop.is_set():
            wait = self.poll
            try:
                await self.timers.beat()
                if self.clock.now() - last_audit >= self.audit_every:
                    await self.audit()
                    last_audit = self.clock.now()
                await self.run_due()
                nxt = await self.timers.next_due()
                if nxt is not None:
                    wait = min(wait, max(nxt - self.clock.now(), 0.0))
                failing = 0
            except RedisError as exc:  # Redis away for a moment: one line per pass, backing off, no traceback
                failing += 1
                wait = min(self.poll * 2**failing, 10.0)
                log.warning("escalation_pass_failed", error=f"{type(exc).__name__}: {exc}", retry_in_s=wait)
            except Exception:  # a bug: with its traceback
                log.exception("escalation_pass_failed")
            await self._sleep(stop, max(wait, 0.01))

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        """Until ``seconds`` pass, ``stop`` is set, or a step fell due now (``_wake``)."""
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
            self._wake.clear()

    async def run_due(self, limit: int = 50) -> int:
        """Claim and run every due timer; returns how many ran.

        Timers of different incidents run side by side, each incident's in order: a phone call
        rings for up to ``ring_timeout`` before its outcome is known, and one incident's call
        must not hold another incident's first page for that long.
        """
        ran = 0
        while batch := await self.timers.claim(limit):
            by_incident: dict[str, list[Timer]] = {}
            for timer in batch:
                by_incident.setdefault(timer.owner, []).append(timer)
            ran += sum(await asyncio.gather(*(self._run_in_order(timers) for timers in by_incident.values())))
        return ran

    async def _run_in_order(self, timers: list[Timer]) -> int:
        ran = 0
        for timer in timers:
            try:
                await self._fire(timer)
            except Exception:
                log.exception("timer_failed", timer=timer.id, attempt=timer.attempt)
                if timer.attempt < MAX_ATTEMPTS:
                    continue  # the lease expires and the auditor re-drives it
            await self.timers.complete(timer)
            ran += 1
        return ran

    async def audit(self) -> int:
        """Re-drive timers whose worker died; log what the heartbeat and backlog say."""
        n = await self.timers.redrive()
        if n:
            log.warning("timers_redriven", count=n)
        return n

    # -- starting and re-opening ----------------------------------------------------------------

    def _route(self, severity: Severity) -> Policy | None:
        return self.config.route_for(severity, self.roster.is_off_hours(self._local()))

    async def _start(self, inc: Incident, reason: str) -> None:
        iid, now = inc.id, self.clock.now()
        policy = self._route(inc.severity)
        await self.store.cancel_timers(iid)
        if policy is None:
            await self.store.set_severity(iid, inc.severity)
            await self.timeline.note(iid, "no_route", severity=inc.severity, reason="digest only")
            log.info("escalation_no_route", incident=iid, severity=inc.severity)
            return
        gen = await self.store.bump_gen(iid)
        await self.store.freeze_policy(iid, policy, inc.severity, now)
        await self.store.clear_update_due(iid)
        due = now + self.config.wait_before_first_page(inc.severity)
        await self.store.schedule_step(iid, StepTimer(gen, 0, 0), due)
        await self.timeline.note(
            iid, "started", policy=policy.id, severity=inc.severity, reason=reason, first_page_at=due
        )
        log.info("escalation_started", incident=iid, policy=policy.id, severity=inc.severity, reason=reason)

    async def _reopened(self, inc: Incident, resp: Response) -> None:
        reopens = await self.flapping.reopens_if_flapping(inc.id, self.clock.now())
        if reopens is not None:
            await self.timeline.note(inc.id, "flapping", reopens=reopens, reason="updates only")
            log.warning("incident_flapping", incident=inc.id, reopens=reopens)
            await self.updates.edit_all(inc, "update", resp, reason=self.flapping.name)
            return
        await self._start(inc, "new_surge")

    # -- running a timer ------------------------------------------------------------------------

    async def _fire(self, timer: Timer) -> None:
        iid = timer.owner
        payload = parse_timer_payload(timer.payload)
        state = await self.store.load(iid)
        if payload is None or state.gen != payload.gen:
            return  # acked, snoozed or restarted since this was scheduled (or a kind this version doesn't know)
        inc = await self._incident(iid)
        resp = await self.lifecycle.get(iid)
        if inc is None or resp is None:
            return
        match payload:
            case UpdateTimer():
                await self.updates.interval_ended(inc, resp)
            case ResumeTimer():
                await self._resume(inc, state, payload.gen)
            case _ if resp.state != "open":
                return
            case StepTimer():
                await self._step(inc, state, timer, payload)
            case RemindTimer():
                await self._remind(inc, state, timer, payload)
            case HeldTimer():
                await self._held(inc, timer, payload)
            case RedeliverTimer(target=target):
                request = PageRequest(inc, target.recipient, target.step, payload.gen, payload.page, payload.reason,
                                      target.level, timer.id, target.is_person, payload.n, payload.origin)  # fmt: skip
                await self.paging.page(request)

    async def _step(self, inc: Incident, state: EscalationState, timer: Timer, p: StepTimer) -> None:
        iid, gen = inc.id, p.gen
        policy = state.frozen_policy()
        match self.steps.decide(policy, p.pos, p.iteration, p.k, self.clock.now()):
            case StartReminders(due=due):
                remind = RemindTimer(gen, 1)
                await self.store.schedule(iid, remind, remind.suffix(), due)
            case ScheduleStep() as nxt:
                await self._schedule_step(iid, gen, nxt)
            case StopOutsideTimeRange(step=pos, reason=reason):
                await self.timeline.note(iid, "stopped", reason=reason, step=pos)
            case ResolveIncident():
                t = await self.lifecycle.apply(iid, "resolve", "warner", "policy")
                if t.changed:
                    await self.on_response(t)
            case PageTargets(step=step, level=level, kind=kind, reason=reason, then=nxt):
                targets = await self.paging.targets(inc, policy.id, p.pos, step, timer.id, self._local())
                # everyone at once: one person's ringing phone does not delay the next person's page
                await asyncio.gather(
                    *(
                        self.paging.page(PageRequest(inc, recipient, step, gen, kind, reason, level, timer.id, person))
                        for recipient, person in targets
                    )
                )
                await self._schedule_step(iid, gen, nxt)

    async def _schedule_step(self, iid: str, gen: int, nxt: ScheduleStep) -> None:
        await self.store.schedule_step(iid, StepTimer(gen, nxt.pos, nxt.iteration, nxt.k), nxt.due)

    async def _held(self, inc: Incident, timer: Timer, p: HeldTimer) -> None:
        try:
            recipient = self.roster.recipient(p.person)
        except LookupError:
            return
        await self.paging.page(PageRequest(inc, recipient, p.step, p.gen, p.page, p.reason, p.level, timer.id, True))

    async def _remind(self, inc: Incident, state: EscalationState, timer: Timer, p: RemindTimer) -> None:
        for target in state.paged.values():
            request = PageRequest(
                incident=inc,
                recipient=target.recipient,
                step=target.step,
                gen=p.gen,
                kind="reminder",
                reason="repeat_interval",
                level=target.level,
                mark=timer.id,
                person=target.is_person,
            )
            await self.paging.page(request)
        nxt = RemindTimer(p.gen, p.n + 1)
        await self.store.schedule(inc.id, nxt, nxt.suffix(), self.clock.now() + self.steps.repeat_s)

    async def _page_acker(self, inc: Incident, resp: Response, state: EscalationState) -> None:
        try:
            recipient = self.roster.recipient(resp.acknowledged_by or "")
        except LookupError:
            return
        policy = self._route(inc.severity)
        notify = next((s for s in policy.steps if s.kind in NOTIFY_KINDS), None) if policy else None
        step = notify or EscalationStep.model_validate({"notify_persons": [recipient.id]})
        mark = f"rose:{state.gen}:{inc.severity}"
        await self.paging.page(
            PageRequest(inc, recipient, step, state.gen, "escalation", "severity_rose", 0, mark, True)
        )

    async def _resume(self, inc: Incident, state: EscalationState, gen: int) -> None:
        t = await self.lifecycle.apply(inc.id, "wake", "warner", "snooze")
        if not t.changed:
            return
        await self.timeline.note(inc.id, "resumed", reason="snooze_ended")
        await self.updates.edit_all(inc, "update", t.response, reason="snooze_ended")
        if state.policy is not None:
            await self.store.schedule_step(inc.id, StepTimer(gen, state.next_pos, state.next_iter), self.clock.now())

    # -- small parts ----------------------------------------------------------------------------

    async def _incident(self, iid: str) -> Incident | None:
        return await self.incidents.get(*split_id(iid))

    def _local(self) -> datetime:
        return self.steps.local(self.clock.now())
