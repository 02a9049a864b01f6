"""Escalation: page people about an incident, step by step, until somebody answers.

An incident that opens is routed (severity x business/off hours) to a policy, which is
frozen into the incident's escalation hash: edits of the config apply to new incidents.
Each step runs from a durable timer (``timers.py``), so a restart continues an escalation
at the right moment and two engines never run the same step. A *generation* counter in the
escalation hash makes old timers harmless: an ack, a snooze or a restart bumps it, and a
timer of an older generation does nothing.

Noise control in Alertmanager's terms: ``group_wait`` before the first page (per
severity), updates of an incident edit the messages already sent (at most one edit round
per ``group_interval``), ``repeat_interval`` reminds everyone paged while nobody
acknowledges, a per-person ceiling per hour, and a flapping guard (an incident that keeps
re-opening gets updates only). Every delivery attempt and every decision not to page lands
in the incident timeline with a named reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import orjson
import redis.asyncio as aioredis
import structlog

from warner.core import LEVELS, Clock, Recipient, Severity
from warner.incidents.lifecycle import (
    IncidentLifecycle,
    Response,
    Transition,
    split_id,
    state_line,
)
from warner.incidents.model import Incident, IncidentEvent
from warner.incidents.store import IncidentStore
from warner.notify.base import Delivery, Page, PageKind
from warner.oncall.policy_config import (
    NOTIFY_KINDS,
    EscalationConfig,
    EscalationStep,
    OnlyIf,
    Policy,
)
from warner.oncall.timers import Timer, TimerStore
from warner.store import keys

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5  # a timer that failed this often is dropped (and logged), not retried forever

_CEILING = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - 3600)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], 3600)
return 1
"""


class Roster(Protocol):
    """Who people are and who is on call (built from the on-call config)."""

    def recipient(self, person_id: str) -> Recipient:
        """Raises LookupError for an unknown person."""
        ...

    def on_call(self, schedule_id: str, at: datetime) -> list[str]: ...

    def team_chat(self, team_id: str) -> Recipient | None: ...

    def is_off_hours(self, at: datetime) -> bool: ...

    def in_quiet_hours(self, person_id: str, at: datetime) -> bool: ...


class Sender(Protocol):
    """Delivers one page over ``order`` (failover order), or over all ``channels`` at once; reports every attempt."""

    async def deliver(self, page: Page, order: list[str]) -> list[Delivery]: ...

    async def deliver_all(self, page: Page, channels: list[str]) -> list[Delivery]: ...


AckCode = Callable[[str, str], Awaitable[str]]  # (incident id, recipient id) -> code; e.g. AckCodes.issue


async def _incident_id_code(incident_id: str, recipient_id: str) -> str:
    return incident_id


