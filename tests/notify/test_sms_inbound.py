"""Replying "OK <code>" to a page acknowledges the incident; anything doubtful gets one plain refusal.

Real parts throughout: the codes, the lockout, the incident lifecycle and the responder in a real
Redis, the webhooks served by aiohttp on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from warner.core import ManualClock, Recipient
from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.notify.sms.ack_codes import AckCodes
from warner.notify.sms.inbound import (
    LOCKED,
    REFUSED,
    REPLY_PATH,
    TWILIO_PATH,
    SmsInbound,
    create_app,
    normalise_phone,
    parse_reply,
    retire_codes_listener,
    status_from,
    twilio_signature,
)
from warner.notify.sms.lockout import ReplyLockout
from warner.store import keys

ANNA_PHONE, BEN_PHONE, STRANGER = "+4915112345678", "+4917099887766", "+4916000000000"
PEOPLE = {
    "anna": Recipient("anna", "Anna", "de", phone=ANNA_PHONE),
    "ben": Recipient("ben", "Ben", "en", phone=BEN_PHONE),
}
PHONES = {r.phone: r.id for r in PEOPLE.values()}
TWILIO_TOKEN = "twilio-test-token"
REPLY_TOKEN = "reply-test-token"
PUBLIC_URL = "https://warner.example.de/sms/twilio"
BEARER = {"Authorization": f"Bearer {REPLY_TOKEN}"}
NOW = 1_795_424_400.0  # Monday 2026-11-23 10:00 Europe/Berlin
INCIDENT = "kesselberg:12"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def codes(redis: Any) -> AckCodes:
    return AckCodes(redis)


@pytest.fixture
async def responder(redis: Any, clock: ManualClock, codes: AckCodes) -> IncidentResponder:
    """The responder as the pager builds it, with an open incident kesselberg:12."""
    for number in (12, 13):
        incident = Incident("kesselberg", number, "open", "critical", int(NOW) - 300, int(NOW), mentions=120)
        await redis.set(keys.incident("kesselberg", number), orjson.dumps(incident.to_json()))
    lifecycle = IncidentLifecycle(redis, clock)
    await lifecycle.apply(INCIDENT, "open")
    return IncidentResponder(lifecycle, IncidentStore(redis), PEOPLE.get, listeners=[retire_codes_listener(codes)])


def inbound(redis: Any, codes: AckCodes, responder: IncidentResponder, **secrets: str | None) -> SmsInbound:
    secrets = {"twilio_auth_token": TWILIO_TOKEN, "twilio_url": PUBLIC_URL, "reply_token": REPLY_TOKEN} | secrets
    return SmsInbound(
        codes, responder, PHONES.get, ReplyLockout(redis), status_from(responder),
        language_of=lambda p: PEOPLE[p].language, **secrets,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture
async def client(redis: Any, codes: AckCodes, responder: IncidentResponder) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(inbound(redis, codes, responder)), host="127.0.0.1")) as c:
        yield c


def twilio_form(sender: str, body: str) -> dict[str, str]:
    return {
        "MessageSid": "SM123", "AccountSid": "AC0123456789abcdef", "From": sender, "To": "+4930123456", "Body": body,
    }  # fmt: skip


async def twilio_post(client: TestClient, form: dict[str, str], signature: str | None = None) -> Any:
    signature = signature if signature is not None else twilio_signature(TWILIO_TOKEN, PUBLIC_URL, form)
    return await client.post(TWILIO_PATH, data=form, headers={"X-Twilio-Signature": signature})


async def reply(client: TestClient, sender: str, text: str) -> tuple[int, dict[str, Any], Any]:
    response = await client.post(REPLY_PATH, json={"from": sender, "text": text}, headers=BEARER)
    return response.status, await response.json(), response.headers


async def state(responder: IncidentResponder, incident_id: str = INCIDENT) -> tuple[str, str | None]:
    response = await responder.lifecycle.get(incident_id)
    assert response is not None
    return response.state, response.acknowledged_by


def from_address(address: str) -> aiohttp.ClientSession:
    """A client session whose connections come from ``address`` (any of 127/8): another client to warner."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0)))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_signature_matches_twilios_published_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
        "From": "+14158675309", "To": "+18005551212",
    }  # fmt: skip
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


