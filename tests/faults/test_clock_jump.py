"""Clocks that jump: the Europe/Berlin DST changes, and a machine clock stepping forward.

Escalation timers are epoch seconds (``clock.now()``), so a five-minute wait is five real
minutes whatever the wall clock shows; schedules, off-hours and quiet hours are local time,
so a 02:30 handover on the night that has no 02:30 (last Sunday of March) or two of them
(last Sunday of October) must still hand over exactly once, with no gap and no overlap. The
detector's buckets are epoch-aligned too: the hour the clocks skip gets no data, the hour
they repeat gets two hours of it, and no bucket is counted twice or skipped. A machine clock
that jumps forward (a suspended VM waking up, NTP stepping) makes overdue steps fire — once
each, none lost, even when the jump outlasts the lease of a step still running.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import orjson
import pytest
from support import CONFIG_YAML, replay

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.detect.detector import Detector, Observation
from warner.directory import ConfigDirectory
from warner.incidents.model import Incident, IncidentEvent
from warner.notify.base import Delivery, Page
from warner.oncall.escalation import EscalationEngine
from warner.store import keys

pytestmark = pytest.mark.timeout(60)

BERLIN = ZoneInfo("Europe/Berlin")
MARCH_CHANGE = datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 02:00 CET -> 03:00 CEST
OCTOBER_CHANGE = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 03:00 CEST -> 02:00 CET

ONCALL_YAML = """
oncall:
  people:
    - {id: anna, name: Anna, telegram_id: 1001, quiet_hours: "22:00-07:00"}
    - {id: ben, name: Ben, telegram_id: 1002}
  schedules:
    - id: social
      layers:
        - {id: base, type: weekly, handoff: "09:00", start: 2026-09-07, members: [anna]}
    - id: night
      layers:
        - {id: base, type: daily, handoff: "02:30", start: 2026-09-01, members: [anna, ben]}
  off_hours: {nights: "20:00-08:00", weekends: false, public_holidays: false}
notify: {console: true}
escalation:
  group_wait: {critical: 0s, warning: 0s}
  repeat_interval: 1h
  policies:
    - id: storm
      steps:
        - {notify_on_call: social, channels: [console]}
        - {wait: 5m}
        - {notify_persons: [ben], channels: [console]}
        - {wait: 10m}
        - {repeat: 1}
  routes:
    - {severity: [warning, critical], when: any, policy: storm}
"""


def berlin(at: float) -> str:
    return datetime.fromtimestamp(at, BERLIN).strftime("%H:%M %Z")


class Recorder:
    """A sender that delivers everything and remembers when; ``gate`` holds the next page in flight."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.pages: list[tuple[float, str, int]] = []  # (epoch, recipient, level)
        self.gate: asyncio.Event | None = None
        self.in_flight = asyncio.Event()

    async def deliver(self, page: Page, order: list[str]) -> list[Delivery]:
        if self.gate is not None and page.message_ref is None:
            gate, self.gate = self.gate, None
            self.in_flight.set()
            await gate.wait()
        if page.message_ref is None:
            self.pages.append((self.clock.now(), page.recipient.id, page.escalation_level))
        return [Delivery(order[0], page.recipient.id, True, 0.01, message_ref=f"{order[0]}-{len(self.pages)}")]

    async def deliver_all(self, page: Page, channels: list[str]) -> list[Delivery]:
        return [d for channel in channels for d in await self.deliver(page, [channel])]


@pytest.fixture
def oncall_config(tokens):
    return parse_config(CONFIG_YAML + ONCALL_YAML, "dst.yaml")


def engine_for(redis, config, clock, sender) -> EscalationEngine:
    directory = ConfigDirectory(config.oncall)
    return EscalationEngine(redis, config.escalation, directory, sender, clock, lease=60, poll=0.01)


async def open_incident(redis, engine, clock) -> None:
    now = int(clock.now())
    inc = Incident("kesselberg", 1, "open", "critical", now - 300, now, mentions=120, expected=10.0)
    await redis.set(keys.incident("kesselberg", 1), orjson.dumps(inc.to_json()))
    await engine.on_event(IncidentEvent("opened", now, inc))


@pytest.mark.parametrize(
    ("change", "first_page", "second_page"),
    [(MARCH_CHANGE, "01:58 CET", "03:03 CEST"), (OCTOBER_CHANGE, "02:58 CEST", "02:03 CET")],
    ids=["march", "october"],
)
async def test_a_wait_across_the_dst_change_lasts_five_real_minutes_and_fires_once(
    redis, oncall_config, change, first_page, second_page
):
    clock = ManualClock(change.timestamp() - 120)
    sender = Recorder(clock)
    engine = engine_for(redis, oncall_config, clock, sender)
    await open_incident(redis, engine, clock)
    for _ in range(15):  # a quarter of an hour of real time, a pass every minute
        await engine.run_due()
        clock.advance(60)
    (t1, who1, level1), (t2, who2, level2) = sender.pages
    assert (who1, level1, berlin(t1)) == ("anna", 1, first_page)
    assert (who2, level2, berlin(t2)) == ("ben", 2, second_page)
    assert t2 - t1 == 300


