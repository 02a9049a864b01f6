"""What an escalation keeps in Redis, as types: the escalation hash, sent messages, timer payloads.

The engine used to read the escalation hash as ``dict[str, Any]`` and dispatch timers on
``payload["kind"]``; here each of those has one typed shape and one explicit conversion to
and from what Redis stores. The stored format is a contract with incidents frozen by older
versions (and with timers already scheduled), so field names, number encodings and JSON keys
are exactly the ones the engine always wrote: numbers as redis-py writes them (``repr``), the
frozen policy and each paged target as orjson, durations as seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, Literal, get_args

import orjson

from warner.core import Recipient
from warner.notify.base import PageKind
from warner.oncall.policy_config import EscalationStep, Policy
from warner.store.tolerant import known_fields
from warner.store.values import as_text

# -- the escalation hash (keys.escalation): field names --------------------------------------
GEN = "gen"  # bumped by a start, an ack, a snooze: timers of an older generation do nothing
POLICY = "policy"  # the policy frozen when the escalation started (orjson)
POLICY_ID = "policy_id"
SEVERITY = "severity"
STARTED_AT = "started_at"
NEXT_POS = "next_pos"  # the step a resumed (un-snoozed) escalation continues with
NEXT_ITER = "next_iter"
UPDATE_DUE = "update_due"  # an edit round is scheduled for then (group_interval)
LAST_UPDATE_AT = "last_update_at"
PICK_PREFIX = "pick:"  # pick:<timer id> -> the person notify_next_person chose for that timer
SENT_PREFIX = "sent:"  # sent:<timer id>:<recipient id> -> when that timer paged that recipient
PAGED_PREFIX = "paged:"  # paged:<recipient id> -> PagedTarget, for reminders

Text = bytes | str


def encode_number(value: float) -> bytes:
    """As redis-py encodes a number (``repr``), so a value we write equals one it wrote."""
    return repr(value).encode()


def seconds_json(value: object) -> float:
    """orjson ``default``: durations (``timedelta``) as seconds, as they were always stored."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def step_json(step: EscalationStep) -> dict[str, Any]:
    """A step as plain JSON data (durations in seconds)."""
    data: dict[str, Any] = orjson.loads(orjson.dumps(step.model_dump(exclude_none=True), default=seconds_json))
    return data


def frozen_policy_fields(policy: Policy, severity: str, started_at: float) -> dict[str, bytes]:
    """The fields a (re)started escalation writes: the policy is frozen, config edits don't touch it."""
    frozen = orjson.dumps(policy.model_dump(exclude_none=True), default=seconds_json)
    return {
        POLICY: frozen,
        POLICY_ID: policy.id.encode(),
        SEVERITY: severity.encode(),
        STARTED_AT: encode_number(started_at),
    }


def recipient_json(recipient: Recipient) -> dict[str, Any]:
    """A recipient as stored, without the fields it does not use: a recipient written by this version
    without an e-mail address or a team reads in 0.1.0 too (whose ``Recipient`` had neither), so a
    rollback keeps pending pages as long as the new fields are not in use."""
    return {k: v for k, v in asdict(recipient).items() if v is not None or k in ("id", "name")}


def recipient_from(data: Mapping[str, Any]) -> Recipient:
    """A stored recipient; fields a newer version added are ignored (``store/tolerant.py``)."""
    return Recipient(**known_fields(Recipient, data))


@dataclass(frozen=True, slots=True)
class PagedTarget:
    """Who a step paged, and how: reminders (repeat_interval) page them again the same way."""

    recipient: Recipient
    step: EscalationStep
    level: int

    @property
    def is_person(self) -> bool:
        return self.recipient.team is None and not self.recipient.id.startswith(("chat:", "team:"))

    def to_json(self) -> bytes:
        data = {"recipient": recipient_json(self.recipient), "step": self.step.model_dump(exclude_none=True)}
        return orjson.dumps(data | {"level": self.level}, default=seconds_json)

    @classmethod
    def from_json(cls, raw: Text) -> PagedTarget:
        data = orjson.loads(raw)
        return cls(recipient_from(data["recipient"]), EscalationStep.model_validate(data["step"]), data["level"])


