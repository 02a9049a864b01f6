"""A page as a phone call through a Twilio-compatible Voice API: rung, spoken, answered — or failed over.

Against the local Voice API double (tests/doubles/voice_api.py); failover goes to the real SMS
channel against the SMS gateway double, through the real Notifier.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from doubles.sms_gateway import SmsGateway
from doubles.voice_api import VoiceApi

from warner.core import Recipient
from warner.incidents.model import Incident
from warner.notify.base import Delivery, Page
from warner.notify.delivery import Notifier, RetryPolicy
from warner.notify.secrets import MissingSecretError
from warner.notify.sms.channels import sms_channel
from warner.notify.sms.config import SmsConfig
from warner.notify.voice.config import VoiceConfig
from warner.notify.voice.twilio import TwilioVoiceChannel

ANNA_PHONE, BEN_PHONE = "+4915112345678", "+4917099887766"
ANNA = Recipient("anna", "Anna", "de", phone=ANNA_PHONE)
BEN = Recipient("ben", "Ben", "en", phone=BEN_PHONE)
STARTED = 1_795_459_800  # 2026-11-23 19:50 Europe/Berlin
INCIDENT = Incident(
    "kesselberg", 12, "open", "critical", STARTED, STARTED + 600, mentions=184, expected=4.2, negatives=129
)
PUBLIC_URL = "https://warner.example.de"
LABELS = {"kesselberg": "Brauerei Kesselberg"}


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[VoiceApi]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "twilio-test-token")
    async with VoiceApi() as api:
        yield api


def voice_config(api: VoiceApi, **extra: Any) -> VoiceConfig:
    twilio = {"base_url": api.url, "account_sid": api.account_sid, "auth_token_env": "TEST_TWILIO_TOKEN",
              "from_number": "+4930123456"}  # fmt: skip
    return VoiceConfig.model_validate(
        {"provider": "twilio", "twilio": twilio, "public_url": PUBLIC_URL, "poll_interval": 0.02} | extra
    )


def channel(api: VoiceApi, **kwargs: Any) -> TwilioVoiceChannel:
    return TwilioVoiceChannel(voice_config(api, **kwargs.pop("config", {})), labels=LABELS, **kwargs)


def page(recipient: Recipient = ANNA, kind: Any = "new", incident: Incident = INCIDENT) -> Page:
    return Page(incident, recipient, kind, ack_code="482193")


async def test_an_answered_call_is_delivered_and_spoke_the_page_in_german(api: VoiceApi) -> None:
    call = channel(api)
    delivery = await call.send(page())
    await call.close()
    assert delivery.ok and delivery.target == ANNA_PHONE and delivery.channel == "call"
    (placed,) = api.calls
    assert delivery.message_ref == placed.sid
    assert (placed.to, placed.sender, placed.timeout) == (ANNA_PHONE, "+4930123456", "30")
    assert placed.said() == [
        ("de-DE", "Hier ist warner. Kritischer Alarm für Brauerei Kesselberg. 184 Erwähnungen seit 19:50 Uhr, "
                  "üblich wären 4,2. 70 Prozent negativ."),
        ("de-DE", "Drücken Sie 1, um zu übernehmen."),
        ("de-DE", "Drücken Sie 1, um zu übernehmen."),
        ("de-DE", "Auf Wiederhören."),
    ]  # fmt: skip
    assert placed.gather_action == f"{PUBLIC_URL}/voice/twilio/gather?code=482193"
    assert '<Gather numDigits="1"' in placed.twiml and placed.twiml.index("Wiederhören") > placed.twiml.index(
        "</Gather>"
    )


async def test_an_english_speaker_hears_english(api: VoiceApi) -> None:
    call = channel(api)
    escalation = Page(INCIDENT, BEN, "escalation", ack_code="123456", escalation_level=1)
    assert (await call.send(escalation)).ok
    await call.close()
    said = api.calls[0].said()
    assert {lang for lang, _ in said} == {"en-US"}
    assert said[0][1] == (
        "This is warner. Escalation. Critical alert for Brauerei Kesselberg. 184 mentions since 19:50, "
        "usually 4.2. 70 percent negative."
    )
    assert [text for _, text in said[1:]] == ["Press 1 to acknowledge.", "Press 1 to acknowledge.", "Goodbye."]


async def test_a_brand_label_is_xml_escaped_in_the_twiml(api: VoiceApi) -> None:
    call = TwilioVoiceChannel(voice_config(api), labels={"kesselberg": 'Kessel & Berg <"Bier">'})
    assert (await call.send(page())).ok
    await call.close()
    twiml = api.calls[0].twiml
    assert 'Kessel &amp; Berg &lt;"Bier"&gt;' in twiml and '<"Bier">' not in twiml
    assert 'Kessel & Berg <"Bier">' in api.calls[0].said()[0][1]


@pytest.mark.parametrize("outcome", ["busy", "no-answer", "failed"])
async def test_an_unanswered_call_is_a_permanent_failure(api: VoiceApi, outcome: str) -> None:
    api.script(ANNA_PHONE, outcome)
    call = channel(api)
    delivery = await call.send(page())
    await call.close()
    assert (delivery.ok, delivery.permanent, delivery.error) == (False, True, f"call {outcome}")
    assert len(api.calls) == 1


@pytest.mark.parametrize("outcome", ["busy", "no-answer"])
async def test_a_busy_or_unanswered_call_fails_over_to_sms_at_once(
    api: VoiceApi, monkeypatch: pytest.MonkeyPatch, outcome: str
) -> None:
    monkeypatch.setenv("TEST_SMS_TOKEN", "twilio-test-token")
    api.script(ANNA_PHONE, outcome)
    recorded: list[Delivery] = []

    async def record(_page: Page, delivery: Delivery) -> None:
        recorded.append(delivery)

    async with SmsGateway() as gateway:
        sms = sms_channel(SmsConfig.model_validate({"provider": "http", "http": {"url": f"{gateway.url}/send"}}))
        notifier = Notifier({"call": channel(api), "sms": sms}, RetryPolicy(base_delay=0.01), record)
        attempts = await notifier.deliver(page(), ["call", "sms"])
        await notifier.close()
        assert [(d.channel, d.ok, d.error) for d in attempts] == [
            ("call", False, f"call {outcome}"),
            ("sms", True, None),
        ]
        assert recorded == attempts  # every attempt reaches the incident's timeline
        assert len(api.calls) == 1  # no second ring: straight to the next channel
        assert gateway.requests[0].form["to"] == ANNA_PHONE


async def test_a_rate_limited_call_is_retried_after_the_apis_retry_after(api: VoiceApi) -> None:
    api.fail_next(1, 429, retry_after=0.2)
    call = channel(api)
    first = await call.send(page())
    assert (first.ok, first.permanent, first.retry_after) == (False, False, 0.2)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def record(_page: Page, _delivery: Delivery) -> None:
        return None

    api.fail_next(1, 429, retry_after=0.2)
    notifier = Notifier({"call": call}, RetryPolicy(), record, sleep=sleep)
    attempts = await notifier.deliver(page(), ["call"])
    await notifier.close()
    assert [d.ok for d in attempts] == [False, True] and waits == [0.2]
    assert len(api.calls) == 1  # the rate-limited requests placed no call


async def test_a_server_error_is_transient_and_retried(api: VoiceApi) -> None:
    api.fail_next(2, 500)

    async def record(_page: Page, _delivery: Delivery) -> None:
        return None

    notifier = Notifier({"call": channel(api)}, RetryPolicy(base_delay=0.01, max_attempts=3), record)
    attempts = await notifier.deliver(page(), ["call"])
    await notifier.close()
    assert [(d.ok, d.permanent) for d in attempts] == [(False, False), (False, False), (True, False)]
    assert attempts[0].error is not None and attempts[0].error.startswith("HTTP 500")


async def test_a_slow_api_times_out_as_a_transient_failure(api: VoiceApi) -> None:
    api.latency = 1.0
    call = channel(api, config={"timeout": 0.2})
    delivery = await call.send(page())
    await call.close()
    assert (delivery.ok, delivery.permanent, delivery.error) == (False, False, "timeout")
    assert delivery.latency_s < 0.9


async def test_a_call_that_rings_past_its_timeout_is_cancelled_and_transient(api: VoiceApi) -> None:
    api.script(ANNA_PHONE, "ringing")
    call = channel(api, config={"answer_grace": 0.2}, ring_timeout=0.3)
    delivery = await call.send(page())
    await call.close()
    assert (delivery.ok, delivery.permanent) == (False, False)
    assert delivery.error == "call still ringing after 0.5s: cancelled"
    assert 0.5 <= delivery.latency_s < 2.0
    assert api.calls[0].canceled  # it cannot ring on while the next channel is tried


async def test_a_wrong_auth_token_is_a_permanent_failure(api: VoiceApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "wrong")
    call = channel(api)
    delivery = await call.send(page())
    await call.close()
    assert (delivery.ok, delivery.permanent) == (False, True) and delivery.error is not None
    assert delivery.error.startswith("HTTP 401") and api.calls == []


async def test_nobody_is_rung_for_a_closed_incident_or_without_a_phone(api: VoiceApi) -> None:
    call = channel(api)
    nobody = Recipient("cem", "Cem", "de")
    assert not call.can_reach(nobody) and call.can_reach(ANNA)
    no_phone = await call.send(page(nobody))
    resolved = await call.send(page(kind="resolved"))
    await call.close()
    assert (no_phone.ok, no_phone.permanent, no_phone.error) == (False, True, "cem has no phone number")
    assert (resolved.ok, resolved.permanent) == (False, True) and api.calls == []


def test_an_unset_auth_token_fails_when_the_channel_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_TWILIO_TOKEN", raising=False)
    config = VoiceConfig.model_validate({
        "provider": "twilio", "public_url": PUBLIC_URL,
        "twilio": {"account_sid": "AC1", "auth_token_env": "TEST_TWILIO_TOKEN", "from_number": "+4930123456"},
    })  # fmt: skip
    with pytest.raises(MissingSecretError, match="TEST_TWILIO_TOKEN"):
        TwilioVoiceChannel(config)
