"""Pressing "Übernehmen" in Slack acknowledges the incident — only with Slack's fresh signature, only as a known person.

Real parts: the incident lifecycle and the responder in a real Redis, the callback served by
aiohttp on 127.0.0.1, the ephemeral answers posted to a local stand-in of Slack's response_url.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from doubles.chat_webhooks import ChatWebhooks

from warner.core import ManualClock, Recipient
from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.notify.slack.blocks import ACK_ACTION
from warner.notify.slack.interactions import (
    INTERACTIONS_PATH,
    UNKNOWN_USER,
    SlackInteractions,
    create_app,
    slack_signature,
)
from warner.store import keys

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_795_424_400.0  # Monday 2026-11-23 10:00 Europe/Berlin
INCIDENT = "kesselberg:12"
PEOPLE = {"anna": Recipient("anna", "Anna", "de"), "ben": Recipient("ben", "Ben", "en")}
SLACK_USERS = {"U0ANNA": "anna", "U0BEN": "ben"}


@pytest.fixture
async def responder(redis: Any) -> IncidentResponder:
    incident = Incident("kesselberg", 12, "open", "critical", int(NOW) - 300, int(NOW), mentions=120)
    await redis.set(keys.incident("kesselberg", 12), orjson.dumps(incident.to_json()))
    lifecycle = IncidentLifecycle(redis, ManualClock(NOW))
    await lifecycle.apply(INCIDENT, "open")
    return IncidentResponder(lifecycle, IncidentStore(redis), PEOPLE.get)


@pytest.fixture
async def slack() -> AsyncIterator[ChatWebhooks]:
    async with ChatWebhooks() as double:
        yield double


@pytest.fixture
async def client(responder: IncidentResponder, slack: ChatWebhooks) -> AsyncIterator[TestClient]:
    interactions = SlackInteractions(
        SECRET, responder, SLACK_USERS.get, language_of=lambda p: PEOPLE[p].language, now=lambda: NOW,
        response_url_allowed=lambda url: url.startswith(slack.base),
    )  # fmt: skip
    async with TestClient(TestServer(create_app(interactions), host="127.0.0.1")) as c:
        yield c


def press(slack: ChatWebhooks, user: str, incident: str = INCIDENT, action: str = ACK_ACTION) -> bytes:
    payload = {
        "type": "block_actions", "user": {"id": user, "username": "someone"},
        "response_url": f"{slack.base}/slack/respond/T1", "actions": [
            {"action_id": action, "value": incident, "type": "button", "block_id": "b1"},
        ],
    }  # fmt: skip
    return urlencode({"payload": orjson.dumps(payload).decode()}).encode()


async def post(client: TestClient, body: bytes, *, at: float = NOW, secret: str = SECRET) -> int:
    timestamp = str(int(at))
    headers = {
        "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": slack_signature(secret, timestamp, body),
        "Content-Type": "application/x-www-form-urlencoded",
    }  # fmt: skip
    response = await client.post(INTERACTIONS_PATH, data=body, headers=headers)
    return response.status


async def state(responder: IncidentResponder) -> tuple[str, str | None]:
    response = await responder.lifecycle.get(INCIDENT)
    assert response is not None
    return response.state, response.acknowledged_by


def test_the_signature_matches_slacks_published_example() -> None:
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert slack_signature(SECRET, "1531420618", body) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


async def test_a_signed_press_acknowledges_as_the_linked_person_and_answers_them(
    client: TestClient, responder: IncidentResponder, slack: ChatWebhooks
) -> None:
    assert await post(client, press(slack, "U0ANNA")) == 200
    assert await state(responder) == ("acknowledged", "anna")
    timeline = await responder.incidents.timeline("kesselberg", 12)
    assert any(e.get("kind") == "response" and e.get("via") == "slack" for e in timeline)
    (answer,) = slack.responses
    assert answer.json["response_type"] == "ephemeral" and answer.json["replace_original"] is False
    assert answer.json["text"].startswith("Übernommen von Anna")


async def test_a_wrong_signature_or_a_stale_timestamp_changes_nothing(
    client: TestClient, responder: IncidentResponder, slack: ChatWebhooks
) -> None:
    body = press(slack, "U0ANNA")
    assert await post(client, body, secret="not-the-signing-secret") == 401
    assert await post(client, body, at=NOW - 301) == 401  # signed correctly, but six minutes ago: a replay
    assert await post(client, body, at=NOW + 301) == 401
    tampered = press(slack, "U0BEN")
    timestamp = str(int(NOW))
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": slack_signature(SECRET, timestamp, body)}
    assert (await client.post(INTERACTIONS_PATH, data=tampered, headers=headers)).status == 401
    assert (await client.post(INTERACTIONS_PATH, data=body)).status == 401  # no headers at all
    assert await state(responder) == ("open", None)
    assert slack.responses == []


async def test_an_unknown_slack_user_is_refused_politely(
    client: TestClient, responder: IncidentResponder, slack: ChatWebhooks
) -> None:
    assert await post(client, press(slack, "U0STRANGER")) == 200
    assert await state(responder) == ("open", None)
    (answer,) = slack.responses
    assert answer.json["text"] == UNKNOWN_USER and "slack_user_id" in UNKNOWN_USER


async def test_an_unknown_incident_is_answered_in_the_persons_language(
    client: TestClient, responder: IncidentResponder, slack: ChatWebhooks
) -> None:
    assert await post(client, press(slack, "U0BEN", incident="kesselberg:99")) == 200
    assert [r.json["text"] for r in slack.responses] == ["Incident kesselberg:99 not found."]


async def test_other_interactions_and_broken_payloads_change_nothing(
    client: TestClient, responder: IncidentResponder, slack: ChatWebhooks
) -> None:
    assert await post(client, press(slack, "U0ANNA", action="warner_console")) == 200  # the link button
    assert await post(client, b"payload=%7Bnot-json") == 400
    assert await state(responder) == ("open", None) and slack.responses == []


async def test_an_answer_goes_only_to_slacks_own_host(responder: IncidentResponder, slack: ChatWebhooks) -> None:
    interactions = SlackInteractions(SECRET, responder, SLACK_USERS.get, now=time.time)
    async with TestClient(TestServer(create_app(interactions), host="127.0.0.1")) as c:
        assert await post(c, press(slack, "U0ANNA"), at=time.time()) == 200
    assert await state(responder) == ("acknowledged", "anna")
    assert slack.responses == []  # the response_url pointed elsewhere than hooks.slack.com
