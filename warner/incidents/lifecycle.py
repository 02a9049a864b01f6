"""The people's side of an incident: who took it, when, how, and whether it is over.

The detector owns the incident JSON and rewrites it every bucket; the response lives in its
own hash (``keys.incident_response``) so a detector update can never overwrite an ack.
Every transition is one Lua script that checks the current state, writes the new one and
appends who/when/via to the incident timeline — atomic across workers and idempotent
(acking twice changes nothing and reports who acked first).

.. code-block:: text

    stateDiagram-v2
        [*] --> open: detector opens
        open --> acknowledged: ack
        open --> snoozed: snooze
        acknowledged --> snoozed: snooze
        snoozed --> acknowledged: ack
        snoozed --> open: snooze ends (wake) / new surge (reopen)
        open --> resolved: resolve
        acknowledged --> resolved: resolve
        snoozed --> resolved: resolve
        open --> false_alarm: false_alarm
        acknowledged --> false_alarm: false_alarm
        snoozed --> false_alarm: false_alarm
        resolved --> open: new surge (reopen)
        false_alarm --> open: new surge (reopen)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import structlog

from warner.core import Action, Clock, Language, Recipient
from warner.incidents.store import IncidentStore
from warner.store import keys

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

State = Literal["open", "acknowledged", "snoozed", "resolved", "false_alarm"]
Step = Literal["open", "ack", "snooze", "resolve", "false_alarm", "wake", "reopen"]
FINAL: tuple[State, ...] = ("resolved", "false_alarm")

_TRANSITION = """
local h, timeline, reopens = KEYS[1], KEYS[2], KEYS[3]
local step, who, via, now, snooze_to = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[6]
local state = redis.call('HGET', h, 'state')
if not state then
  redis.call('HSET', h, 'state', 'open', 'opened_at', ARGV[5])
  state = 'open'
  if step == 'open' then return {1, redis.call('HGETALL', h)} end
end
local final = state == 'resolved' or state == 'false_alarm'
local new = nil
if step == 'ack' and (state == 'open' or state == 'snoozed') then
  new = 'acknowledged'
  redis.call('HSET', h, 'acknowledged_at', ARGV[4], 'acknowledged_by', who, 'acknowledged_via', via)
  redis.call('HSETNX', h, 'first_acknowledged_at', ARGV[4])
  redis.call('HDEL', h, 'snoozed_until', 'snoozed_by')
elseif step == 'snooze' and not final then
  new = 'snoozed'
  redis.call('HSET', h, 'snoozed_until', snooze_to, 'snoozed_by', who, 'snoozed_via', via)
elseif (step == 'resolve' or step == 'false_alarm') and not final then
  new = step == 'resolve' and 'resolved' or 'false_alarm'
  redis.call('HSET', h, 'resolved_at', ARGV[4], 'resolved_by', who, 'resolved_via', via)
  redis.call('HDEL', h, 'snoozed_until', 'snoozed_by')
elseif step == 'wake' and state == 'snoozed' and tonumber(redis.call('HGET', h, 'snoozed_until') or '0') <= now then
  new = 'open'
  redis.call('HDEL', h, 'snoozed_until', 'snoozed_by', 'acknowledged_at', 'acknowledged_by', 'acknowledged_via')
elseif step == 'reopen' and (final or state == 'snoozed') then
  new = 'open'
  redis.call('HINCRBY', h, 'reopened', 1)
  redis.call('HSET', h, 'reopened_at', ARGV[4])
  redis.call('HDEL', h, 'snoozed_until', 'snoozed_by', 'acknowledged_at', 'acknowledged_by', 'acknowledged_via',
    'resolved_at', 'resolved_by', 'resolved_via')
  redis.call('ZADD', reopens, now, ARGV[4])
end
if not new then return {0, redis.call('HGETALL', h)} end
redis.call('HSET', h, 'state', new)
local entry = {kind = 'response', state = new, step = step, at = now, by = who, via = via}
if new == 'snoozed' then entry['until'] = tonumber(snooze_to) end
redis.call('RPUSH', timeline, cjson.encode(entry))
return {1, redis.call('HGETALL', h)}
"""


@dataclass(frozen=True, slots=True)
class Response:
    """Snapshot of an incident's response state."""

    incident_id: str
    state: State
    opened_at: float
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    acknowledged_via: str | None = None
    first_acknowledged_at: float | None = None
    snoozed_until: float | None = None
    snoozed_by: str | None = None
    resolved_at: float | None = None  # also set for a false alarm (state tells which)
    resolved_by: str | None = None
    resolved_via: str | None = None
    reopened: int = 0
    reopened_at: float | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def mtta(self) -> float | None:
        """Seconds from opening to the first acknowledgement (None: never acknowledged)."""
        return None if self.first_acknowledged_at is None else self.first_acknowledged_at - self.opened_at

    @property
    def mttr(self) -> float | None:
        """Seconds from opening to resolution (None: not resolved, or a false alarm)."""
        if self.state != "resolved" or self.resolved_at is None:
            return None
        return self.resolved_at - self.opened_at


