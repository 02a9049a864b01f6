"""Incident lifecycle: open -> acknowledged -> resolved | false alarm, snooze, re-open; who/when/via."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
import pytest

from warner.core import ManualClock, Recipient
from warner.incidents.lifecycle import (
    IncidentLifecycle,
    IncidentResponder,
    Transition,
    mean_mtta,
    mean_mttr,
)
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.store import keys

T0 = 1_795_287_600.0  # 2026-11-21 20:00 Europe/Berlin (Saturday)
PEOPLE = {
    "anna": Recipient("anna", "Anna", "de", telegram_id=11),
    "ben": Recipient("ben", "Ben", "en", telegram_id=12),
}


async def store_incident(redis, number: int = 1, brand: str = "kesselberg") -> Incident:
    inc = Incident(brand, number, "open", "critical", int(T0) - 600, int(T0))
    await redis.set(keys.incident(brand, number), orjson.dumps(inc.to_json()))
    return inc


@pytest.fixture
def clock():
    return ManualClock(T0)


@pytest.fixture
def heard():
    return []


@pytest.fixture
def responder(redis, clock, heard):
    async def listener(t: Transition) -> None:
        heard.append(t)

    lifecycle = IncidentLifecycle(redis, clock)
    return IncidentResponder(lifecycle, IncidentStore(redis), PEOPLE.get, listeners=[listener])


async def test_ack_then_resolve_records_who_when_and_via_in_the_timeline(redis, clock, responder, heard):
    inc = await store_incident(redis)
    await responder.lifecycle.apply(inc.id, "open", via="detector")
    clock.advance(240)
    assert await responder.act(inc.id, "ack", "anna", "telegram") == "Übernommen von Anna, 20:04"
    clock.advance(1800)
    assert await responder.act(inc.id, "resolve", "ben", "sms") == "Resolved by Ben, 20:34"

    r = await responder.lifecycle.get(inc.id)
    assert (r.state, r.acknowledged_by, r.acknowledged_via, r.resolved_by, r.resolved_via) == (
        "resolved",
        "anna",
        "telegram",
        "ben",
        "sms",
    )
    assert (r.mtta, r.mttr) == (240, 2040)
    timeline = await IncidentStore(redis).timeline("kesselberg", 1)
    assert [(e["state"], e["by"], e["via"], e["at"]) for e in timeline] == [
        ("acknowledged", "anna", "telegram", T0 + 240),
        ("resolved", "ben", "sms", T0 + 2040),
    ]
    assert [t.response.state for t in heard] == ["acknowledged", "resolved"]


async def test_acking_twice_is_not_an_error_and_reports_who_acked_first(redis, clock, responder, heard):
    inc = await store_incident(redis)
    await responder.lifecycle.apply(inc.id, "open")
    clock.advance(60)
    lines = await asyncio.gather(
        responder.act(inc.id, "ack", "anna", "telegram"), responder.act(inc.id, "ack", "ben", "telegram")
    )
    assert lines in (
        ["Übernommen von Anna, 20:01", "Already: Acknowledged by Anna, 20:01"],
        ["Bereits: Übernommen von Ben, 20:01", "Acknowledged by Ben, 20:01"],
    )
    assert len(heard) == 1  # one change, one notification
    timeline = await IncidentStore(redis).timeline("kesselberg", 1)
    assert [e["state"] for e in timeline] == ["acknowledged"]


async def test_a_detector_rewrite_of_the_incident_keeps_the_ack(redis, clock, responder):
    inc = await store_incident(redis)
    await responder.act(inc.id, "ack", "anna", "telegram")
    await store_incident(redis)  # the detect stage rewrites the incident JSON every bucket
    assert (await responder.lifecycle.get(inc.id)).state == "acknowledged"


async def test_snooze_mutes_for_an_hour_and_wakes_back_to_open(redis, clock, responder):
    inc = await store_incident(redis)
    await responder.lifecycle.apply(inc.id, "open")
    assert await responder.act(inc.id, "snooze", "ben", "telegram") == "Snoozed until 21:00 (Ben)"
    r = await responder.lifecycle.get(inc.id)
    assert (r.state, r.snoozed_until, r.snoozed_by) == ("snoozed", T0 + 3600, "ben")

    clock.advance(1800)
    assert not (await responder.lifecycle.apply(inc.id, "wake")).changed  # not yet
    clock.advance(1800)
    woke = await responder.lifecycle.apply(inc.id, "wake", "warner", "snooze")
    assert woke.changed and woke.response.state == "open" and woke.response.snoozed_until is None


async def test_false_alarm_is_final_and_not_counted_in_mttr(redis, clock, responder):
    inc = await store_incident(redis)
    await responder.lifecycle.apply(inc.id, "open")
    clock.advance(120)
    assert await responder.act(inc.id, "false_alarm", "anna", "telegram") == "Fehlalarm laut Anna, 20:02"
    assert await responder.act(inc.id, "ack", "ben", "telegram") == "Already: False alarm per Anna, 20:02"
    r = await responder.lifecycle.get(inc.id)
    assert r.state == "false_alarm" and r.mttr is None and r.mtta is None


async def test_a_new_surge_reopens_a_resolved_incident_and_a_second_ack_is_needed(redis, clock, responder):
    inc = await store_incident(redis)
    await responder.lifecycle.apply(inc.id, "open")
    await responder.act(inc.id, "ack", "anna", "telegram")
    clock.advance(600)
    await responder.act(inc.id, "resolve", "anna", "telegram")
    assert (await responder.lifecycle.apply(inc.id, "reopen", via="detector")).changed
    r = await responder.lifecycle.get(inc.id)
    assert r.state == "open" and r.reopened == 1 and r.resolved_at is None
    assert r.first_acknowledged_at == T0  # MTTA keeps the first answer
    clock.advance(60)
    assert await responder.act(inc.id, "ack", "ben", "sms") == "Acknowledged by Ben, 20:11"
    assert await responder.lifecycle.reopens_since(inc.id, T0) == 1


async def test_reopen_does_nothing_while_someone_is_on_it(redis, responder):
    inc = await store_incident(redis)
    await responder.act(inc.id, "ack", "anna", "telegram")
    t = await responder.lifecycle.apply(inc.id, "reopen", via="detector")
    assert not t.changed and t.response.state == "acknowledged"


async def test_unknown_incident_and_unknown_person_are_refused(redis, responder):
    inc = await store_incident(redis)
    with pytest.raises(LookupError):
        await responder.act("kesselberg:99", "ack", "anna", "telegram")
    with pytest.raises(LookupError):
        await responder.act("nonsense", "ack", "anna", "telegram")
    with pytest.raises(PermissionError):
        await responder.act(inc.id, "ack", "mallory", "telegram")
    only_anna = IncidentResponder(
        responder.lifecycle, responder.incidents, PEOPLE.get, may_act=lambda p, i: p == "anna"
    )
    with pytest.raises(PermissionError):
        await only_anna.act(inc.id, "ack", "ben", "telegram")
    assert await responder.lifecycle.get(inc.id) is None  # nothing happened


async def test_drafts_point_to_the_coming_playbooks_without_changing_state(redis, responder):
    inc = await store_incident(redis)
    assert "Playbooks" in await responder.act(inc.id, "drafts", "anna", "telegram")
    assert "playbooks" in await responder.act(inc.id, "drafts", "ben", "telegram")
    assert await responder.lifecycle.get(inc.id) is None


async def test_mtta_and_mttr_across_incidents(redis, clock, responder):
    for n, (ack_after, resolve_after) in enumerate([(60, 600), (180, 1200)], start=1):
        clock.set(T0)
        inc = await store_incident(redis, n)
        await responder.lifecycle.apply(inc.id, "open")
        clock.advance(ack_after)
        await responder.act(inc.id, "ack", "anna", "telegram")
        clock.set(T0 + resolve_after)
        await responder.act(inc.id, "resolve", "anna", "telegram")
    responses = await responder.lifecycle.responses(["kesselberg:1", "kesselberg:2", "kesselberg:3"])
    assert len(responses) == 2
    assert mean_mtta(responses) == 120
    assert mean_mttr(responses) == 900
    assert mean_mtta([]) is None
    assert responder.snooze == timedelta(hours=1)
