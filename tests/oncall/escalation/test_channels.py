"""Which channels a page takes: the step's, the person's own order, a team's, minus channels in quiet hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from warner.directory import ConfigDirectory
from warner.oncall.config import OncallConfig
from warner.oncall.escalation.channels import Contact, plan_channels
from warner.oncall.policy_config import EscalationStep

BERLIN = ZoneInfo("Europe/Berlin")


def step(**fields: object) -> EscalationStep:
    return EscalationStep.model_validate({"notify_persons": ["anna"], **fields})


def test_a_step_without_channels_follows_the_persons_contact_order():
    plan = plan_channels(step(), Contact(("telegram", "sms", "call")), critical=False)
    assert plan.channels == ["telegram", "sms", "call"] and plan.delivery == "failover"


def test_channels_named_by_the_step_win_over_the_persons_order():
    plan = plan_channels(step(channels=["sms"]), Contact(("telegram", "call")), critical=False)
    assert plan.channels == ["sms"]


def test_without_any_preference_a_page_goes_to_telegram():
    assert plan_channels(step(), Contact(), critical=False).channels == ["telegram"]


def test_a_call_step_calls_whatever_the_person_prefers_otherwise():
    call = EscalationStep.model_validate({"call": ["anna"]})
    assert plan_channels(call, Contact(("telegram", "sms")), critical=False).channels == ["call"]


def test_a_quiet_channel_is_left_out_of_a_warning_but_not_of_a_critical_page():
    contact = Contact(("telegram", "call"), quiet=frozenset({"call"}))
    warning = plan_channels(step(), contact, critical=False)
    assert warning.channels == ["telegram"] and warning.left_out == ("call",) and not warning.held_by_quiet
    assert plan_channels(step(), contact, critical=True).channels == ["telegram", "call"]


def test_when_every_channel_is_quiet_the_page_is_held_not_dropped():
    plan = plan_channels(step(), Contact(("sms", "call"), quiet=frozenset({"sms", "call"})), critical=False)
    assert plan.channels == [] and plan.held_by_quiet


def test_a_team_is_told_on_all_its_announcement_channels_at_once():
    plan = plan_channels(
        EscalationStep.model_validate({"notify_team_chat": "social"}),
        Contact(("teams", "slack"), announcement=True),
        critical=False,
    )
    assert plan.channels == ["teams", "slack"] and plan.delivery == "all"


ONCALL = {
    "people": [
        {
            "id": "anna",
            "name": "Anna",
            "phone": "+4915100000011",
            "email": "anna@example.de",
            "contact": ["telegram", {"channel": "call", "quiet_hours": "23:00-07:00"}],
        },
        {"id": "ben", "name": "Ben", "telegram_id": 12},
    ],
    "teams": [
        {"id": "social", "members": ["anna"], "slack_webhook_env": "SLACK_SOCIAL"},
        {"id": "press", "members": ["ben"], "telegram_chat_id": -100, "teams_webhook_env": "TEAMS_PRESS"},
    ],
}


def test_the_directory_reads_a_persons_channels_and_their_quiet_hours_in_local_time():
    roster = ConfigDirectory(OncallConfig.model_validate(ONCALL))
    anna = roster.recipient("anna")
    assert anna.email == "anna@example.de"
    night = roster.contact(anna, datetime(2026, 12, 5, 23, 30, tzinfo=BERLIN))
    day = roster.contact(anna, datetime(2026, 12, 5, 12, 0, tzinfo=BERLIN))
    assert night == Contact(("telegram", "call"), frozenset({"call"}))
    assert day == Contact(("telegram", "call"), frozenset())
    assert roster.contact(roster.recipient("ben"), datetime(2026, 12, 5, 12, 0, tzinfo=BERLIN)) == Contact()


def test_a_team_without_a_telegram_group_is_reached_through_its_other_chats():
    roster = ConfigDirectory(OncallConfig.model_validate(ONCALL))
    social = roster.team_chat("social")
    press = roster.team_chat("press")
    assert social is not None and social.id == "team:social" and social.team == "social"
    assert press is not None and press.id == "chat:-100" and press.team == "press"
    at = datetime(2026, 12, 5, 12, 0, tzinfo=BERLIN)
    assert roster.contact(social, at).order == ("slack",)
    assert roster.contact(press, at) == Contact(("telegram", "teams"), announcement=True)


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        (["telegram", "telegram"], "appears twice"),
        (["fax"], "channel"),
        ([{"channel": "sms", "quiet_hours": "25:00-07:00"}], "quiet_hours"),
    ],
)
def test_a_contact_list_that_cannot_work_is_refused(contact: list[object], message: str):
    people = [{"id": "anna", "name": "Anna", "contact": contact}]
    with pytest.raises(ValidationError, match=message):
        OncallConfig.model_validate({"people": people})


def test_an_email_address_that_is_not_one_is_refused():
    with pytest.raises(ValidationError, match="e-mail address"):
        OncallConfig.model_validate({"people": [{"id": "anna", "name": "Anna", "email": "anna at example"}]})