@dataclass(frozen=True, slots=True)
class Transition:
    response: Response
    changed: bool  # False: nothing to do (already in that state); ``response`` says who did it first
    step: Step
    by: str
    via: str
    at: float


Listener = Callable[[Transition], Awaitable[None]]


class IncidentLifecycle:
    """Atomic, idempotent state transitions of incident responses in Redis."""

    def __init__(self, redis: RedisClient, clock: Clock) -> None:
        self.redis = redis
        self.clock = clock
        self._transition = redis.register_script(_TRANSITION)
        # Told of every change this object makes, whoever asked for it (a person, a snooze that ran out, a
        # policy): the web console's live list listens here for what no responder sees.
        self.listeners: list[Listener] = []

    async def get(self, incident_id: str) -> Response | None:
        brand, number = split_id(incident_id)
        raw = await self.redis.hgetall(keys.incident_response(brand, number))
        return _response(incident_id, raw) if raw else None

    async def apply(
        self, incident_id: str, step: Step, by: str = "warner", via: str = "system", *, snooze_until: float = 0
    ) -> Transition:
        """Move ``incident_id`` by ``step`` if its state allows it (else report it unchanged)."""
        brand, number = split_id(incident_id)
        now = round(self.clock.now(), 3)
        changed, flat = await self._transition(
            keys=[
                keys.incident_response(brand, number),
                keys.incident_timeline(brand, number),
                keys.incident_reopens(brand, number),
            ],
            args=[step, by, via, repr(now), repr(now), repr(round(snooze_until, 3))],
        )
        raw = dict(zip(flat[::2], flat[1::2], strict=True))
        t = Transition(_response(incident_id, raw), bool(changed), step, by, via, now)
        if t.changed and step != "open":
            log.info("incident_" + t.response.state, incident=incident_id, step=step, by=by, via=via)
        if t.changed:
            for listener in self.listeners:
                try:
                    await listener(t)
                except Exception:  # a listener's failure must not undo or hide the transition
                    log.exception("lifecycle_listener_failed", incident=incident_id, step=step)
        return t

    async def reopens_since(self, incident_id: str, since: float) -> int:
        brand, number = split_id(incident_id)
        return int(await self.redis.zcount(keys.incident_reopens(brand, number), since, "+inf"))

    async def responses(self, incident_ids: Sequence[str]) -> list[Response]:
        """Responses of these incidents (missing ones skipped) — the digest's MTTA/MTTR input."""
        out = []
        for iid in incident_ids:
            r = await self.get(iid)
            if r is not None:
                out.append(r)
        return out


def mean_mtta(responses: Sequence[Response]) -> float | None:
    values = [r.mtta for r in responses if r.mtta is not None]
    return sum(values) / len(values) if values else None


def mean_mttr(responses: Sequence[Response]) -> float | None:
    values = [r.mttr for r in responses if r.mttr is not None]
    return sum(values) / len(values) if values else None