class EscalationEngine:
    def __init__(
        self,
        redis: aioredis.Redis,
        config: EscalationConfig,
        roster: Roster,
        sender: Sender,
        clock: Clock,
        *,
        ack_code: AckCode = _incident_id_code,
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
        self.tz = ZoneInfo(config.timezone)
        self.incidents = IncidentStore(redis)
        self.lifecycle = IncidentLifecycle(redis, clock)
        self.timers = TimerStore(redis, clock, lease=lease)
        self._ceiling = redis.register_script(_CEILING)

        # -- the detector's events ------------------------------------------------------------
        self._wake = asyncio.Event()

    async def on_event(self, event: IncidentEvent) -> None:
        """IncidentHook: start, update, re-open or re-route the escalation of the incident."""
        inc = event.incident
        t = await self.lifecycle.apply(inc.id, "open", via="detector")
        if event.kind == "opened" or t.changed:
            if t.changed:
                await self._start(inc, "first_page")
            return
        esc = await self._esc(inc.id)
        resp = t.response
        rose = _rank(inc.severity) > _rank(esc.get("severity", "info"))
        await self.redis.hset(_esc_key(inc.id), "severity", inc.severity)
        if event.kind in ("escalated", "reopened") and resp.state in ("resolved", "false_alarm", "snoozed"):
            reopened = await self.lifecycle.apply(inc.id, "reopen", via="detector")
            if reopened.changed:
                await self._reopened(inc, reopened.response)
            return
        if resp.state == "open" and rose:
            policy = self._route(inc.severity)
            if policy is not None and policy.id != esc.get("policy_id"):
                await self._start(inc, "severity_rose")
                return
        if resp.state == "acknowledged" and rose and resp.acknowledged_by:
            await self._page_acker(inc, resp, esc)
        await self._request_update(inc, resp, esc)

    # -- the people's responses -------------------------------------------------------------

    async def on_response(self, t: Transition) -> None:
        """Listener of IncidentResponder: stop or pause pages, edit sent messages to show the state."""
        r = t.response
        if r.state == "open":
            return
        iid = r.incident_id
        gen = await self.redis.hincrby(_esc_key(iid), "gen", 1)
        await self.timers.cancel_owner(iid)
        await self.redis.hdel(_esc_key(iid), "update_due")
        if r.state == "snoozed" and r.snoozed_until is not None:
            await self._schedule(iid, f"{gen}|resume", r.snoozed_until, {"kind": "resume", "gen": gen})
        await self._note(iid, "paused" if r.state == "snoozed" else "stopped", reason=t.step, by=t.by, via=t.via)
        inc = await self._incident(iid)
        if inc is not None:
            kind: PageKind = "resolved" if r.final else "acknowledged"
            await self._edit_all(inc, kind, r, reason=t.step)

    # -- the timer loop ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Run due steps until ``stop`` is set; beat the heartbeat and audit leases as it goes."""
        last_audit = float("-inf")
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
            except Exception:  # Redis away for a moment: try again next pass
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
        """Claim and run every due timer; returns how many ran."""
        ran = 0
        while batch := await self.timers.claim(limit):
            for timer in batch:
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

    # -- starting and re-opening --------------------------------------------------------------

    def _route(self, severity: Severity) -> Policy | None:
        return self.config.route_for(severity, self.roster.is_off_hours(self._local()))

    async def _start(self, inc: Incident, reason: str) -> None:
        iid, now = inc.id, self.clock.now()
        policy = self._route(inc.severity)
        await self.timers.cancel_owner(iid)
        if policy is None:
            await self.redis.hset(_esc_key(iid), "severity", inc.severity)
            await self._note(iid, "no_route", severity=inc.severity, reason="digest only")
            log.info("escalation_no_route", incident=iid, severity=inc.severity)
            return
        gen = await self.redis.hincrby(_esc_key(iid), "gen", 1)
        frozen = orjson.dumps(policy.model_dump(exclude_none=True), default=_seconds)
        fields = {"policy": frozen, "policy_id": policy.id, "severity": inc.severity, "started_at": now}
        await self.redis.hset(_esc_key(iid), mapping=fields)
        await self.redis.hdel(_esc_key(iid), "update_due")
        due = now + self.config.wait_before_first_page(inc.severity)
        await self._schedule_step(iid, gen, 0, 0, due)
        await self._note(iid, "started", policy=policy.id, severity=inc.severity, reason=reason, first_page_at=due)
        log.info("escalation_started", incident=iid, policy=policy.id, severity=inc.severity, reason=reason)

    async def _reopened(self, inc: Incident, resp: Response) -> None:
        window = self.config.flapping.window.total_seconds()
        reopens = await self.lifecycle.reopens_since(inc.id, self.clock.now() - window)
        if reopens > self.config.flapping.max_reopens:
            await self._note(inc.id, "flapping", reopens=reopens, reason="updates only")
            log.warning("incident_flapping", incident=inc.id, reopens=reopens)
            await self._edit_all(inc, "update", resp, reason="flapping")
            return
        await self._start(inc, "new_surge")

    # -- running a timer ----------------------------------------------------------------------

    async def _fire(self, timer: Timer) -> None:
        p, iid = timer.payload, timer.owner
        esc = await self._esc(iid)
        if int(esc.get("gen", 0)) != p["gen"]:
            return  # acked, snoozed or restarted since this was scheduled
        inc = await self._incident(iid)
        resp = await self.lifecycle.get(iid)
        if inc is None or resp is None:
            return
        kind = p["kind"]
        if kind == "update":
            await self.redis.hdel(_esc_key(iid), "update_due")
            await self.redis.hset(_esc_key(iid), "last_update_at", self.clock.now())
            await self._edit_all(inc, "update", resp, reason="group_interval")
        elif kind == "resume":
            await self._resume(inc, esc, p["gen"])
        elif resp.state != "open":
            return
        elif kind == "step":
            await self._step(inc, esc, timer)
        elif kind == "remind":
            await self._remind(inc, esc, timer)
        elif kind == "held":
            await self._held(inc, timer)

    async def _step(self, inc: Incident, esc: dict[str, Any], timer: Timer) -> None:
        p, iid, now = timer.payload, inc.id, self.clock.now()
        gen, pos, it = p["gen"], p["pos"], p["iter"]
        policy = Policy.model_validate(orjson.loads(esc["policy"]))
        if pos >= len(policy.steps):
            await self._schedule(iid, f"{gen}|remind|1", now + self._repeat(), {"kind": "remind", "gen": gen, "n": 1})
            return
        step = policy.steps[pos]
        if step.wait is not None:
            await self._schedule_step(iid, gen, pos + 1, it, now + step.wait.total_seconds())
        elif step.only_if is not None:
            if self._holds(step.only_if, now):
                await self._schedule_step(iid, gen, pos + 1, it, now)
            elif step.only_if.otherwise == "wait":
                k = p.get("k", 0) + 1
                await self._schedule_step(iid, gen, pos, it, self._next_check(step.only_if, now), k=k)
            else:
                await self._note(iid, "stopped", reason="outside_time_range", step=pos)
        elif step.repeat is not None:
            if it < step.repeat:
                await self._schedule_step(iid, gen, 0, it + 1, now)
            else:
                await self._schedule_step(iid, gen, len(policy.steps), it, now)
        elif step.resolve:
            t = await self.lifecycle.apply(iid, "resolve", "warner", "policy")
            if t.changed:
                await self.on_response(t)
        else:
            level = sum(1 for s in policy.steps[: pos + 1] if s.kind in NOTIFY_KINDS)
            first = it == 0 and level == 1
            kind: PageKind = "new" if first else "escalation"
            reason = "first_page" if first else "repeat" if it else "escalation_step"
            for recipient, person in await self._targets(inc, policy, pos, step, timer):
                await self._page(inc, recipient, step, gen, kind, reason, level, timer.id, person)
            await self._schedule_step(iid, gen, pos + 1, it, now)

    async def _targets(
        self, inc: Incident, policy: Policy, pos: int, step: EscalationStep, timer: Timer
    ) -> list[tuple[Recipient, bool]]:
        ids: list[str] = []
        if step.notify_persons:
            ids = list(step.notify_persons)
        elif step.notify_on_call:
            ids = self.roster.on_call(step.notify_on_call, self._local())
        elif step.notify_next_person:
            ids = [await self._next_person(inc.id, policy.id, pos, step.notify_next_person, timer.id)]
        elif step.notify_team_chat:
            chat = self.roster.team_chat(step.notify_team_chat)
            if chat is not None:
                return [(chat, False)]
        out = []
        for pid in ids:
            try:
                out.append((self.roster.recipient(pid), True))
            except LookupError:
                log.error("page_unknown_person", incident=inc.id, person=pid)
                await self._note(inc.id, "unknown_person", person=pid)
        if not out:
            log.error("page_nobody_to_page", incident=inc.id, step=pos, kind=step.kind)
            await self._note(inc.id, "nobody_to_page", step=pos, target=step.kind)
        return out

    async def _next_person(self, iid: str, policy_id: str, pos: int, people: list[str], mark: str) -> str:
        """Round robin across incidents; the pick is remembered so a re-driven step pages the same one."""
        field = f"pick:{mark}"
        picked = await self.redis.hget(_esc_key(iid), field)
        if picked is None:
            n = await self.redis.incr(keys.rotation(policy_id, pos))
            await self.redis.hsetnx(_esc_key(iid), field, people[(n - 1) % len(people)])
            picked = await self.redis.hget(_esc_key(iid), field)
        return _text(picked)

    async def _page(
        self,
        inc: Incident,
        recipient: Recipient,
        step: EscalationStep,
        gen: int,
        kind: PageKind,
        reason: str,
        level: int,
        mark: str,
        person: bool,
    ) -> None:
        iid, rid, now = inc.id, recipient.id, self.clock.now()
        if not await self.redis.hsetnx(_esc_key(iid), f"sent:{mark}:{rid}", now):
            return  # this timer already paged this recipient (re-driven after a crash)
        if person and inc.severity != "critical" and self.roster.in_quiet_hours(rid, self._local()):
            payload = {"kind": "held", "gen": gen, "person": rid, "step": step.model_dump(exclude_none=True)}
            payload |= {"page": kind, "reason": reason, "level": level}
            due = now + self.config.quiet_hours_recheck.total_seconds()
            await self._schedule(iid, f"{gen}|held|{rid}|{mark}", due, payload, json_default=_seconds)
            await self._note(iid, "page_held", person=rid, reason="quiet_hours", until_at_least=due)
            log.info("page_held", incident=iid, person=rid, reason="quiet_hours")
            return
        if person and not await self._ceiling(
            keys=[keys.person_pages(rid)], args=[repr(now), self.config.max_pages_per_person_per_hour, f"{mark}:{rid}"]
        ):
            await self._note(iid, "page_suppressed", person=rid, reason="ceiling")
            log.warning("page_suppressed", incident=iid, person=rid, reason="ceiling")
            return
        resp = await self.lifecycle.get(iid)
        if resp is None or (resp.state != "open" and reason != "severity_rose"):
            return  # acknowledged while this step was running
        page = Page(inc, recipient, kind, await self.ack_code(iid, rid), escalation_level=level)
        if step.delivery == "all":
            deliveries = await self.sender.deliver_all(page, step.order)
        else:
            deliveries = await self.sender.deliver(page, step.order)
        await self._record(inc, page, deliveries, reason)
        target = {"recipient": asdict(recipient), "step": step.model_dump(exclude_none=True), "level": level}
        await self.redis.hset(_esc_key(iid), f"paged:{rid}", orjson.dumps(target, default=_seconds))
        await self.redis.hsetnx(_esc_key(iid), "last_update_at", now)
        if not any(d.ok for d in deliveries):
            log.error("page_undeliverable", incident=iid, recipient=rid, channels=step.order)
            await self._note(iid, "undeliverable", recipient=rid, channels=step.order)

    async def _held(self, inc: Incident, timer: Timer) -> None:
        p = timer.payload
        step = EscalationStep.model_validate(p["step"])
        try:
            recipient = self.roster.recipient(p["person"])
        except LookupError:
            return
        await self._page(inc, recipient, step, p["gen"], p["page"], p["reason"], p["level"], timer.id, True)

    async def _remind(self, inc: Incident, esc: dict[str, Any], timer: Timer) -> None:
        p = timer.payload
        for field, raw in esc.items():
            if field.startswith("paged:"):
                target = orjson.loads(raw)
                recipient = Recipient(**target["recipient"])
                step = EscalationStep.model_validate(target["step"])
                person = not recipient.id.startswith("chat:")
                await self._page(
                    inc, recipient, step, p["gen"], "reminder", "repeat_interval", target["level"], timer.id, person
                )
        n = p["n"] + 1
        due = self.clock.now() + self._repeat()
        await self._schedule(inc.id, f"{p['gen']}|remind|{n}", due, {"kind": "remind", "gen": p["gen"], "n": n})

    async def _page_acker(self, inc: Incident, resp: Response, esc: dict[str, Any]) -> None:
        try:
            recipient = self.roster.recipient(resp.acknowledged_by or "")
        except LookupError:
            return
        policy = self._route(inc.severity)
        notify = next((s for s in policy.steps if s.kind in NOTIFY_KINDS), None) if policy else None
        step = notify or EscalationStep(notify_persons=[recipient.id])
        gen = int(esc.get("gen", 0))
        await self._page(
            inc, recipient, step, gen, "escalation", "severity_rose", 0, f"rose:{gen}:{inc.severity}", True
        )

    async def _resume(self, inc: Incident, esc: dict[str, Any], gen: int) -> None:
        t = await self.lifecycle.apply(inc.id, "wake", "warner", "snooze")
        if not t.changed:
            return
        await self._note(inc.id, "resumed", reason="snooze_ended")
        await self._edit_all(inc, "update", t.response, reason="snooze_ended")
        if "policy" in esc:
            pos, it = int(esc.get("next_pos", 0)), int(esc.get("next_iter", 0))
            await self._schedule_step(inc.id, gen, pos, it, self.clock.now())

    # -- updates: edit what was sent ------------------------------------------------------------

    async def _request_update(self, inc: Incident, resp: Response, esc: dict[str, Any]) -> None:
        if not await self.redis.exists(keys.escalation_messages(*split_id(inc.id))):
            return  # nothing sent yet: the first page carries the latest numbers
        now = self.clock.now()
        due = float(esc.get("last_update_at", 0)) + self.config.group_interval.total_seconds()
        if due <= now:
            await self.redis.hset(_esc_key(inc.id), "last_update_at", now)
            await self._edit_all(inc, "update", resp, reason="incident_changed")
        elif await self.redis.hsetnx(_esc_key(inc.id), "update_due", due):
            gen = int(esc.get("gen", 0))
            await self._schedule(inc.id, f"{gen}|update|{int(due)}", due, {"kind": "update", "gen": gen})

    async def _edit_all(self, inc: Incident, kind: PageKind, resp: Response | None, reason: str) -> None:
        messages = await self.redis.hgetall(keys.escalation_messages(*split_id(inc.id)))
        for raw in messages.values():
            m = orjson.loads(raw)
            if m["channel"] not in self.config.update_channels:
                continue
            recipient = Recipient(**m["recipient"])
            line = None
            if resp is not None and resp.state != "open":
                line = state_line(resp, recipient.language, self._person, self.tz)
            page = Page(inc, recipient, kind, m["ack_code"], m["ref"], line, m["level"])
            await self._record(inc, page, await self.sender.deliver(page, [m["channel"]]), reason)

    async def _record(self, inc: Incident, page: Page, deliveries: list[Delivery], reason: str) -> None:
        """Every attempt into the timeline; refs of new messages kept for later edits."""
        brand, number = split_id(inc.id)
        now = self.clock.now()
        for d in deliveries:
            entry = {"kind": "delivery", "at": round(now, 3), "page": page.kind, "reason": reason}
            entry |= {"recipient": page.recipient.id, "channel": d.channel, "target": d.target, "ok": d.ok}
            entry |= {"latency_s": round(d.latency_s, 3), "error": d.error, "level": page.escalation_level}
            entry |= {"edit": page.message_ref is not None}
            await self.incidents.note(inc.id, entry)
            if d.ok and d.message_ref and page.message_ref is None:
                m = {"recipient": asdict(page.recipient), "channel": d.channel, "ref": d.message_ref}
                m |= {"ack_code": page.ack_code, "level": page.escalation_level, "at": now}
                field = f"{page.recipient.id}|{d.channel}|{d.message_ref}"
                await self.redis.hset(keys.escalation_messages(brand, number), field, orjson.dumps(m))
        log.info(
            "page_" + page.kind,
            incident=inc.id,
            recipient=page.recipient.id,
            reason=reason,
            ok=[d.ok for d in deliveries],
        )

    # -- small parts ------------------------------------------------------------------------------

    async def _schedule_step(self, iid: str, gen: int, pos: int, it: int, due: float, *, k: int = 0) -> None:
        await self.redis.hset(_esc_key(iid), mapping={"next_pos": pos, "next_iter": it})
        payload = {"kind": "step", "gen": gen, "pos": pos, "iter": it, "k": k}
        await self._schedule(iid, f"{gen}|step|{pos}|{it}|{k}", due, payload)

    async def _schedule(
        self, iid: str, suffix: str, due: float, payload: dict[str, Any], json_default: Any = None
    ) -> None:
        if json_default is not None:
            payload = orjson.loads(orjson.dumps(payload, default=json_default))
        await self.timers.schedule(f"{iid}|{suffix}", due, iid, payload)
        if due <= self.clock.now() + self.poll:
            self._wake.set()  # a first page with group_wait 0 goes out now, not at the next poll

    async def _note(self, iid: str, event: str, **fields: Any) -> None:
        await self.incidents.note(
            iid, {"kind": "escalation", "event": event, "at": round(self.clock.now(), 3)} | fields
        )

    async def _esc(self, iid: str) -> dict[str, Any]:
        raw = await self.redis.hgetall(_esc_key(iid))
        return {_text(k): _text(v) for k, v in raw.items()}

    async def _incident(self, iid: str) -> Incident | None:
        return await self.incidents.get(*split_id(iid))

    def _person(self, pid: str) -> Recipient | None:
        try:
            return self.roster.recipient(pid)
        except LookupError:
            return None

    def _local(self, at: float | None = None) -> datetime:
        return datetime.fromtimestamp(self.clock.now() if at is None else at, self.tz)

    def _repeat(self) -> float:
        return self.config.repeat_interval.total_seconds()

    def _holds(self, cond: OnlyIf, now: float) -> bool:
        local = self._local(now)
        if cond.off_hours is not None:
            return self.roster.is_off_hours(local) == cond.off_hours
        window = cond.window()
        assert window is not None
        start, end, t = window[0], window[1], local.time()
        return start <= t < end if start <= end else (t >= start or t < end)

    def _next_check(self, cond: OnlyIf, now: float) -> float:
        window = cond.window()
        if window is None:
            return now + self.config.quiet_hours_recheck.total_seconds()
        local = self._local(now)
        at = local.replace(hour=window[0].hour, minute=window[0].minute, second=0, microsecond=0)
        if at <= local:
            at = (at + timedelta(days=1)).replace(tzinfo=self.tz)
        return at.timestamp()


def _esc_key(iid: str) -> str:
    return keys.escalation(*split_id(iid))


def _rank(severity: str) -> int:
    return LEVELS.index(severity) if severity in LEVELS else 0  # type: ignore[arg-type]


def _seconds(value: Any) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
