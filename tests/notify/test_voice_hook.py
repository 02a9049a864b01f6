"""Calls through a generic HTTP hook, both ways: warner asks the hook to call, the hook posts key presses back.

The hook is a local double (tests/doubles/voice_api.py ``VoiceHook``); warner's ``/voice/press``
route runs on 127.0.0.1 over a real Redis with the real codes, lockout and responder.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from doubles.voice_api import VoiceHook

from warner.core import ManualClock, Recipient
from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.notify.base import Page
from warner.notify.sms.ack_codes import AckCodes
from warner.notify.sms.inbound import LOCKED, REFUSED, retire_codes_listener, status_from
from warner.notify.sms.lockout import ReplyLockout
from warner.notify.voice.config import PRESS_PATH, VoiceConfig
from warner.notify.voice.hook import HttpVoiceChannel
from warner.notify.voice.inbound import REPEAT, VoiceInbound, create_app
from warner.store import keys

ANNA_PHONE, BEN_PHONE = "+4915112345678", "+4917099887766"
PEOPLE = {
    "anna": Recipient("anna", "Anna", "de", phone=ANNA_PHONE),
    "ben": Recipient("ben", "Ben", "en", phone=BEN_PHONE),
}
NOW = 1_795_424_400.0
INCIDENT_ID = "kesselberg:12"
INCIDENT = Incident("kesselberg", 12, "open", "warning", int(NOW) - 300, int(NOW), mentions=40, expected=51.4)


@pytest.fixture
async def responder(redis: Any) -> IncidentResponder:
    await redis.set(keys.incident("kesselberg", 12), orjson.dumps(INCIDENT.to_json()))
    lifecycle = IncidentLifecycle(redis, ManualClock(NOW))
    await lifecycle.apply(INCIDENT_ID, "open")
    return IncidentResponder(
        lifecycle, IncidentStore(redis), PEOPLE.get, listeners=[retire_codes_listener(AckCodes(redis))]
    )


@pytest.fixture
async def hook(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[VoiceHook]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with VoiceHook() as hook:
        monkeypatch.setenv("TEST_HOOK_TOKEN", hook.token)
        yield hook


@pytest.fixture
async def channel(hook: VoiceHook, redis: Any, responder: IncidentResponder) -> AsyncIterator[HttpVoiceChannel]:
    """The hook channel, and warner's /voice/press on 127.0.0.1 at the channel's public URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    inbound = VoiceInbound(
        AckCodes(redis), responder, {r.phone: r.id for r in PEOPLE.values()}.get, ReplyLockout(redis),
        status_from(responder), language_of=lambda p: PEOPLE[p].language, press_token=hook.press_token,
    )  # fmt: skip
    runner = web.AppRunner(create_app(inbound), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    config = VoiceConfig.model_validate({
        "provider": "http", "public_url": url, "http": {"url": hook.url, "token_env": "TEST_HOOK_TOKEN"},
        "inbound": {"token_env": "TEST_PRESS_TOKEN"},
    })  # fmt: skip
    voice = HttpVoiceChannel(config)
    yield voice
    await voice.close()
    await runner.cleanup()


async def state(responder: IncidentResponder) -> tuple[str, str | None]:
    response = await responder.lifecycle.get(INCIDENT_ID)
    assert response is not None
    return response.state, response.acknowledged_by


async def test_the_hook_gets_the_text_prompt_and_callback_and_pressing_1_acknowledges(
    hook: VoiceHook, channel: HttpVoiceChannel, redis: Any, responder: IncidentResponder
) -> None:
    code = await AckCodes(redis).issue(INCIDENT_ID, "anna")
    delivery = await channel.send(Page(INCIDENT, PEOPLE["anna"], "new", ack_code=code))
    assert (delivery.ok, delivery.target, delivery.message_ref) == (True, ANNA_PHONE, "hook-1")
    (request,) = hook.requests
    assert hook.bearers == [f"Bearer {hook.token}"]
    assert request["to"] == ANNA_PHONE and request["language"] == "de-DE" and request["code"] == code
    assert request["text"].startswith("Hier ist warner. Warnung für kesselberg. 40 Erwähnungen seit ")
    assert request["text"].endswith("üblich wären 51. 0 Prozent negativ.")
    assert request["prompt"] == "Drücken Sie 1, um zu übernehmen." and request["ring_timeout"] == 30
    assert request["callback_url"].endswith(PRESS_PATH)
    status, body = await hook.press("1")
    assert (status, body) == (200, {"ok": True, "reason": "acked", "message": "Übernommen. Danke."})
    assert await state(responder) == ("acknowledged", "anna")
    assert (await hook.press("1"))[1]["message"] == "Der Vorfall ist bereits übernommen."


async def test_another_key_asks_again_and_wrong_tokens_or_codes_are_refused(
    hook: VoiceHook, channel: HttpVoiceChannel, redis: Any, responder: IncidentResponder
) -> None:
    codes = AckCodes(redis)
    anna, ben = await codes.issue(INCIDENT_ID, "anna"), await codes.issue(INCIDENT_ID, "ben")
    assert (await channel.send(Page(INCIDENT, PEOPLE["anna"], "new", ack_code=anna))).ok
    assert await hook.press("2") == (200, {"ok": False, "reason": "repeat", "message": REPEAT})
    assert (await hook.press("1", token="wrong"))[0] == 401
    assert await hook.press("1", code=ben) == (403, {"ok": False, "reason": "refused", "message": REFUSED})
    assert await state(responder) == ("open", None)
    assert (await codes.claim(ben, "ben")).outcome == "claimed"  # Anna's press did not spend Ben's code


async def test_five_wrong_codes_lock_the_number_even_for_the_right_one(
    hook: VoiceHook, channel: HttpVoiceChannel, redis: Any, responder: IncidentResponder
) -> None:
    code = await AckCodes(redis).issue(INCIDENT_ID, "anna")
    assert (await channel.send(Page(INCIDENT, PEOPLE["anna"], "new", ack_code=code))).ok
    guesses = [f"{n:06d}" for n in range(1000, 1006) if f"{n:06d}" != code][:5]
    assert [(await hook.press("1", code=g))[0] for g in guesses] == [403] * 5
    assert await hook.press("1") == (429, {"ok": False, "reason": "locked", "message": LOCKED})
    assert await state(responder) == ("open", None)


@pytest.mark.parametrize(("status", "permanent"), [("busy", True), ("no-answer", True), ("failed", True)])
async def test_an_unanswered_hook_call_is_a_permanent_failure(
    hook: VoiceHook, channel: HttpVoiceChannel, status: str, permanent: bool
) -> None:
    hook.status = status
    delivery = await channel.send(Page(INCIDENT, PEOPLE["ben"], "new", ack_code="123456"))
    assert (delivery.ok, delivery.permanent, delivery.error) == (False, permanent, f"call {status}")
    assert hook.requests[0]["language"] == "en-US" and hook.requests[0]["prompt"] == "Press 1 to acknowledge."


@pytest.mark.parametrize(("http_status", "permanent"), [(500, False), (429, False), (400, True)])
async def test_hook_failures_are_reported_with_the_usual_verdicts(
    hook: VoiceHook, channel: HttpVoiceChannel, http_status: int, permanent: bool
) -> None:
    hook.http_status = http_status
    delivery = await channel.send(Page(INCIDENT, PEOPLE["anna"], "new", ack_code="123456"))
    assert (delivery.ok, delivery.permanent) == (False, permanent)
    assert delivery.error is not None and delivery.error.startswith(f"HTTP {http_status}")