@pytest.mark.parametrize(
    ("text", "code"),
    [("OK 482193", "482193"), ("ok 482193", "482193"), ("ACK 482193", "482193"), ("482193", "482193"),
     (" Ok:482193. ", "482193"), ("OK 48219307", "48219307"), ("OK", None), ("OK 4821", None),
     ("Wer ist da?", None), ("OK 482193 482194", None), ("OK 123456789", None)],
)  # fmt: skip
def test_replies_are_read_leniently_but_only_as_codes_of_six_to_eight_digits(text: str, code: str | None) -> None:
    assert parse_reply(text) == code


def test_phone_numbers_are_normalised() -> None:
    assert normalise_phone("+49 151 1234-5678") == "+4915112345678"
    assert normalise_phone("004915112345678") == "+4915112345678"


async def test_ok_code_from_the_paged_number_acknowledges_over_twilio(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    code = await codes.issue(INCIDENT, "anna")
    response = await twilio_post(client, twilio_form(ANNA_PHONE, f"OK {code}"))
    assert response.status == 200 and response.content_type == "application/xml"
    assert await response.text() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>OK: kesselberg:12 uebernommen.</Message></Response>'
    )
    assert await state(responder) == ("acknowledged", "anna")
    timeline = await responder.incidents.timeline("kesselberg", 12)
    assert any(e.get("kind") == "response" and e.get("via") == "sms" for e in timeline)