@dataclass(frozen=True, slots=True)
class EscalationState:
    """One read of an incident's escalation hash. Writes go field by field (``store.py``)."""

    gen: int = 0
    policy: str | None = None  # the frozen policy, as stored (JSON text)
    policy_id: str | None = None
    severity: str | None = None
    started_at: float | None = None
    next_pos: int = 0
    next_iter: int = 0
    update_due: float | None = None
    last_update_at: float | None = None
    picks: Mapping[str, str] = field(default_factory=dict)
    sent: Mapping[str, float] = field(default_factory=dict)
    paged: Mapping[str, PagedTarget] = field(default_factory=dict)
    other: Mapping[str, str] = field(default_factory=dict)  # fields this version does not know: kept as they are

    def frozen_policy(self) -> Policy:
        if self.policy is None:
            raise LookupError("the escalation has no frozen policy")
        return Policy.model_validate(orjson.loads(self.policy))

    @classmethod
    def from_redis(cls, raw: Mapping[Text, Text]) -> EscalationState:
        fields = {as_text(k): as_text(v) for k, v in raw.items()}
        picks, sent, paged, other = {}, {}, {}, {}
        for name, value in fields.items():
            if name.startswith(PICK_PREFIX):
                picks[name.removeprefix(PICK_PREFIX)] = value
            elif name.startswith(SENT_PREFIX):
                sent[name.removeprefix(SENT_PREFIX)] = float(value)
            elif name.startswith(PAGED_PREFIX):
                paged[name.removeprefix(PAGED_PREFIX)] = PagedTarget.from_json(value)
            elif name not in _SCALARS:
                other[name] = value
        return cls(
            gen=int(fields.get(GEN, 0)),
            policy=fields.get(POLICY),
            policy_id=fields.get(POLICY_ID),
            severity=fields.get(SEVERITY),
            started_at=_float(fields.get(STARTED_AT)),
            next_pos=int(fields.get(NEXT_POS, 0)),
            next_iter=int(fields.get(NEXT_ITER, 0)),
            update_due=_float(fields.get(UPDATE_DUE)),
            last_update_at=_float(fields.get(LAST_UPDATE_AT)),
            picks=picks,
            sent=sent,
            paged=paged,
            other=other,
        )

    def to_redis(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {GEN: encode_number(self.gen)}
        for name, value in (
            (POLICY, self.policy),
            (POLICY_ID, self.policy_id),
            (SEVERITY, self.severity),
        ):
            if value is not None:
                out[name] = value.encode()
        for name, number in (
            (STARTED_AT, self.started_at),
            (UPDATE_DUE, self.update_due),
            (LAST_UPDATE_AT, self.last_update_at),
        ):
            if number is not None:
                out[name] = encode_number(number)
        out[NEXT_POS] = encode_number(self.next_pos)
        out[NEXT_ITER] = encode_number(self.next_iter)
        out |= {PICK_PREFIX + mark: person.encode() for mark, person in self.picks.items()}
        out |= {SENT_PREFIX + mark: encode_number(at) for mark, at in self.sent.items()}
        out |= {PAGED_PREFIX + rid: target.to_json() for rid, target in self.paged.items()}
        out |= {name: value.encode() for name, value in self.other.items()}
        return out


_SCALARS = frozenset({GEN, POLICY, POLICY_ID, SEVERITY, STARTED_AT, NEXT_POS, NEXT_ITER, UPDATE_DUE, LAST_UPDATE_AT})


def _float(value: str | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message a channel accepted (keys.escalation_messages): later updates edit it in place."""

    recipient: Recipient
    channel: str
    ref: str
    ack_code: str
    level: int
    at: float

    @property
    def field(self) -> str:
        return f"{self.recipient.id}|{self.channel}|{self.ref}"

    def to_json(self) -> bytes:
        data = {"recipient": recipient_json(self.recipient), "channel": self.channel, "ref": self.ref}
        return orjson.dumps(data | {"ack_code": self.ack_code, "level": self.level, "at": self.at})

    @classmethod
    def from_json(cls, raw: Text) -> SentMessage:
        m = orjson.loads(raw)
        return cls(recipient_from(m["recipient"]), m["channel"], m["ref"], m["ack_code"], m["level"], m["at"])


# -- timer payloads: one shape per kind, tagged by ``kind`` on the wire -----------------------


@dataclass(frozen=True, slots=True)
class StepTimer:
    """Run step ``pos`` of pass ``iteration``; ``k`` counts re-checks of an only_if that waits."""

    kind: ClassVar[Literal["step"]] = "step"
    gen: int
    pos: int
    iteration: int
    k: int = 0

    def suffix(self) -> str:
        return f"{self.gen}|step|{self.pos}|{self.iteration}|{self.k}"

    def to_payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "gen": self.gen, "pos": self.pos, "iter": self.iteration, "k": self.k}


@dataclass(frozen=True, slots=True)
class RemindTimer:
    """The ``n``-th reminder (repeat_interval) to everyone paged so far."""

    kind: ClassVar[Literal["remind"]] = "remind"
    gen: int
    n: int

    def suffix(self) -> str:
        return f"{self.gen}|remind|{self.n}"

    def to_payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "gen": self.gen, "n": self.n}


@dataclass(frozen=True, slots=True)
class ResumeTimer:
    """A snooze ends: wake the incident and continue the escalation."""

    kind: ClassVar[Literal["resume"]] = "resume"
    gen: int

    def suffix(self) -> str:
        return f"{self.gen}|resume"

    def to_payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "gen": self.gen}


@dataclass(frozen=True, slots=True)
class UpdateTimer:
    """One round of edits of the sent messages, deferred to the end of group_interval."""

    kind: ClassVar[Literal["update"]] = "update"
    gen: int

    def suffix(self, due: float) -> str:
        return f"{self.gen}|update|{int(due)}"

    def to_payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "gen": self.gen}


@dataclass(frozen=True, slots=True)
class HeldTimer:
    """A page held back by a person's quiet hours: try it again later."""

    kind: ClassVar[Literal["held"]] = "held"
    gen: int
    person: str
    step: EscalationStep
    page: PageKind
    reason: str
    level: int

    def suffix(self, mark: str) -> str:
        return f"{self.gen}|held|{self.person}|{mark}"

    def to_payload(self) -> dict[str, Any]:
        payload = {"kind": self.kind, "gen": self.gen, "person": self.person, "step": step_json(self.step)}
        return payload | {"page": self.page, "reason": self.reason, "level": self.level}


@dataclass(frozen=True, slots=True)
class RedeliverTimer:
    """A page no channel delivered (a revoked bot token, an SMS gateway down): send it again later.

    ``origin`` is the timer that first paged (so each undelivered page is its own re-drive), ``n``
    counts the re-tries; the recipient is kept whole, so a team chat is re-driven as well as a person.
    """

    kind: ClassVar[Literal["redeliver"]] = "redeliver"
    gen: int
    target: PagedTarget
    page: PageKind
    reason: str
    origin: str
    n: int

    def suffix(self) -> str:
        return f"{self.gen}|redeliver|{self.target.recipient.id}|{self.n}|{self.origin}"

    def to_payload(self) -> dict[str, Any]:
        payload = {"kind": self.kind, "gen": self.gen, "target": orjson.loads(self.target.to_json())}
        return payload | {"page": self.page, "reason": self.reason, "origin": self.origin, "n": self.n}


TimerPayload = StepTimer | RemindTimer | ResumeTimer | UpdateTimer | HeldTimer | RedeliverTimer
PAGE_KINDS: tuple[PageKind, ...] = get_args(PageKind)


def parse_timer_payload(p: Mapping[str, Any]) -> TimerPayload | None:
    """The typed payload; None for a kind this version does not know (such a timer does nothing)."""
    match p.get("kind"):
        case "step":
            return StepTimer(p["gen"], p["pos"], p["iter"], p.get("k", 0))
        case "remind":
            return RemindTimer(p["gen"], p["n"])
        case "resume":
            return ResumeTimer(p["gen"])
        case "update":
            return UpdateTimer(p["gen"])
        case "held":
            page = _page_kind(p["page"])
            step = EscalationStep.model_validate(p["step"])
            return HeldTimer(p["gen"], p["person"], step, page, p["reason"], p["level"])
        case "redeliver":
            target = PagedTarget.from_json(orjson.dumps(p["target"]))
            return RedeliverTimer(p["gen"], target, _page_kind(p["page"]), p["reason"], p["origin"], p["n"])
    return None


def _page_kind(name: str) -> PageKind:
    page = next((k for k in PAGE_KINDS if k == name), None)
    if page is None:
        raise ValueError(f"unknown page kind {name!r}")
    return page
