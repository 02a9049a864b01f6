"""Replying "OK <code>" to a page acknowledges the incident; anything doubtful is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from warner.notify.ack_codes import AckCodes
from warner.notify.base import Action
from warner.notify.sms_inbound import (
    REPLY_PATH,
    TWILIO_PATH,
    SmsInbound,
    create_app,
    normalise_phone,
    parse_reply,
    twilio_signature,
)

PHONES = {"+4915112345678": "anna", "+4917099887766": "ben"}
TWILIO_TOKEN = "twilio-test-token"
PUBLIC_URL = "https://warner.example.de/sms/twilio"


class Actions:
    """The lifecycle as the reply webhook sees it: records what it was asked to do."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.calls: list[tuple[str, Action, str, str]] = []

    async def act(self, incident_id: str, action: Action, person: str, via: str) -> str:
        if incident_id not in self.known:
            raise LookupError(incident_id)
        self.calls.append((incident_id, action, person, via))
        return f"Übernommen von {person}"


@pytest.fixture
def actions() -> Actions:
    return Actions({"kesselberg:12"})


@pytest.fixture
def codes(redis: Any) -> AckCodes:
    return AckCodes(redis)


@pytest.fixture
async def client(codes: AckCodes, actions: Actions) -> AsyncIterator[TestClient]:
    inbound = SmsInbound(
        codes=codes, actions=actions, person_for_phone=PHONES.get,
        twilio_auth_token=TWILIO_TOKEN, twilio_url=PUBLIC_URL, reply_token=None,
    )  # fmt: skip
    async with TestClient(TestServer(create_app(inbound), host="127.0.0.1")) as c:
        yield c


async def twilio_post(client: TestClient, form: dict[str, str], signature: str | None = None) -> Any:
    signature = signature if signature is not None else twilio_signature(TWILIO_TOKEN, PUBLIC_URL, form)
    return await client.post(TWILIO_PATH, data=form, headers={"X-Twilio-Signature": signature})


def twilio_form(sender: str, body: str) -> dict[str, str]:
    return {
        "MessageSid": "SM123",
        "AccountSid": "AC0123456789abcdef",
        "From": sender,
        "To": "+4930123456",
        "Body": body,
    }


def test_the_signature_matches_twilios_published_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
        "From": "+14158675309", "To": "+18005551212",
    }  # fmt: skip
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


@pytest.mark.parametrize(
    ("text", "code"),
    [("OK 4821", "4821"), ("ok 4821", "4821"), ("ACK 4821", "4821"), ("4821", "4821"), (" Ok:4821. ", "4821"),
     ("OK 123456", "123456"), ("OK", None), ("OK 48", None), ("Wer ist da?", None), ("OK 4821 4822", None)],
)  # fmt: skip
def test_replies_are_read_leniently_but_only_as_codes(text: str, code: str | None) -> None:
    assert parse_reply(text) == code


def test_phone_numbers_are_normalised() -> None:
    assert normalise_phone("+49 151 1234-5678") == "+4915112345678"
    assert normalise_phone("004915112345678") == "+4915112345678"


async def test_ok_code_from_the_paged_number_acknowledges(
    client: TestClient, codes: AckCodes, actions: Actions
) -> None:
    code = await codes.issue("kesselberg:12", "anna")
    response = await twilio_post(client, twilio_form("+4915112345678", f"OK {code}"))
    assert response.status == 200
    assert response.content_type == "application/xml"
    body = await response.text()
    assert "<Response><Message>" in body and "kesselberg:12" in body
    assert actions.calls == [("kesselberg:12", "ack", "anna", "sms")]


async def test_a_bad_or_missing_twilio_signature_is_refused(
    client: TestClient, codes: AckCodes, actions: Actions
) -> None:
    code = await codes.issue("kesselberg:12", "anna")
    form = twilio_form("+4915112345678", f"OK {code}")
    forged = twilio_signature("wrong-token", PUBLIC_URL, form)
    assert (await twilio_post(client, form, signature=forged)).status == 403
    assert (await twilio_post(client, form, signature="")).status == 403
    tampered = twilio_signature(TWILIO_TOKEN, PUBLIC_URL, {**form, "From": "+4917099887766"})
    assert (await twilio_post(client, form, signature=tampered)).status == 403
    assert actions.calls == []


async def test_an_unknown_number_is_refused(client: TestClient, codes: AckCodes, actions: Actions) -> None:
    code = await codes.issue("kesselberg:12", "anna")
    response = await twilio_post(client, twilio_form("+4916000000000", f"OK {code}"))
    assert response.status == 403
    assert "keiner Person" in await response.text()
    assert actions.calls == []


async def test_a_code_sent_from_another_persons_number_is_refused(
    client: TestClient, codes: AckCodes, actions: Actions
) -> None:
    code = await codes.issue("kesselberg:12", "anna")
    response = await twilio_post(client, twilio_form("+4917099887766", f"OK {code}"))
    assert response.status == 403
    assert actions.calls == []


async def test_an_unknown_code_or_text_is_refused(client: TestClient, codes: AckCodes, actions: Actions) -> None:
    code = await codes.issue("kesselberg:12", "anna")
    wrong = "9999" if code != "9999" else "9998"
    response = await twilio_post(client, twilio_form("+4915112345678", f"OK {wrong}"))
    assert response.status == 404 and f"Code {wrong} unbekannt" in await response.text()
    response = await twilio_post(client, twilio_form("+4915112345678", "Was ist los?"))
    assert response.status == 400
    assert actions.calls == []


async def test_a_code_for_a_vanished_incident_is_404(client: TestClient, codes: AckCodes, actions: Actions) -> None:
    code = await codes.issue("kesselberg:99", "anna")
    response = await twilio_post(client, twilio_form("+4915112345678", code))
    assert response.status == 404 and "kesselberg:99" in await response.text()


async def test_the_generic_json_webhook_acknowledges(client: TestClient, codes: AckCodes, actions: Actions) -> None:
    code = await codes.issue("kesselberg:12", "ben")
    response = await client.post(REPLY_PATH, json={"from": "+49 170 99887766", "text": f"ack {code}"})
    assert response.status == 200
    assert (await response.json())["ok"] is True
    assert actions.calls == [("kesselberg:12", "ack", "ben", "sms")]


async def test_the_generic_webhook_refuses_with_a_reason(client: TestClient, codes: AckCodes) -> None:
    await codes.issue("kesselberg:12", "ben")
    response = await client.post(REPLY_PATH, json={"from": "+4916000000000", "text": "OK 1234"})
    assert response.status == 403 and (await response.json())["reason"] == "unknown_number"
    response = await client.post(REPLY_PATH, data=b"not json", headers={"Content-Type": "application/json"})
    assert response.status == 400
    response = await client.post(REPLY_PATH, json={"from": "+4917099887766"})
    assert response.status == 400


async def test_the_generic_webhook_can_require_a_bearer_token(codes: AckCodes, actions: Actions) -> None:
    inbound = SmsInbound(codes=codes, actions=actions, person_for_phone=PHONES.get, reply_token="s3cret")
    code = await codes.issue("kesselberg:12", "anna")
    async with TestClient(TestServer(create_app(inbound), host="127.0.0.1")) as c:
        reply = {"from": "+4915112345678", "text": f"OK {code}"}
        assert (await c.post(REPLY_PATH, json=reply)).status == 401
        assert (await c.post(REPLY_PATH, json=reply, headers={"Authorization": "Bearer s3cret"})).status == 200
    assert actions.calls == [("kesselberg:12", "ack", "anna", "sms")]
