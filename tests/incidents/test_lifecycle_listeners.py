"""Whoever changes a response — a person, a snooze that runs out, a policy — the lifecycle's listeners hear it.

The web console's live list listens here for the changes no responder sees (the escalation
engine's own): a listener is told once per change, never of a step that changed nothing, and a
failing listener does not undo or hide the change.
"""

from __future__ import annotations

from warner.core import ManualClock
from warner.incidents.lifecycle import IncidentLifecycle, Transition

INCIDENT = "kesselberg:7"


async def test_every_change_is_told_once_and_a_step_that_changes_nothing_is_not(redis) -> None:
    clock = ManualClock(1_800_000_000)
    lifecycle = IncidentLifecycle(redis, clock)
    heard: list[tuple[str, str]] = []

    async def listener(t: Transition) -> None:
        heard.append((t.step, t.response.state))

    lifecycle.listeners.append(listener)
    await lifecycle.apply(INCIDENT, "open", via="detector")
    await lifecycle.apply(INCIDENT, "snooze", "anna", "web", snooze_until=1_800_003_600)
    clock.set(1_800_003_601)  # the snooze ran out
    await lifecycle.apply(INCIDENT, "wake", "warner", "snooze")
    await lifecycle.apply(INCIDENT, "ack", "anna", "telegram")
    await lifecycle.apply(INCIDENT, "ack", "ben", "telegram")  # already acknowledged: no change
    assert heard == [("open", "open"), ("snooze", "snoozed"), ("wake", "open"), ("ack", "acknowledged")]


async def test_a_failing_listener_does_not_undo_the_change(redis) -> None:
    lifecycle = IncidentLifecycle(redis, ManualClock(1_800_000_000))

    async def broken(t: Transition) -> None:
        raise RuntimeError("listener down")

    lifecycle.listeners.append(broken)
    await lifecycle.apply(INCIDENT, "open", via="detector")
    transition = await lifecycle.apply(INCIDENT, "resolve", "warner", "policy")
    assert transition.changed and transition.response.state == "resolved"
    response = await lifecycle.get(INCIDENT)
    assert response is not None and response.state == "resolved"
