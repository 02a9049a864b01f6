"""The typed escalation state reads and writes exactly what Redis held before the split."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from warner.core import Recipient
from warner.oncall.escalation.state import (
    EscalationState,
    HeldTimer,
    PagedTarget,
    RemindTimer,
    ResumeTimer,
    SentMessage,
    StepTimer,
    UpdateTimer,
    frozen_policy_fields,
    parse_timer_payload,
)
from warner.oncall.policy_config import EscalationStep, Policy

ANNA = Recipient("anna", "Anna", "de", telegram_id=11, phone="+4915100000011")
# Anna as 0.1.0 stored her (its Recipient had no email and no team)
ANNA_0_1 = {"id": "anna", "name": "Anna", "language": "de", "telegram_id": 11, "phone": "+4915100000011"}
STEP = EscalationStep.model_validate({"notify_persons": ["anna"], "channels": ["telegram", "sms"]})
POLICY = Policy.model_validate({"id": "storm", "steps": [{"notify_persons": ["anna"]}, {"wait": "5m"}]})


@pytest.mark.parametrize(
    ("payload", "timer", "suffix"),
    [
        ({"kind": "step", "gen": 3, "pos": 2, "iter": 1, "k": 4}, StepTimer(3, 2, 1, 4), "3|step|2|1|4"),
        ({"kind": "remind", "gen": 3, "n": 2}, RemindTimer(3, 2), "3|remind|2"),
        ({"kind": "resume", "gen": 5}, ResumeTimer(5), "5|resume"),
    ],
)
def test_timer_payloads_parse_and_serialise_to_the_same_json(
    payload: dict[str, Any], timer: StepTimer | RemindTimer | ResumeTimer, suffix: str
) -> None:
    assert parse_timer_payload(payload) == timer
    assert orjson.dumps(timer.to_payload()) == orjson.dumps(payload)
    assert timer.suffix() == suffix


def test_an_update_timer_is_named_after_its_due_second() -> None:
    timer = UpdateTimer(2)
    assert parse_timer_payload({"kind": "update", "gen": 2}) == timer
    assert timer.to_payload() == {"kind": "update", "gen": 2}
    assert timer.suffix(1000.7) == "2|update|1000"


def test_a_step_timer_from_before_the_recheck_counter_starts_at_zero() -> None:
    assert parse_timer_payload({"kind": "step", "gen": 1, "pos": 0, "iter": 0}) == StepTimer(1, 0, 0, 0)


def test_a_held_page_keeps_its_step_as_json_with_durations_in_seconds() -> None:
    wire = {
        "kind": "held",
        "gen": 1,
        "person": "anna",
        "step": {"notify_persons": ["anna"], "channels": ["telegram", "sms"], "delivery": "failover"},
        "page": "new",
        "reason": "first_page",
        "level": 1,
    }
    timer = parse_timer_payload(wire)
    assert timer == HeldTimer(1, "anna", STEP, "new", "first_page", 1)
    assert isinstance(timer, HeldTimer)
    assert orjson.dumps(timer.to_payload()) == orjson.dumps(wire)
    assert timer.suffix("kb:1|1|step|0|0|0") == "1|held|anna|kb:1|1|step|0|0|0"


def test_a_timer_kind_this_version_does_not_know_parses_to_none() -> None:
    assert parse_timer_payload({"kind": "escalate_to_mars", "gen": 1}) is None


def test_a_held_page_of_an_unknown_page_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="page kind"):
        parse_timer_payload(
            {"kind": "held", "gen": 1, "person": "a", "step": {}, "page": "x", "reason": "", "level": 0}
        )


async def test_a_hash_written_the_old_way_reads_typed_and_writes_back_byte_for_byte(redis: Any) -> None:
    key = "test:escalation"
    frozen = orjson.dumps(POLICY.model_dump(exclude_none=True), default=lambda v: v.total_seconds())
    await redis.hincrby(key, "gen", 2)
    await redis.hset(key, mapping={"policy": frozen, "policy_id": "storm", "severity": "warning"})
    await redis.hset(key, mapping={"started_at": 1_795_424_400.25, "next_pos": 2, "next_iter": 1})
    await redis.hsetnx(key, "update_due", 1_795_424_520.5)
    await redis.hset(key, "last_update_at", 1_795_424_400.25)
    await redis.hsetnx(key, "pick:kb:1|2|step|2|0|0", "ben")
    await redis.hsetnx(key, "sent:kb:1|2|step|0|0|0:anna", 1_795_424_400.5)
    old_target = {"recipient": ANNA_0_1, "step": STEP.model_dump(exclude_none=True), "level": 1}
    await redis.hset(key, "paged:anna", orjson.dumps(old_target))
    raw = await redis.hgetall(key)

    state = EscalationState.from_redis(raw)

    assert (state.gen, state.policy_id, state.severity) == (2, "storm", "warning")
    assert state.frozen_policy() == POLICY
    assert (state.started_at, state.next_pos, state.next_iter) == (1_795_424_400.25, 2, 1)
    assert (state.update_due, state.last_update_at) == (1_795_424_520.5, 1_795_424_400.25)
    assert state.picks == {"kb:1|2|step|2|0|0": "ben"}
    assert state.sent == {"kb:1|2|step|0|0|0:anna": 1_795_424_400.5}
    assert state.paged == {"anna": PagedTarget(ANNA, STEP, 1)}
    assert state.to_redis() == {field.decode(): value for field, value in raw.items()}


def test_an_empty_hash_is_generation_zero_without_a_policy() -> None:
    state = EscalationState.from_redis({})
    assert (state.gen, state.next_pos, state.policy, state.last_update_at) == (0, 0, None, None)
    with pytest.raises(LookupError):
        state.frozen_policy()


def test_fields_of_a_newer_version_survive_a_round_trip() -> None:
    raw: dict[bytes | str, bytes | str] = {"gen": b"1", "next_pos": b"0", "next_iter": b"0", "future_field": b"x"}
    assert EscalationState.from_redis(raw).to_redis() == raw


def test_starting_writes_the_frozen_policy_and_numbers_as_redis_would() -> None:
    fields = frozen_policy_fields(POLICY, "critical", 1_795_424_400.0)
    assert orjson.loads(fields["policy"]) == {
        "id": "storm",
        "steps": [STEP_PERSONS, {"wait": 300.0, "delivery": "failover"}],
    }
    assert fields["policy_id"] == b"storm"
    assert fields["severity"] == b"critical"
    assert fields["started_at"] == b"1795424400.0"


STEP_PERSONS = {"notify_persons": ["anna"], "delivery": "failover"}


def test_a_team_chat_is_no_person_for_reminders() -> None:
    chat = Recipient("chat:-100", "Team", telegram_id=-100)
    assert PagedTarget(ANNA, STEP, 1).is_person
    assert not PagedTarget(chat, STEP, 1).is_person


def test_a_sent_message_keeps_its_field_name_and_json() -> None:
    old = {"recipient": ANNA_0_1, "channel": "telegram", "ref": "42", "ack_code": "K7", "level": 2, "at": 5.5}
    message = SentMessage.from_json(orjson.dumps(old))
    assert message == SentMessage(ANNA, "telegram", "42", "K7", 2, 5.5)
    assert message.field == "anna|telegram|42"
    assert message.to_json() == orjson.dumps(old)


def test_a_recipient_is_stored_without_unused_fields_so_an_older_warner_reads_it():
    from warner.oncall.escalation.state import recipient_json

    stored = recipient_json(Recipient("anna", "Anna", "de", telegram_id=11, phone="+4915100000011"))
    assert set(stored) == {"id", "name", "language", "telegram_id", "phone"}  # the fields 0.1.0's Recipient has


def test_a_recipient_written_by_a_newer_warner_is_read_without_its_new_fields():
    from warner.oncall.escalation.state import recipient_from

    stored = {"id": "anna", "name": "Anna", "language": "en", "email": "anna@example.de", "pager_duty_id": "X1"}
    assert recipient_from(stored) == Recipient("anna", "Anna", "en", email="anna@example.de")