class IncidentResponder:
    """``IncidentActions`` for buttons, commands and SMS replies; tells listeners of each change."""

    def __init__(
        self,
        lifecycle: IncidentLifecycle,
        incidents: IncidentStore,
        people: Callable[[str], Recipient | None],
        *,
        listeners: Sequence[Listener] = (),
        may_act: Callable[[str, str], bool] | None = None,
        snooze: timedelta = timedelta(hours=1),
        time_zone: str = "Europe/Berlin",
    ) -> None:
        self.lifecycle = lifecycle
        self.incidents = incidents
        self.people = people
        self.listeners = list(listeners)
        self.may_act = may_act
        self.snooze = snooze
        self.tz = ZoneInfo(time_zone)

    async def act(self, incident_id: str, action: Action, person: str, via: str) -> str:
        """Apply ``action``; the state line is in ``person``'s language."""
        try:
            brand, number = split_id(incident_id)
        except ValueError:
            raise LookupError(f"unknown incident {incident_id!r}") from None
        if await self.incidents.get(brand, number) is None:
            raise LookupError(f"unknown incident {incident_id!r}")
        recipient = self.people(person)
        if recipient is None or (self.may_act is not None and not self.may_act(person, incident_id)):
            raise PermissionError(f"{person!r} may not act on incident {incident_id}")
        lang = recipient.language
        if action == "drafts":
            return LINES[lang]["drafts"]
        step: Step = action
        until = self.lifecycle.clock.now() + self.snooze.total_seconds() if action == "snooze" else 0
        t = await self.lifecycle.apply(incident_id, step, person, via, snooze_until=until)
        if t.changed:
            for listener in self.listeners:
                try:
                    await listener(t)
                except Exception:
                    log.exception("response_listener_failed", incident=incident_id, step=step)
        return state_line(t.response, lang, self.people, self.tz, already=not t.changed)

    def describe(self, response: Response, lang: Language) -> str:
        """``response``'s state line as this responder words it: "Übernommen von Anna, 21:04"."""
        return state_line(response, lang, self.people, self.tz)


LINES: dict[Language, dict[str, str]] = {
    "de": {
        "open": "Offen — noch niemand hat übernommen",
        "acknowledged": "Übernommen von {who}, {at}",
        "snoozed": "Stumm bis {until} ({who})",
        "resolved": "Erledigt von {who}, {at}",
        "false_alarm": "Fehlalarm laut {who}, {at}",
        "already": "Bereits: {line}",
        "drafts": "Antwortentwürfe kommen mit den Playbooks; bis dahin bitte selbst formulieren.",
    },
    "en": {
        "open": "Open — nobody has taken it yet",
        "acknowledged": "Acknowledged by {who}, {at}",
        "snoozed": "Snoozed until {until} ({who})",
        "resolved": "Resolved by {who}, {at}",
        "false_alarm": "False alarm per {who}, {at}",
        "already": "Already: {line}",
        "drafts": "Reply drafts come with playbooks; until then, please write your own.",
    },
}


def state_line(
    r: Response,
    lang: Language,
    people: Callable[[str], Recipient | None],
    tz: ZoneInfo,
    *,
    already: bool = False,
) -> str:
    """One line for a message: "Übernommen von Anna, 21:04"."""

    def name(pid: str | None) -> str:
        if pid is None:
            return "?"
        rec = people(pid)
        return rec.name if rec else pid

    def hhmm(at: float | None) -> str:
        return datetime.fromtimestamp(at, tz).strftime("%H:%M") if at else "?"

    lines = LINES[lang]
    if r.state == "acknowledged":
        line = lines["acknowledged"].format(who=name(r.acknowledged_by), at=hhmm(r.acknowledged_at))
    elif r.state == "snoozed":
        line = lines["snoozed"].format(who=name(r.snoozed_by), until=hhmm(r.snoozed_until))
    elif r.state in FINAL:
        line = lines[r.state].format(who=name(r.resolved_by), at=hhmm(r.resolved_at))
    else:
        line = lines["open"]
    return lines["already"].format(line=line) if already and r.state != "open" else line


def split_id(incident_id: str) -> tuple[str, int]:
    """ "kesselberg:3" -> ("kesselberg", 3); ValueError for anything else."""
    brand, sep, number = incident_id.rpartition(":")
    if not sep or not brand or not number.isdigit():
        raise ValueError(f"not an incident id: {incident_id!r}")
    return brand, int(number)


_FLOATS = ("opened_at", "acknowledged_at", "first_acknowledged_at", "snoozed_until", "resolved_at", "reopened_at")
_TEXTS = ("acknowledged_by", "acknowledged_via", "snoozed_by", "resolved_by", "resolved_via")


def _response(incident_id: str, raw: dict[bytes | str, bytes | str]) -> Response:
    d = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()
    }
    return Response(
        incident_id=incident_id,
        state=d.get("state", "open"),  # type: ignore[arg-type]  # _TRANSITION writes only State values
        opened_at=float(d.get("opened_at", 0)),
        reopened=int(d.get("reopened", 0)),
        **{k: float(d[k]) for k in _FLOATS[1:] if k in d},  # type: ignore[arg-type]  # keys are the float fields
        **{k: d[k] for k in _TEXTS if k in d},  # type: ignore[arg-type]  # keys are the text fields
    )
