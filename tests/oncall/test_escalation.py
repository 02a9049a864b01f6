"""Escalation against the real Redis with a controllable clock, a small roster and a recording sender."""

from __future__ import annotations

import asyncio
import textwrap
from datetime import datetime

import orjson
import pytest
import yaml
from pydantic import ValidationError

from warner.core import ManualClock, Recipient
from warner.incidents.lifecycle import IncidentResponder
from warner.incidents.model import Incident, IncidentEvent
from warner.incidents.store import IncidentStore
from warner.notify.base import Delivery, Page
from warner.oncall import policy_config
from warner.oncall.escalation import EscalationEngine
from warner.oncall.escalation.channels import Contact
from warner.oncall.policy_config import EscalationConfig
from warner.store import keys

NIGHT = 1_795_298_400.0  # Saturday 2026-11-21 23:00 Europe/Berlin
DAY = 1_795_424_400.0  # Monday 2026-11-23 10:00 Europe/Berlin

CONFIG = """
group_wait: {critical: 0s, warning: 30s}
group_interval: 2m
repeat_interval: 15m
max_pages_per_person_per_hour: 10
flapping: {max_reopens: 1, window: 1h}
policies:
  - id: storm
    steps:
      - notify_on_call: social
        channels: [telegram]
      - wait: 5m
      - notify_next_person: [ben, carla]
        channels: [telegram, sms]
        delivery: all
      - wait: 5m
      - repeat: 1
  - id: night
    steps:
      - notify_on_call: social
        channels: [telegram, sms]
        delivery: all
      - wait: 5m
      - notify_persons: [ben]
        channels: [telegram, sms]
  - id: team
    steps:
      - notify_team_chat: social
routes:
  - {severity: [critical], when: off_hours, policy: night}
  - {severity: [critical], policy: storm}
  - {severity: [warning], when: business_hours, policy: team}
  - {severity: [warning], when: off_hours, policy: storm}
"""


def escalation_config(**overrides) -> EscalationConfig:
    data = yaml.safe_load(CONFIG) | overrides
    return EscalationConfig.model_validate(data)


class Roster:
    def __init__(self) -> None:
        self.people = {
            "anna": Recipient("anna", "Anna", "de", telegram_id=11, phone="+4915100000011"),
            "ben": Recipient("ben", "Ben", "en", telegram_id=12, phone="+4915100000012"),
            "carla": Recipient("carla", "Carla", "de", telegram_id=13, phone="+4915100000013"),
        }
        self.schedules = {"social": ["anna"]}
        self.quiet: set[str] = set()
        self.contacts: dict[str, Contact] = {}  # by recipient id; none = the step's channels

    def recipient(self, person_id: str) -> Recipient:
        return self.people[person_id]

    def on_call(self, schedule_id: str, at: datetime) -> list[str]:
        return list(self.schedules.get(schedule_id, []))

    def team_chat(self, team_id: str) -> Recipient | None:
        return Recipient("chat:-100", "Social-Media-Team", telegram_id=-100) if team_id == "social" else None

    def is_off_hours(self, at: datetime) -> bool:
        return at.weekday() >= 5 or not 9 <= at.hour < 18

    def in_quiet_hours(self, person_id: str, at: datetime) -> bool:
        return person_id in self.quiet

    def contact(self, recipient: Recipient, at: datetime) -> Contact:
        return self.contacts.get(recipient.id, Contact())


