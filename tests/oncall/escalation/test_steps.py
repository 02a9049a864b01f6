"""The step interpreter: what each kind of step does next, at which level, and whom it targets."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from warner.core import Recipient
from warner.oncall.escalation.steps import (
    PageTargets,
    ResolveIncident,
    ScheduleStep,
    StartReminders,
    StepInterpreter,
    StopOutsideTimeRange,
    Targets,
    known_people,
    targets_for,
)
from warner.oncall.policy_config import EscalationStep, Policy

BERLIN = ZoneInfo("Europe/Berlin")
DAY = 1_795_424_400.0  # Monday 2026-11-23 10:00 Europe/Berlin
NIGHT = 1_795_298_400.0  # Saturday 2026-11-21 23:00 Europe/Berlin


def off_hours(at: datetime) -> bool:
    return at.weekday() >= 5 or not 9 <= at.hour < 18


def interpreter() -> StepInterpreter:
    return StepInterpreter(BERLIN, off_hours, timedelta(minutes=15), timedelta(minutes=10))


def policy(*steps: dict[str, object]) -> Policy:
    return Policy.model_validate({"id": "p", "steps": list(steps)})


STORM = policy(
    {"notify_on_call": "social", "channels": ["telegram"]},
    {"wait": "5m"},
    {"notify_next_person": ["ben", "carla"], "channels": ["telegram", "sms"]},
    {"wait": "5m"},
    {"repeat": 1},
)


def test_the_first_notify_step_is_a_new_page_at_level_one_and_moves_on_at_once() -> None:
    action = interpreter().decide(STORM, 0, 0, 0, DAY)
    assert isinstance(action, PageTargets)
    assert (action.kind, action.reason, action.level) == ("new", "first_page", 1)
    assert action.step.notify_on_call == "social"
    assert action.then == ScheduleStep(1, 0, DAY)


def test_a_wait_step_schedules_the_next_step_after_the_wait() -> None:
    assert interpreter().decide(STORM, 1, 0, 0, DAY) == ScheduleStep(2, 0, DAY + 300)


def test_a_later_notify_step_escalates_one_level_up() -> None:
    action = interpreter().decide(STORM, 2, 0, 0, DAY)
    assert isinstance(action, PageTargets)
    assert (action.kind, action.reason, action.level) == ("escalation", "escalation_step", 2)


def test_a_repeat_runs_the_chain_again_then_goes_past_the_end() -> None:
    assert interpreter().decide(STORM, 4, 0, 0, DAY) == ScheduleStep(0, 1, DAY)
    assert interpreter().decide(STORM, 4, 1, 0, DAY) == ScheduleStep(5, 1, DAY)


def test_the_first_step_of_a_repeated_pass_is_a_repeat_not_a_new_page() -> None:
    action = interpreter().decide(STORM, 0, 1, 0, DAY)
    assert isinstance(action, PageTargets)
    assert (action.kind, action.reason, action.level) == ("escalation", "repeat", 1)


def test_past_the_last_step_reminders_start_after_the_repeat_interval() -> None:
    assert interpreter().decide(STORM, 5, 1, 0, DAY) == StartReminders(DAY + 900)


def test_a_resolve_step_resolves() -> None:
    p = policy({"notify_persons": ["anna"]}, {"resolve": True})
    assert interpreter().decide(p, 1, 0, 0, DAY) == ResolveIncident()


@pytest.mark.parametrize(
    ("between", "now", "holds"),
    [
        ("09:00-18:00", DAY, True),
        ("11:00-18:00", DAY, False),
        ("22:00-07:00", NIGHT, True),  # wraps midnight: 23:00 is inside
        ("22:00-07:00", DAY, False),
    ],
)
def test_a_time_range_holds_only_inside_it(between: str, now: float, holds: bool) -> None:
    p = policy({"only_if": {"between": between}}, {"notify_persons": ["anna"]})
    expected = ScheduleStep(1, 0, now) if holds else StopOutsideTimeRange(0)
    assert interpreter().decide(p, 0, 0, 0, now) == expected


def test_a_waiting_time_range_looks_again_when_the_range_starts_next() -> None:
    p = policy({"only_if": {"between": "08:00-09:00", "otherwise": "wait"}}, {"notify_persons": ["anna"]})
    action = interpreter().decide(p, 0, 0, 2, DAY)  # 10:00: the range starts again tomorrow 08:00
    assert action == ScheduleStep(0, 0, DAY + 22 * 3600, k=3)


def test_a_waiting_range_later_today_is_checked_today() -> None:
    p = policy({"only_if": {"between": "12:30-13:00", "otherwise": "wait"}}, {"notify_persons": ["anna"]})
    assert interpreter().decide(p, 0, 0, 0, DAY) == ScheduleStep(0, 0, DAY + 2.5 * 3600, k=1)


def test_a_waiting_off_hours_condition_looks_again_after_the_recheck_interval() -> None:
    p = policy({"only_if": {"off_hours": True, "otherwise": "wait"}}, {"notify_persons": ["anna"]})
    assert interpreter().decide(p, 0, 0, 0, DAY) == ScheduleStep(0, 0, DAY + 600, k=1)
    assert interpreter().decide(p, 0, 0, 0, NIGHT) == ScheduleStep(1, 0, NIGHT)


class Roster:
    """The Roster protocol with two people, one schedule and one team chat."""

    def __init__(self) -> None:
        self.people = {"anna": Recipient("anna", "Anna"), "ben": Recipient("ben", "Ben", "en")}

    def recipient(self, person_id: str) -> Recipient:
        return self.people[person_id]

    def on_call(self, schedule_id: str, at: datetime) -> list[str]:
        return ["anna"] if schedule_id == "social" and at.hour < 18 else []

    def team_chat(self, team_id: str) -> Recipient | None:
        return Recipient("chat:-100", "Team", telegram_id=-100) if team_id == "social" else None

    def is_off_hours(self, at: datetime) -> bool:
        return off_hours(at)

    def in_quiet_hours(self, person_id: str, at: datetime) -> bool:
        return False


def step(**fields: object) -> EscalationStep:
    return EscalationStep.model_validate(fields)


def test_targets_of_each_kind_of_notify_step() -> None:
    roster, at = Roster(), datetime(2026, 11, 23, 10, tzinfo=BERLIN)
    assert targets_for(step(notify_persons=["anna", "ben"]), roster, at) == Targets(people=("anna", "ben"))
    assert targets_for(step(notify_on_call="social"), roster, at) == Targets(people=("anna",))
    assert targets_for(step(notify_on_call="social"), roster, at.replace(hour=20)) == Targets()
    assert targets_for(step(notify_next_person=["ben", "anna"]), roster, at) == Targets(rotation=("ben", "anna"))
    chat = targets_for(step(notify_team_chat="social"), roster, at).chat
    assert chat is not None and chat.id == "chat:-100"
    assert targets_for(step(notify_team_chat="nobody"), roster, at) == Targets()


def test_unknown_people_are_reported_in_order_and_the_known_ones_kept() -> None:
    found, unknown = known_people(("zoe", "anna", "yan", "ben"), Roster())
    assert [r.id for r in found] == ["anna", "ben"]
    assert unknown == ["zoe", "yan"]