async def test_the_generic_json_webhook_acknowledges_in_the_persons_language(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    code = await codes.issue(INCIDENT, "ben")
    status, body, _ = await reply(client, "+49 170 99887766", f"ack {code}")
    assert (status, body) == (200, {"ok": True, "reason": "acked", "message": "OK: kesselberg:12 acknowledged."})
    assert await state(responder) == ("acknowledged", "ben")


async def test_a_bad_missing_or_proxy_url_twilio_signature_is_refused(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    code = await codes.issue(INCIDENT, "anna")
    form = twilio_form(ANNA_PHONE, f"OK {code}")
    forged = twilio_signature("wrong-token", PUBLIC_URL, form)
    assert (await twilio_post(client, form, signature=forged)).status == 403
    assert (await twilio_post(client, form, signature="")).status == 403
    tampered = twilio_signature(TWILIO_TOKEN, PUBLIC_URL, {**form, "From": BEN_PHONE})
    assert (await twilio_post(client, form, signature=tampered)).status == 403
    # signed for the URL warner itself sees (as a proxy would forward it), not the public one
    own_url = twilio_signature(TWILIO_TOKEN, str(client.make_url(TWILIO_PATH)), form)
    assert (await twilio_post(client, form, signature=own_url)).status == 403
    assert await state(responder) == ("open", None)


async def test_without_the_bearer_token_no_reply_is_even_looked_at(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    code = await codes.issue(INCIDENT, "anna")
    reply_json = {"from": ANNA_PHONE, "text": f"OK {code}"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": REPLY_TOKEN}):
        response = await client.post(REPLY_PATH, json=reply_json, headers=headers)
        assert response.status == 401
    assert await state(responder) == ("open", None)
    assert (await codes.claim(code, "anna")).outcome == "claimed"  # still live: nothing was tried


async def test_every_wrong_reply_gets_the_same_answer(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    anna = await codes.issue(INCIDENT, "anna")
    ben = await codes.issue(INCIDENT, "ben")
    tries = [
        (STRANGER, anna),  # a live code, from a number nobody has
        (BEN_PHONE, anna),  # a live code, from another on-call person
        (ANNA_PHONE, wrong(anna) if wrong(anna) != ben else wrong(ben)),  # no such code
        (STRANGER, "000000"),
    ]
    answers = set()
    for n, (sender, code) in enumerate(tries):  # each from its own address, to stay below the client lockout
        async with from_address(f"127.0.0.{n + 2}") as session:
            json = {"from": sender, "text": f"OK {code}"}
            async with session.post(client.make_url(REPLY_PATH), json=json, headers=BEARER) as response:
                answers.add((response.status, await response.read()))
            form = twilio_form(sender, f"OK {code}")
            headers = {"X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, PUBLIC_URL, form)}
            async with session.post(client.make_url(TWILIO_PATH), data=form, headers=headers) as response:
                answers.add((response.status, await response.read()))
    assert answers == {
        (403, orjson.dumps({"ok": False, "reason": "refused", "message": REFUSED})),
        (403, REFUSED.encode()),
    }
    assert await state(responder) == ("open", None)


async def test_five_wrong_codes_lock_the_number_even_for_the_right_code(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    code = await codes.issue(INCIDENT, "anna")
    statuses = [(await reply(client, ANNA_PHONE, f"OK {n:06d}"))[0] for n in range(1000, 1005) if f"{n:06d}" != code]
    assert statuses[:5] == [403] * 5
    status, body, headers = await reply(client, ANNA_PHONE, f"OK {code}")
    assert (status, body["reason"], body["message"]) == (429, "locked", LOCKED)
    assert 14 * 60 < int(headers["Retry-After"]) <= 15 * 60
    response = await twilio_post(client, twilio_form(ANNA_PHONE, f"OK {code}"))
    assert response.status == 429 and "Retry-After" in response.headers
    assert await state(responder) == ("open", None)


async def test_four_typos_then_the_right_code_acknowledges(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    code = await codes.issue(INCIDENT, "anna")
    for _ in range(4):
        assert (await reply(client, ANNA_PHONE, f"OK {wrong(code)}"))[0] == 403
    assert (await reply(client, ANNA_PHONE, f"OK {code}"))[0] == 200
    assert await state(responder) == ("acknowledged", "anna")


async def test_strangers_wrong_codes_through_the_gateway_cannot_lock_out_the_on_call_person(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    """Texts to the public Twilio number all arrive from Twilio's address: its lock must not keep Anna out."""
    anna, ben = await codes.issue(INCIDENT, "anna"), await codes.issue(INCIDENT, "ben")
    for n in range(5):  # five strangers' phones, one wrong code each: the gateway's address is locked
        response = await twilio_post(client, twilio_form(f"+49160000000{n:02d}", f"OK {wrong(anna)}"))
        assert response.status == 403
    locked = []
    for sender, code in [
        ("+4916000000099", wrong(anna)),  # another stranger
        ("+4916000000099", anna),  # a live code, from a number nobody has
        (ANNA_PHONE, ben),  # someone else's live code, from an on-call number
        (ANNA_PHONE, wrong(anna) if wrong(anna) != ben else wrong(ben)),  # a wrong code from Anna's number
    ]:
        response = await twilio_post(client, twilio_form(sender, f"OK {code}"))
        locked.append((response.status, await response.text()))
        assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
        status, body, headers = await reply(client, sender, f"OK {code}")
        locked.append((status, orjson.dumps(body).decode()))
        assert 14 * 60 < int(headers["Retry-After"]) <= 15 * 60
    # one answer for every wrong code, the locked client's, on both routes: no oracle for live codes
    as_json = orjson.dumps({"ok": False, "reason": "locked", "message": LOCKED}).decode()
    assert set(locked) == {(429, LOCKED), (429, as_json)}
    async with from_address("127.0.0.2") as other:  # another client is not locked
        json = {"from": STRANGER, "text": f"OK {wrong(anna)}"}
        async with other.post(client.make_url(REPLY_PATH), json=json, headers=BEARER) as response:
            assert response.status == 403
    assert await state(responder) == ("open", None)
    # Anna's own code, through the locked gateway, still acknowledges (her two typos above did not lock her)
    response = await twilio_post(client, twilio_form(ANNA_PHONE, f"OK {anna}"))
    assert response.status == 200 and "OK: kesselberg:12 uebernommen." in await response.text()
    assert await state(responder) == ("acknowledged", "anna")


async def test_wrong_codes_through_a_locked_gateway_still_lock_the_number(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    code = await codes.issue(INCIDENT, "anna")
    for n in range(5):
        assert (await reply(client, f"+49160000000{n:02d}", f"OK {wrong(code)}"))[0] == 403
    guesses = [f"{n:06d}" for n in range(1000, 1006) if f"{n:06d}" != code][:5]
    assert [(await reply(client, ANNA_PHONE, f"OK {g}"))[0] for g in guesses] == [429] * 5  # checked, all wrong
    status, body, _ = await reply(client, ANNA_PHONE, f"OK {code}")  # now the number is locked: refused unchecked
    assert (status, body["reason"]) == (429, "locked")
    async with from_address("127.0.0.2") as other:  # from any client
        json = {"from": ANNA_PHONE, "text": f"OK {code}"}
        async with other.post(client.make_url(REPLY_PATH), json=json, headers=BEARER) as response:
            assert response.status == 429
    assert await state(responder) == ("open", None)
    assert (await codes.claim(code, "anna")).outcome == "claimed"  # the code itself was never reached


async def test_a_code_works_once_then_says_the_incident_is_already_acknowledged(
    client: TestClient, codes: AckCodes
) -> None:
    code = await codes.issue(INCIDENT, "anna")
    assert (await reply(client, ANNA_PHONE, f"OK {code}"))[0] == 200
    status, body, _ = await reply(client, ANNA_PHONE, f"OK {code}")
    assert (status, body["reason"]) == (409, "already_acknowledged")
    assert body["message"] == "Vorfall kesselberg:12 ist bereits uebernommen (Übernommen von Anna, 10:00)."


async def test_a_reply_after_the_incident_was_resolved_elsewhere_says_so_and_changes_nothing(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    anna, ben = await codes.issue(INCIDENT, "anna"), await codes.issue(INCIDENT, "ben")
    await responder.act(INCIDENT, "resolve", "ben", via="telegram")  # retires both codes
    response = await twilio_post(client, twilio_form(ANNA_PHONE, f"OK {anna}"))
    assert response.status == 200  # Twilio texts this back to Anna
    assert "Vorfall kesselberg:12 ist bereits erledigt (Erledigt von Ben, 10:00)." in await response.text()
    status, body, _ = await reply(client, BEN_PHONE, f"OK {ben}")
    assert (status, body["message"]) == (409, "Incident kesselberg:12 is already resolved (Resolved by Ben, 10:00).")
    assert (await state(responder))[0] == "resolved"
    # the tombstone only speaks to the code's owner: to anyone else it is a wrong code
    refused = {"ok": False, "reason": "refused", "message": REFUSED}
    assert (await reply(client, BEN_PHONE, f"OK {anna}"))[:2] == (403, refused)


async def test_a_reply_after_someone_else_acknowledged_says_who(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    code = await codes.issue(INCIDENT, "anna")
    await responder.act(INCIDENT, "ack", "ben", via="telegram")
    status, body, _ = await reply(client, ANNA_PHONE, f"OK {code}")
    assert (status, body["reason"]) == (409, "already_acknowledged")
    assert "Übernommen von Ben" in body["message"]
    assert await state(responder) == ("acknowledged", "ben")


async def test_an_old_code_of_a_reopened_incident_has_expired(
    client: TestClient, codes: AckCodes, responder: IncidentResponder
) -> None:
    old = await codes.issue(INCIDENT, "anna")
    await responder.act(INCIDENT, "resolve", "ben", via="telegram")
    await responder.lifecycle.apply(INCIDENT, "reopen")
    status, body, _ = await reply(client, ANNA_PHONE, f"OK {old}")
    assert (status, body["reason"]) == (409, "code_expired")
    assert await state(responder) == ("open", None)
    new = await codes.issue(INCIDENT, "anna")  # the new page's code works
    assert new != old and (await reply(client, ANNA_PHONE, f"OK {new}"))[0] == 200


async def test_a_code_for_a_vanished_incident_is_404_for_its_owner(client: TestClient, codes: AckCodes) -> None:
    code = await codes.issue("kesselberg:99", "anna")
    status, body, _ = await reply(client, ANNA_PHONE, code)
    assert (status, body["reason"]) == (404, "unknown_incident") and "kesselberg:99" in body["message"]


async def test_malformed_replies_are_400_and_do_not_count_as_guesses(client: TestClient, codes: AckCodes) -> None:
    code = await codes.issue(INCIDENT, "anna")
    for _ in range(10):
        assert (await reply(client, ANNA_PHONE, "Was ist los?"))[0] == 400
    response = await client.post(REPLY_PATH, data=b"not json", headers={**BEARER, "Content-Type": "application/json"})
    assert response.status == 400
    assert (await client.post(REPLY_PATH, json={"from": BEN_PHONE}, headers=BEARER)).status == 400
    assert (await reply(client, ANNA_PHONE, f"OK {code}"))[0] == 200


async def test_a_route_is_only_mounted_with_its_secret(
    redis: Any, codes: AckCodes, responder: IncidentResponder
) -> None:
    only_twilio = inbound(redis, codes, responder, reply_token=None)
    only_generic = inbound(redis, codes, responder, twilio_auth_token=None, twilio_url=None)
    for app, missing in ((only_twilio, REPLY_PATH), (only_generic, TWILIO_PATH)):
        async with TestClient(TestServer(create_app(app), host="127.0.0.1")) as c:
            assert (await c.post(missing, json={})).status == 404
    with pytest.raises(ValueError, match="no authenticated SMS reply route"):
        inbound(redis, codes, responder, twilio_auth_token=None, reply_token=None)
    with pytest.raises(ValueError, match="twilio_url"):
        inbound(redis, codes, responder, twilio_url=None)


PAGER_YAML = """
oncall:
  people:
    - {id: anna, name: Anna, phone: "+4915112345678"}
    - {id: ben, name: Ben, phone: "+4917099887766", language: en}
notify:
  sms:
    provider: http
    http: {url: "http://127.0.0.1:9/send"}
    inbound: {token_env: TEST_SMS_REPLY_TOKEN}
escalation:
  policies: [{id: storm, steps: [{notify_persons: [anna, ben], channels: [sms]}]}]
  routes: [{severity: [critical], policy: storm}]
"""


async def test_the_pager_mounts_only_the_authenticated_route_and_retires_codes_on_any_channel(
    redis: Any, responder: IncidentResponder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warner.config.loading import parse_config
    from warner.paging import build_pager

    monkeypatch.setenv("TEST_SMS_REPLY_TOKEN", REPLY_TOKEN)
    pager = build_pager(parse_config(PAGER_YAML, "pager.yaml"), redis)
    assert pager is not None
    app = web.Application()
    pager.add_routes(app)
    assert sorted(r.canonical for r in app.router.resources()) == [REPLY_PATH]
    code = await pager.engine.ack_code(INCIDENT, "anna")  # as the engine issues it for a page
    await pager.responder.act(INCIDENT, "resolve", "ben", via="telegram")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        status, body, _ = await reply(c, ANNA_PHONE, f"OK {code}")
    assert (status, body["reason"]) == (409, "already_resolved")
    await pager.close()


async def raw_post(client: TestClient, path: str, header: bytes, body: bytes, content_type: bytes) -> int:
    """One request written byte for byte (aiohttp's client will not send undecodable header bytes): its status."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + header + b"\r\nContent-Type: " + content_type
            + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )  # fmt: skip
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        return int(status_line.split()[1])
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("path", "header", "body", "content_type", "status"),
    [
        (REPLY_PATH, b"Authorization: Bearer \xff\xfe" + REPLY_TOKEN.encode(),
         b'{"from": "+4915112345678", "text": "OK 123456"}', b"application/json", 401),
        (REPLY_PATH, b"Authorization: \xc3(", b"{}", b"application/json", 401),
        (TWILIO_PATH, b"X-Twilio-Signature: \xff\xfe=", b"From=%2B4915112345678&Body=OK+123456",
         b"application/x-www-form-urlencoded", 403),
        # a body no signature can cover: 400 before anything is checked
        (TWILIO_PATH, b"X-Twilio-Signature: abc=", b"From=\xff&Body=OK\xfe123456",
         b"application/x-www-form-urlencoded", 400),
        (TWILIO_PATH, b"X-Twilio-Signature: abc=",
         b'--b\r\nContent-Disposition: form-data; name="From"\r\n\r\n\xff\r\n--b--\r\n',
         b"multipart/form-data; boundary=b", 400),
        (TWILIO_PATH, b"X-Twilio-Signature: abc=", b"From=1", b"multipart/form-data", 400),
    ],
)  # fmt: skip
async def test_undecodable_header_or_form_bytes_are_refused_never_a_server_error(
    client: TestClient, path: str, header: bytes, body: bytes, content_type: bytes, status: int
) -> None:
    assert await raw_post(client, path, header, body, content_type) == status
