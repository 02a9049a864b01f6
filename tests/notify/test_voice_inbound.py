"""Pressing 1 during a call acknowledges the incident — only through Twilio's signed callback, only with
the called person's own code.

Real parts throughout: the ack codes, the lockout, the incident lifecycle and the responder in a
real Redis; warner's key-press route served by aiohttp on 127.0.0.1; the Voice API double places
the call and presses the key as Twilio does (signed POST to the <Gather> action of the call's TwiML).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from doubles.voice_api import PlacedCall, VoiceApi
from yarl import URL

from warner.core import ManualClock, Recipient
from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.notify.base import Page
from warner.notify.sms.ack_codes import AckCodes
from warner.notify.sms.inbound import REFUSED, retire_codes_listener, status_from
from warner.notify.sms.lockout import ReplyLockout
from warner.notify.voice.config import GATHER_PATH, VoiceConfig
from warner.notify.voice.inbound import VoiceInbound, create_app
from warner.notify.voice.twilio import TwilioVoiceChannel
from warner.store import keys

ANNA_PHONE, BEN_PHONE = "+4915112345678", "+4917099887766"
PEOPLE = {
    "anna": Recipient("anna", "Anna", "de", phone=ANNA_PHONE),
    "ben": Recipient("ben", "Ben", "en", phone=BEN_PHONE),
}
PHONES = {r.phone: r.id for r in PEOPLE.values()}
TOKEN = "twilio-test-token"
NOW = 1_795_424_400.0  # Monday 2026-11-23 10:00 Europe/Berlin
INCIDENT_ID = "kesselberg:12"
INCIDENT = Incident("kesselberg", 12, "open", "critical", int(NOW) - 300, int(NOW), mentions=120, negatives=60)


@pytest.fixture
async def responder(redis: Any) -> IncidentResponder:
    await redis.set(keys.incident("kesselberg", 12), orjson.dumps(INCIDENT.to_json()))
    lifecycle = IncidentLifecycle(redis, ManualClock(NOW))
    await lifecycle.apply(INCIDENT_ID, "open")
    return IncidentResponder(
        lifecycle, IncidentStore(redis), PEOPLE.get, listeners=[retire_codes_listener(AckCodes(redis))]
    )


@pytest.fixture
async def warner_url(redis: Any, responder: IncidentResponder) -> AsyncIterator[str]:
    """warner's key-press route on 127.0.0.1: its URL is the public URL the calls point Twilio to."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # the port first: the route must know the URL Twilio signs
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    inbound = VoiceInbound(
        AckCodes(redis), responder, PHONES.get, ReplyLockout(redis), status_from(responder),
        language_of=lambda p: PEOPLE[p].language, twilio_auth_token=TOKEN, gather_url=url + GATHER_PATH,
    )  # fmt: skip
    runner = web.AppRunner(create_app(inbound), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    yield url
    await runner.cleanup()


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[VoiceApi]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("TEST_TWILIO_TOKEN", TOKEN)
    async with VoiceApi(auth_token=TOKEN) as api:
        yield api


async def call(api: VoiceApi, warner_url: str, person: str, code: str) -> PlacedCall:
    """Page ``person`` by phone with ``code``, as the escalation engine would; the call the API placed."""
    config = VoiceConfig.model_validate({
        "provider": "twilio", "public_url": warner_url, "poll_interval": 0.02,
        "twilio": {"base_url": api.url, "account_sid": api.account_sid, "auth_token_env": "TEST_TWILIO_TOKEN",
                   "from_number": "+4930123456"},
    })  # fmt: skip
    channel = TwilioVoiceChannel(config)
    delivery = await channel.send(Page(INCIDENT, PEOPLE[person], "new", ack_code=code))
    await channel.close()
    assert delivery.ok
    return api.calls[-1]


async def state(responder: IncidentResponder) -> tuple[str, str | None]:
    response = await responder.lifecycle.get(INCIDENT_ID)
    assert response is not None
    return response.state, response.acknowledged_by


def spoken(twiml: str) -> list[str]:
    return [text for _, text in PlacedCall("", "", "", twiml, "", "").said()]


async def test_pressing_1_acknowledges_the_incident_and_says_thank_you(
    api: VoiceApi, warner_url: str, redis: Any, responder: IncidentResponder
) -> None:
    code = await AckCodes(redis).issue(INCIDENT_ID, "anna")
    placed = await call(api, warner_url, "anna", code)
    status, body = await api.press(placed, "1")
    assert (status, spoken(body)) == (200, ["Übernommen. Danke."]) and body.endswith("<Hangup/></Response>")
    assert await state(responder) == ("acknowledged", "anna")
    timeline = await responder.incidents.timeline("kesselberg", 12)
    assert any(e.get("kind") == "response" and e.get("via") == "call" for e in timeline)


async def test_an_english_speaker_is_thanked_in_english_and_a_second_press_hears_it_is_done(
    api: VoiceApi, warner_url: str, redis: Any, responder: IncidentResponder
) -> None:
    code = await AckCodes(redis).issue(INCIDENT_ID, "ben")
    placed = await call(api, warner_url, "ben", code)
    assert spoken((await api.press(placed, "1"))[1]) == ["Acknowledged. Thank you."]
    status, body = await api.press(placed, "1")  # the code is used up: say what became of the incident
    assert (status, spoken(body)) == (200, ["This incident is already acknowledged."])
    assert await state(responder) == ("acknowledged", "ben")


async def test_another_key_repeats_the_prompt_and_leaves_the_code_live(
    api: VoiceApi, warner_url: str, redis: Any, responder: IncidentResponder
) -> None:
    code = await AckCodes(redis).issue(INCIDENT_ID, "anna")
    placed = await call(api, warner_url, "anna", code)
    for digits in ("2", ""):
        status, body = await api.press(placed, digits)
        assert (status, spoken(body)) == (200, ["Drücken Sie 1, um zu übernehmen.", "Auf Wiederhören."])
        assert f'action="{warner_url}{GATHER_PATH}?code={code}"' in body
    assert await state(responder) == ("open", None)
    assert (await api.press(placed, "1"))[0] == 200
    assert await state(responder) == ("acknowledged", "anna")


async def test_a_forged_or_tampered_signature_is_refused_and_acknowledges_nothing(
    api: VoiceApi, warner_url: str, redis: Any, responder: IncidentResponder
) -> None:
    codes = AckCodes(redis)
    anna, ben = await codes.issue(INCIDENT_ID, "anna"), await codes.issue(INCIDENT_ID, "ben")
    placed = await call(api, warner_url, "anna", anna)
    assert await api.press(placed, "1", auth_token="not-the-token") == (403, "invalid X-Twilio-Signature")
    # Anna's genuine signature, replayed with Ben's code in the query: the signature covers the query string
    tampered = str(URL(placed.gather_action).with_query(code=ben))
    assert (await api.press(placed, "1", url=tampered, signed_url=placed.gather_action))[0] == 403
    # signed for the URL as a proxy would forward it, not the public one warner was told
    proxied = placed.gather_action.replace("127.0.0.1", "localhost")
    assert (await api.press(placed, "1", signed_url=proxied))[0] == 403
    assert await state(responder) == ("open", None)
    assert (await codes.claim(anna, "anna")).outcome == "claimed"  # still live: nothing was redeemed
    assert (await codes.claim(ben, "ben")).outcome == "claimed"


async def test_someone_elses_code_is_refused_like_any_wrong_code(
    api: VoiceApi, warner_url: str, redis: Any, responder: IncidentResponder
) -> None:
    codes = AckCodes(redis)
    ben = await codes.issue(INCIDENT_ID, "ben")
    placed = await call(api, warner_url, "anna", ben)  # Anna's phone rings with Ben's code in the action
    assert await api.press(placed, "1") == (403, REFUSED)
    assert await state(responder) == ("open", None)
    assert (await codes.claim(ben, "ben")).outcome == "claimed"  # Ben's code was not spent by Anna's press