class Sender:
    """Records every attempt; a channel in ``down`` fails; ``crash_after`` raises after sending."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.attempts: list[tuple[float, Page, str, bool]] = []
        self.down: set[str] = set()
        self.crash_once = False
        self.ringing: dict[str, asyncio.Event] = {}  # channel -> released when the phone stops ringing

    async def deliver(self, page: Page, order: list[str]) -> list[Delivery]:
        out = []
        for channel in order:
            if channel in self.ringing:
                await self.ringing[channel].wait()
            ok = channel not in self.down
            self.attempts.append((self.clock.now(), page, channel, ok))
            ref = page.message_ref or f"{channel}-{len(self.attempts)}"
            out.append(Delivery(channel, page.recipient.id, ok, 0.02, None if ok else "down", message_ref=ref))
            if ok:
                break
        if self.crash_once:
            self.crash_once = False
            raise RuntimeError("worker died after sending")
        return out

    async def deliver_all(self, page: Page, channels: list[str]) -> list[Delivery]:
        return [d for channel in channels for d in await self.deliver(page, [channel])]

    def sent(self) -> list[tuple[str, str, str]]:
        """New messages delivered: (recipient, channel, kind)."""
        return [(p.recipient.id, ch, p.kind) for _, p, ch, ok in self.attempts if ok and p.message_ref is None]

    def edits(self) -> list[tuple[str, str, str, str | None]]:
        return [(p.recipient.id, ch, p.kind, p.state_line) for _, p, ch, ok in self.attempts if p.message_ref]


@pytest.fixture
def clock():
    return ManualClock(DAY)


@pytest.fixture
def roster():
    return Roster()


@pytest.fixture
def sender(clock):
    return Sender(clock)


@pytest.fixture
def make_engine(redis, clock, roster, sender):
    def make(config: EscalationConfig | None = None) -> EscalationEngine:
        return EscalationEngine(redis, config or escalation_config(), roster, sender, clock, lease=60, poll=0.01)

    return make


@pytest.fixture
def engine(make_engine):
    return make_engine()


def responder_for(engine: EscalationEngine, roster: Roster) -> IncidentResponder:
    return IncidentResponder(engine.lifecycle, engine.incidents, roster.people.get, listeners=[engine.on_response])


async def event(redis, engine, clock, severity="critical", kind="opened", number=1) -> Incident:
    now = int(clock.now())
    inc = Incident("kesselberg", number, "open", severity, now - 300, now, mentions=120, expected=10.0)
    await redis.set(keys.incident("kesselberg", number), orjson.dumps(inc.to_json()))
    await engine.on_event(IncidentEvent(kind, now, inc))
    return inc


async def escalation_notes(redis, number=1) -> list[str]:
    timeline = await IncidentStore(redis).timeline("kesselberg", number)
    return [e["event"] for e in timeline if e["kind"] == "escalation"]


async def test_escalation_walks_the_levels_then_repeats_then_reminds(redis, engine, clock, sender):
    await event(redis, engine, clock, "critical")
    await engine.run_due()
    assert sender.sent() == [("anna", "telegram", "new")]

    clock.advance(299)
    await engine.run_due()
    assert len(sender.sent()) == 1
    clock.advance(1)
    await engine.run_due()
    assert sender.sent()[1:] == [("ben", "telegram", "escalation"), ("ben", "sms", "escalation")]

    clock.advance(300)  # repeat: level 1 again, then the next person in turn
    await engine.run_due()
    assert sender.sent()[3:] == [("anna", "telegram", "escalation")]
    clock.advance(300)
    await engine.run_due()
    assert sender.sent()[4:] == [("carla", "telegram", "escalation"), ("carla", "sms", "escalation")]

    clock.advance(300)  # chain done: reminders every repeat_interval
    await engine.run_due()
    assert len(sender.sent()) == 6
    clock.advance(900)
    await engine.run_due()
    assert sorted(sender.sent()[6:]) == [
        ("anna", "telegram", "reminder"),
        ("ben", "sms", "reminder"),
        ("ben", "telegram", "reminder"),
        ("carla", "sms", "reminder"),
        ("carla", "telegram", "reminder"),
    ]
    deliveries = [e for e in await IncidentStore(redis).timeline("kesselberg", 1) if e["kind"] == "delivery"]
    assert deliveries[0] | {"at": 0} == {
        "kind": "delivery",
        "at": 0,
        "page": "new",
        "reason": "first_page",
        "recipient": "anna",
        "channel": "telegram",
        "target": "anna",
        "ok": True,
        "latency_s": 0.02,
        "error": None,
        "level": 1,
        "edit": False,
    }
    assert [d["level"] for d in deliveries[:3]] == [1, 2, 2]


async def test_ack_stops_every_pending_page_and_edits_the_sent_messages(redis, engine, clock, sender, roster):
    inc = await event(redis, engine, clock, "critical")
    await engine.run_due()
    clock.advance(300)
    await engine.run_due()
    clock.advance(60)

    line = await responder_for(engine, roster).act(inc.id, "ack", "ben", "sms")

    assert line == "Acknowledged by Ben, 10:06"
    assert sorted(sender.edits()) == [
        ("anna", "telegram", "acknowledged", "Übernommen von Ben, 10:06"),
        ("ben", "telegram", "acknowledged", "Acknowledged by Ben, 10:06"),
    ]  # SMS cannot be edited: no second text
    assert await engine.timers.pending(inc.id) == []
    clock.advance(3600)
    assert await engine.run_due() == 0
    assert len(sender.sent()) == 3


async def test_a_restart_mid_escalation_fires_the_next_step_on_time_exactly_once(redis, make_engine, clock, sender):
    first = make_engine()
    await event(redis, first, clock, "critical")
    await first.run_due()
    del first  # the process restarts; only Redis remembers

    engines = [make_engine(), make_engine()]
    clock.advance(299)
    await asyncio.gather(*(e.run_due() for e in engines))
    assert len(sender.sent()) == 1
    clock.advance(1)
    await asyncio.gather(*(e.run_due() for e in engines))
    assert sender.sent()[1:] == [("ben", "telegram", "escalation"), ("ben", "sms", "escalation")]


async def test_a_crashed_step_is_redriven_once_without_paging_twice(redis, engine, clock, sender):
    await event(redis, engine, clock, "critical")
    sender.crash_once = True
    await engine.run_due()  # Anna is paged, then the worker dies before completing the timer
    assert sender.sent() == [("anna", "telegram", "new")]
    assert await engine.audit() == 0  # lease still held

    clock.advance(61)
    assert await engine.audit() == 1
    assert await engine.audit() == 0
    await engine.run_due()
    assert sender.sent() == [("anna", "telegram", "new")]
    clock.advance(300)
    await engine.run_due()
    assert [s[0] for s in sender.sent()] == ["anna", "ben", "ben"]


@pytest.mark.parametrize(
    ("at", "severity", "expected"),
    [
        (NIGHT, "critical", [("anna", "telegram", "new"), ("anna", "sms", "new")]),
        (DAY, "warning", [("chat:-100", "telegram", "new")]),
        (NIGHT, "warning", [("anna", "telegram", "new")]),
        (NIGHT, "info", []),
        (DAY, "info", []),
    ],
)
async def test_routing_by_severity_and_time(redis, engine, clock, sender, at, severity, expected):
    clock.set(at)
    await event(redis, engine, clock, severity)
    await engine.run_due()
    clock.advance(30)  # warning's group_wait
    await engine.run_due()
    assert sender.sent() == expected
    if severity == "info":
        assert await escalation_notes(redis) == ["no_route"]


async def test_quiet_hours_hold_warnings_but_not_critical_pages(redis, engine, clock, sender, roster):
    clock.set(NIGHT)
    roster.quiet.add("anna")
    await event(redis, engine, clock, "warning", number=1)
    clock.advance(30)
    await engine.run_due()
    assert sender.sent() == []
    assert "page_held" in await escalation_notes(redis, 1)

    await event(redis, engine, clock, "critical", number=2)
    await engine.run_due()
    assert sender.sent() == [("anna", "telegram", "new"), ("anna", "sms", "new")]

    roster.quiet.clear()
    clock.advance(300)
    await engine.run_due()
    pages_1 = [(p.recipient.id, ch) for _, p, ch, ok in sender.attempts if p.incident.number == 1]
    assert ("anna", "telegram") in pages_1


async def test_a_person_gets_at_most_the_ceiling_per_hour(redis, make_engine, clock, sender):
    engine = make_engine(escalation_config(max_pages_per_person_per_hour=2))
    for n in (1, 2, 3):
        await event(redis, engine, clock, "critical", number=n)
    await engine.run_due()  # three incidents at once, paged side by side: two pages reach Anna, one does not
    paged = {p.incident.number for _, p, _, _ in sender.attempts}
    assert len(sender.attempts) == 2 and paged < {1, 2, 3}
    (suppressed,) = {1, 2, 3} - paged
    assert "page_suppressed" in await escalation_notes(redis, suppressed)
    clock.advance(3600)
    await event(redis, engine, clock, "critical", number=4)
    await engine.run_due()
    assert ("anna", 4) in {(p.recipient.id, p.incident.number) for _, p, _, _ in sender.attempts}


async def test_an_incident_that_keeps_reopening_gets_updates_only(redis, engine, clock, sender, roster):
    responder = responder_for(engine, roster)
    inc = await event(redis, engine, clock, "critical")
    await engine.run_due()
    await responder.act(inc.id, "resolve", "anna", "telegram")
    clock.advance(600)
    await event(redis, engine, clock, "critical", kind="reopened")  # new surge: pages again
    await engine.run_due()
    assert sender.sent() == [("anna", "telegram", "new"), ("anna", "telegram", "new")]

    await responder.act(inc.id, "resolve", "anna", "telegram")
    clock.advance(600)
    await event(redis, engine, clock, "critical", kind="reopened")
    await engine.run_due()
    assert len(sender.sent()) == 2
    assert "flapping" in await escalation_notes(redis)
    assert [e[2] for e in sender.edits()][-2:] == ["update", "update"]
    assert (await engine.lifecycle.get(inc.id)).state == "open"


async def test_group_wait_then_updates_edit_at_most_every_group_interval(redis, engine, clock, sender):
    clock.set(NIGHT)
    await event(redis, engine, clock, "warning")
    clock.advance(29)
    await engine.run_due()
    assert sender.sent() == []
    clock.advance(1)
    await engine.run_due()
    assert sender.sent() == [("anna", "telegram", "new")]

    for _ in range(3):  # three detector updates within a minute: one edit, at group_interval
        clock.advance(10)
        await event(redis, engine, clock, "warning", kind="escalated")
    assert sender.edits() == []
    clock.advance(90)
    await engine.run_due()
    assert sender.edits() == [("anna", "telegram", "update", None)]
    clock.advance(150)
    await event(redis, engine, clock, "warning", kind="subsiding")  # a quiet spell: edited at once
    assert len(sender.edits()) == 2
    assert len(sender.sent()) == 1


async def test_a_rising_severity_pages_whoever_acknowledged_again(redis, engine, clock, sender, roster):
    clock.set(NIGHT)
    inc = await event(redis, engine, clock, "warning")
    clock.advance(30)
    await engine.run_due()
    await responder_for(engine, roster).act(inc.id, "ack", "anna", "telegram")
    clock.advance(120)
    await event(redis, engine, clock, "critical", kind="escalated")
    assert sender.sent()[1:] == [("anna", "telegram", "escalation"), ("anna", "sms", "escalation")]
    assert (await engine.lifecycle.get(inc.id)).state == "acknowledged"


async def test_snooze_pauses_the_escalation_and_it_resumes_after_an_hour(redis, engine, clock, sender, roster):
    inc = await event(redis, engine, clock, "critical")
    await engine.run_due()
    clock.advance(60)
    assert await responder_for(engine, roster).act(inc.id, "snooze", "anna", "telegram") == "Stumm bis 11:01 (Anna)"
    assert sender.edits() == [("anna", "telegram", "acknowledged", "Stumm bis 11:01 (Anna)")]

    clock.advance(3599)
    await engine.run_due()
    assert len(sender.sent()) == 1
    clock.advance(1)
    await engine.run_due()
    assert sender.sent()[1:] == [("ben", "telegram", "escalation"), ("ben", "sms", "escalation")]
    assert (await engine.lifecycle.get(inc.id)).state == "open"
    assert sender.edits()[-1] == ("anna", "telegram", "update", None)


async def test_a_new_surge_during_snooze_reopens_at_once(redis, engine, clock, sender, roster):
    inc = await event(redis, engine, clock, "critical")
    await engine.run_due()
    await responder_for(engine, roster).act(inc.id, "snooze", "anna", "telegram")
    clock.advance(600)
    await event(redis, engine, clock, "critical", kind="escalated")
    await engine.run_due()
    assert sender.sent() == [("anna", "telegram", "new"), ("anna", "telegram", "new")]
    assert (await engine.lifecycle.get(inc.id)).reopened == 1


async def test_failover_to_sms_is_recorded_attempt_by_attempt(redis, engine, clock, sender):
    clock.set(NIGHT)
    await event(redis, engine, clock, "critical")
    await engine.run_due()
    sender.down.add("telegram")
    clock.advance(300)
    await engine.run_due()
    timeline = await IncidentStore(redis).timeline("kesselberg", 1)
    ben = [(e["channel"], e["ok"], e["error"]) for e in timeline if e["kind"] == "delivery" and e["recipient"] == "ben"]
    assert ben == [("telegram", False, "down"), ("sms", True, None)]


async def test_nobody_on_call_is_logged_loudly_and_the_escalation_goes_on(redis, engine, clock, sender, roster):
    roster.schedules["social"] = []
    await event(redis, engine, clock, "critical")
    await engine.run_due()
    assert "nobody_to_page" in await escalation_notes(redis)
    clock.advance(300)
    await engine.run_due()
    assert [s[0] for s in sender.sent()] == ["ben", "ben"]


async def test_only_if_waits_for_the_time_range_durably(redis, make_engine, clock, sender):
    config = escalation_config(
        policies=[
            {
                "id": "late",
                "steps": [
                    {"only_if": {"between": "22:00-07:00", "otherwise": "wait"}},
                    {"notify_persons": ["carla"]},
                ],
            }
        ],
        routes=[{"severity": ["critical"], "policy": "late"}],
    )
    await event(redis, make_engine(config), clock, "critical")
    await make_engine(config).run_due()
    assert sender.sent() == []
    clock.set(DAY + 12 * 3600 - 1)  # 21:59:59
    await make_engine(config).run_due()
    assert sender.sent() == []
    clock.advance(1)
    await make_engine(config).run_due()
    assert sender.sent() == [("carla", "telegram", "new")]


async def test_the_run_loop_pages_and_beats(redis, engine, clock, sender):
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    await event(redis, engine, clock, "critical")
    for _ in range(200):
        if sender.sent():
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert sender.sent() == [("anna", "telegram", "new")]
    assert (await engine.timers.stats()).heartbeat_age == 0


def test_the_documented_example_is_a_valid_config():
    doc = policy_config.__doc__.split("Example::")[1]
    config = EscalationConfig.model_validate(yaml.safe_load(textwrap.dedent(doc))["escalation"])
    assert config.route_for("critical", off_hours=True).id == "night"
    assert config.route_for("warning", off_hours=True).id == "storm"
    assert config.route_for("info", off_hours=False) is None
    assert config.referenced()["schedules"] == {"social-media"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"routes": [{"severity": ["critical"], "policy": "nope"}]}, "routes[0].policy: unknown policy 'nope'"),
        ({"policies": [{"id": "a", "steps": [{"wait": "5m", "repeat": 2}]}]}, "exactly one of"),
        ({"policies": [{"id": "a", "steps": [{"wait": "5m", "channels": ["sms"]}]}]}, "only apply to notify"),
        ({"policies": [{"id": "a", "steps": [{"repeat": 2}, {"notify_persons": ["a"]}]}]}, "must be the last"),
        ({"policies": [{"id": "a", "steps": [{"wait": "5m"}]}]}, "at least one notify step"),
        ({"policies": [{"id": "a", "steps": [{"only_if": {"between": "25:00-07:00"}}]}]}, "time range"),
    ],
)
def test_config_errors_name_the_field(change, message):
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        escalation_config(**change)


PERSONAL = {
    "policies": [
        {
            "id": "personal",
            "steps": [
                {"notify_on_call": "social"},
                {"wait": "5m"},
                {"call": ["ben"]},
            ],
        }
    ],
    "routes": [{"severity": ["critical", "warning"], "policy": "personal"}],
}


async def test_a_step_without_channels_reaches_each_person_their_own_way_and_ends_with_a_call(
    redis, make_engine, clock, sender, roster
):
    engine = make_engine(escalation_config(**PERSONAL))
    roster.contacts["anna"] = Contact(("sms", "telegram"))
    sender.down.add("sms")
    await event(redis, engine, clock, "critical")
    await engine.run_due()
    assert [(p.recipient.id, ch, ok) for _, p, ch, ok in sender.attempts] == [
        ("anna", "sms", False),
        ("anna", "telegram", True),
    ]
    clock.advance(300)
    await engine.run_due()
    assert sender.sent()[-1] == ("ben", "call", "escalation")


async def test_a_warning_waits_while_all_of_a_persons_channels_are_quiet(redis, make_engine, clock, sender, roster):
    engine = make_engine(escalation_config(**PERSONAL))
    roster.contacts["anna"] = Contact(("sms", "call"), quiet=frozenset({"sms", "call"}))
    await event(redis, engine, clock, "warning")
    clock.advance(30)
    await engine.run_due()
    assert sender.attempts == []
    assert "page_held" in await escalation_notes(redis)

    roster.contacts["anna"] = Contact(("sms", "call"), quiet=frozenset({"call"}))  # morning: SMS may speak again
    clock.advance(300)
    await engine.run_due()
    assert sender.sent()[0] == ("anna", "sms", "new")  # held, not dropped; the escalation went on meanwhile
    assert sender.sent()[1:] == [("ben", "call", "escalation")]


async def test_a_critical_page_uses_quiet_channels_too(redis, make_engine, clock, sender, roster):
    engine = make_engine(escalation_config(**PERSONAL))
    roster.contacts["anna"] = Contact(("call",), quiet=frozenset({"call"}))
    await event(redis, engine, clock, "critical")
    await engine.run_due()
    assert sender.sent() == [("anna", "call", "new")]


async def test_a_ringing_phone_holds_neither_another_person_nor_another_incident(
    redis, make_engine, clock, sender, roster
):
    policies = {
        "policies": [
            {"id": "both", "steps": [{"call": ["anna"]}]},
            {"id": "ben", "steps": [{"notify_persons": ["ben"]}]},
        ],
        "routes": [
            {"severity": ["critical"], "policy": "both"},
            {"severity": ["warning"], "policy": "ben"},
        ],
    }
    engine = make_engine(escalation_config(group_wait={"critical": "0s", "warning": "0s"}, **policies))
    sender.ringing["call"] = asyncio.Event()  # Anna's phone rings until released
    await event(redis, engine, clock, "critical", number=1)
    await event(redis, engine, clock, "warning", number=2)
    running = asyncio.create_task(engine.run_due())
    for _ in range(200):
        if ("ben", "telegram", "new") in sender.sent():
            break
        await asyncio.sleep(0.01)
    assert sender.sent() == [("ben", "telegram", "new")]  # incident 2 paged while incident 1's call rings
    sender.ringing["call"].set()
    await running
    assert sorted(sender.sent()) == [("anna", "call", "new"), ("ben", "telegram", "new")]