@pytest.mark.parametrize("change", [MARCH_CHANGE, OCTOBER_CHANGE], ids=["march", "october"])
def test_a_handover_at_an_hour_the_change_skips_or_repeats_happens_once_without_gap(oncall_config, change):
    roster = ConfigDirectory(oncall_config.oncall).roster
    start, end = change - timedelta(days=2), change + timedelta(days=2)
    shifts = roster.shifts("night", start.astimezone(BERLIN), end.astimezone(BERLIN))
    assert all(a.end == b.start for a, b in pairwise(shifts))  # no gap, no overlap
    assert [a.person.id != b.person.id for a, b in pairwise(shifts)] == [True] * (len(shifts) - 1)
    on_change_day = [s for s in shifts if s.start.date() == change.astimezone(BERLIN).date()]
    assert len(on_change_day) == 1  # one handover that night, not none and not two
    (handover,) = on_change_day
    if change == MARCH_CHANGE:  # 02:30 does not exist: at 03:30 CEST, the instant 02:30 CET would have been
        assert handover.start.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
        assert handover.duration == timedelta(hours=23)
    else:  # 02:30 happens twice: at the first one (CEST)
        assert handover.start.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
        assert handover.duration == timedelta(hours=25)


@pytest.mark.parametrize("change", [MARCH_CHANGE, OCTOBER_CHANGE], ids=["march", "october"])
def test_quiet_hours_and_off_hours_follow_local_time_across_the_change(oncall_config, change):
    roster = ConfigDirectory(oncall_config.oncall)
    day = change.astimezone(BERLIN).date()

    def at(hour: int, minute: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)

    assert roster.in_quiet_hours("anna", at(6, 59)) and not roster.in_quiet_hours("anna", at(7, 0))
    assert roster.is_off_hours(at(7, 59)) and not roster.is_off_hours(at(8, 0))
    assert roster.is_off_hours(at(1, 30)) and roster.is_off_hours(at(3, 30))


@pytest.mark.parametrize(
    ("change", "hours_of_sunday_2am"), [(MARCH_CHANGE, 0.0), (OCTOBER_CHANGE, 2.0)], ids=["march", "october"]
)
def test_hour_of_week_baseline_learns_each_bucket_once_across_the_change(oncall_config, change, hours_of_sunday_2am):
    detector = Detector(oncall_config.detect, oncall_config.bucket)
    state = detector.new_state(200.0)
    first = int(change.timestamp()) - 2 * 3600  # local midnight, give or take the change
    last = int(change.timestamp()) + 2 * 3600
    seen_before = list(state.baseline.weekly_seen_h)
    decisions = []
    for start in range(first, last, 60):
        decisions += detector.observe(state, Observation(start, 3, 0, 0, 30, 3))
    assert [d.start for d in decisions] == list(range(first, last, 60))  # every bucket once, none skipped
    learnt = {
        slot: round(after - before, 6)
        for slot, (before, after) in enumerate(zip(seen_before, state.baseline.weekly_seen_h, strict=True))
        if after != before
    }
    sunday_2am = 6 * 24 + 2
    assert learnt.get(sunday_2am, 0.0) == hours_of_sunday_2am
    assert sum(learnt.values()) == 4.0  # four real hours, however the wall clock labels them


async def test_mentions_across_the_october_night_are_counted_once_per_real_minute(redis, config):
    first = int(OCTOBER_CHANGE.timestamp()) - 2 * 3600
    records = [
        {
            "id": f"oct{i}",
            "text": f"Kesselberger Helles {i}",
            "created_at": datetime.fromtimestamp(first + 60 * i, BERLIN).isoformat(),  # +02:00, then +01:00
            "author": f"user{i}",
        }
        for i in range(300)  # 00:00 CEST to 04:00 CET: five real hours
    ]
    await replay(redis, config, records)
    epochs = [int(e) for e in await redis.zrange(keys.bucket_index("kesselberg"), 0, -1)]
    assert epochs == [first + 60 * i for i in range(300)]
    counts = [int(await redis.hget(keys.bucket("kesselberg", e), "mentions")) for e in epochs]
    assert counts == [1] * 300


async def test_a_clock_jumping_forward_fires_each_overdue_step_once(redis, oncall_config):
    clock = ManualClock(datetime(2026, 11, 21, 21, 0, tzinfo=BERLIN).timestamp())
    sender = Recorder(clock)
    engine = engine_for(redis, oncall_config, clock, sender)
    await open_incident(redis, engine, clock)
    await engine.run_due()
    assert [(who, level) for _, who, level in sender.pages] == [("anna", 1)]

    clock.advance(2 * 3600)  # the VM was suspended for two hours
    for _ in range(3):
        await engine.run_due()
    assert [(who, level) for _, who, level in sender.pages] == [("anna", 1), ("ben", 2)]  # late, once, not lost
    assert sender.pages[1][0] == clock.now()

    clock.advance(10 * 60)  # the escalation goes on from the jump, with its waits intact
    await engine.run_due()
    assert [(who, level) for _, who, level in sender.pages][2:] == [("anna", 1)]


async def test_a_jump_past_the_lease_of_a_page_in_flight_does_not_page_twice(redis, oncall_config):
    clock = ManualClock(datetime(2026, 11, 21, 21, 0, tzinfo=BERLIN).timestamp())
    sender = Recorder(clock)
    slow, other = (engine_for(redis, oncall_config, clock, sender) for _ in range(2))
    await open_incident(redis, slow, clock)
    await slow.run_due()
    clock.advance(5 * 60)
    gate = sender.gate = asyncio.Event()
    in_flight = asyncio.create_task(slow.run_due())  # level 2 is being sent … slowly
    await asyncio.wait_for(sender.in_flight.wait(), 5)

    clock.advance(3600)  # … and the clock jumps past its 60 s lease
    assert await other.audit() == 1  # another engine re-drives the step it must think lost
    await other.run_due()
    gate.set()  # the slow page gets through after all
    await in_flight
    await other.run_due()
    assert [(who, level) for _, who, level in sender.pages] == [("anna", 1), ("ben", 2)]
