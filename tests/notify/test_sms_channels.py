"""Both SMS adapters against a local gateway double: requests as a gateway sees them, verdicts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from doubles.sms_gateway import GENERIC_PATH, SmsGateway

from warner.core import Recipient
from warner.incidents.model import Incident
from warner.notify.base import Page
from warner.notify.secrets import MissingSecretError
from warner.notify.sms.channels import HttpSmsChannel, TwilioSmsChannel, sms_channel
from warner.notify.sms.config import HttpGatewayConfig, SmsConfig, TwilioConfig
from warner.notify.sms.text import gsm7_length

PHONE = "+4915112345678"
LABELS = {"kesselberg": "Brauerei Kesselberg"}


def page(phone: str | None = PHONE) -> Page:
    incident = Incident(
        brand="kesselberg",
        number=12,
        status="open",
        severity="critical",
        started_at=1795287000,
        updated_at=1795287000,
        mentions=54,
        expected=2.0,
        negatives=38,
    )
    return Page(incident=incident, recipient=Recipient("anna", "Anna", phone=phone), kind="new", ack_code="4821")


@pytest.fixture
async def gateway() -> AsyncIterator[SmsGateway]:
    async with SmsGateway() as gw:
        yield gw


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_USER", "warner")
    monkeypatch.setenv("SMS_PASSWORD", "pa:ss wörd")
    monkeypatch.setenv("SMS_TOKEN", "bearer-secret")
    monkeypatch.setenv("TWILIO_TOKEN", "twilio-test-token")


def http_channel(gateway: SmsGateway, **fields: object) -> HttpSmsChannel:
    config = HttpGatewayConfig.model_validate({"url": gateway.url + GENERIC_PATH, **fields})
    return HttpSmsChannel(config, labels=LABELS, timeout=2.0)


def twilio_channel(gateway: SmsGateway, **fields: object) -> TwilioSmsChannel:
    config = TwilioConfig.model_validate(
        {
            "base_url": gateway.url,
            "account_sid": gateway.account_sid,
            "auth_token_env": "TWILIO_TOKEN",
            "from_number": "+4930123456",
            **fields,
        }
    )
    return TwilioSmsChannel(config, labels=LABELS, timeout=2.0)


async def test_generic_gateway_gets_a_form_post_with_basic_auth(gateway: SmsGateway, secrets: None) -> None:
    channel = http_channel(
        gateway, auth="basic", user_env="SMS_USER", password_env="SMS_PASSWORD", sender="warner",
        headers={"X-Account": "kesselberg"},
    )  # fmt: skip
    try:
        delivery = await channel.send(page())
    finally:
        await channel.close()
    assert delivery.ok and delivery.channel == "sms" and delivery.target == PHONE
    assert delivery.message_ref == "msg-1" and delivery.latency_s > 0
    (request,) = gateway.requests
    assert request.method == "POST"
    assert request.basic_auth == ("warner", "pa:ss wörd")
    assert request.headers["X-Account"] == "kesselberg"
    assert request.form == {"to": PHONE, "text": channel.text(page()), "from": "warner"}
    assert "kesselberg:12" in request.form["text"] and "OK 4821" in request.form["text"]


async def test_generic_gateway_gets_json_from_its_own_template_with_a_bearer_token(
    gateway: SmsGateway, secrets: None
) -> None:
    template = '{"messages": [{"recipient": {{ to|tojson }}, "content": {{ text|tojson }}, "type": "sms"}]}'
    channel = http_channel(gateway, auth="bearer", token_env="SMS_TOKEN", content_type="json", body_template=template)
    try:
        delivery = await channel.send(page())
    finally:
        await channel.close()
    assert delivery.ok
    (request,) = gateway.requests
    assert request.bearer == "bearer-secret"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {"messages": [{"recipient": PHONE, "content": channel.text(page()), "type": "sms"}]}


async def test_generic_gateway_by_get_sends_the_template_as_query(gateway: SmsGateway) -> None:
    channel = http_channel(
        gateway, method="GET", body_template="key=abc&dest={{ to|urlencode }}&msg={{ text|urlencode }}"
    )
    try:
        assert (await channel.send(page())).ok
    finally:
        await channel.close()
    (request,) = gateway.requests
    assert request.method == "GET" and request.body == b""
    assert request.query == {"key": "abc", "dest": PHONE, "msg": channel.text(page())}


async def test_twilio_gets_its_form_post_with_account_basic_auth(gateway: SmsGateway, secrets: None) -> None:
    channel = twilio_channel(gateway)
    try:
        delivery = await channel.send(page())
    finally:
        await channel.close()
    assert delivery.ok and delivery.message_ref and delivery.message_ref.startswith("SM")
    (request,) = gateway.requests
    assert request.path == gateway.twilio_messages_path
    assert request.basic_auth == (gateway.account_sid, "twilio-test-token")
    assert request.form == {"To": PHONE, "From": "+4930123456", "Body": channel.text(page())}
    assert (gsm7_length(request.form["Body"]) or 999) <= 160


async def test_twilio_with_a_wrong_token_is_a_permanent_failure(
    gateway: SmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_TOKEN", "stale")
    channel = twilio_channel(gateway)
    try:
        delivery = await channel.send(page())
    finally:
        await channel.close()
    assert not delivery.ok and delivery.permanent and "HTTP 401" in (delivery.error or "")


@pytest.mark.parametrize(
    ("status", "retry_after", "permanent", "expected_retry_after"),
    [
        (429, 7, False, 7.0),
        (429, None, False, None),
        (500, None, False, None),
        (503, 2.5, False, 2.5),
        (400, None, True, None),
    ],
)
async def test_gateway_failures_are_reported_not_raised(
    gateway: SmsGateway, secrets: None, status: int, retry_after: float | None, permanent: bool,
    expected_retry_after: float | None,
) -> None:  # fmt: skip
    for channel in (http_channel(gateway), twilio_channel(gateway)):
        gateway.fail_next(1, status, retry_after=retry_after)
        try:
            delivery = await channel.send(page())
        finally:
            await channel.close()
        assert not delivery.ok
        assert delivery.permanent is permanent
        assert delivery.retry_after == expected_retry_after
        assert delivery.error and delivery.error.startswith(f"HTTP {status}")


async def test_a_slow_gateway_times_out_as_a_transient_failure(gateway: SmsGateway) -> None:
    gateway.latency = 1.0
    config = HttpGatewayConfig(url=gateway.url + GENERIC_PATH)
    channel = HttpSmsChannel(config, timeout=0.1)
    try:
        delivery = await channel.send(page())
    finally:
        await channel.close()
    assert not delivery.ok and not delivery.permanent and delivery.error == "timeout"
    assert 0.1 <= delivery.latency_s < 1.0


async def test_an_unreachable_gateway_is_a_transient_failure() -> None:
    async with SmsGateway() as gone:
        url = gone.url
    channel = HttpSmsChannel(HttpGatewayConfig(url=url + GENERIC_PATH), timeout=1.0)
    try:
        delivery = await channel.send(page())
    finally:
        await channel.close()
    assert not delivery.ok and not delivery.permanent and "ClientConnectorError" in (delivery.error or "")


async def test_a_recipient_without_phone_cannot_be_reached(gateway: SmsGateway) -> None:
    channel = http_channel(gateway)
    assert not channel.can_reach(page(phone=None).recipient)
    delivery = await channel.send(page(phone=None))
    assert not delivery.ok and delivery.permanent and gateway.requests == []
    await channel.close()


def test_a_missing_secret_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_TOKEN", raising=False)
    config = SmsConfig.model_validate(
        {
            "provider": "twilio",
            "twilio": {"account_sid": "AC1", "auth_token_env": "TWILIO_TOKEN", "from_number": "+4930123456"},
        }
    )
    assert config.missing_secrets() == ["environment variable TWILIO_TOKEN is not set (sms.twilio.auth_token_env)"]
    with pytest.raises(MissingSecretError, match="TWILIO_TOKEN is not set"):
        sms_channel(config)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"provider": "http"}, "provider http needs an sms.http section"),
        ({"provider": "http", "http": {"url": "https://x", "password": "hunter2"}}, "secrets are not read from YAML"),
        ({"provider": "http", "http": {"url": "https://x", "auth": "basic", "user_env": "U"}},
         "needs user_env and password_env"),
        ({"provider": "http", "http": {"url": "https://x", "body_template": "{{ to "}}, "body_template line 1"),
        ({"provider": "http", "http": {"url": "https://x", "content_type": "json",
                                       "body_template": '{"to": {{ to }}}'}}, "valid JSON"),
        ({"provider": "http", "http": {"url": "https://x", "method": "GET", "content_type": "json"}},
         "use content_type form"),
        ({"provider": "twilio", "twilio": {"account_sid": "AC1", "auth_token": "x", "auth_token_env": "T",
                                           "from_number": "+4930123456"}}, "secrets are not read"),
    ],
)  # fmt: skip
def test_config_errors_say_what_to_fix(section: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SmsConfig.model_validate(section)


def test_config_reads_durations_and_builds_the_configured_channel(secrets: None) -> None:
    config = SmsConfig.model_validate(
        {
            "provider": "http",
            "timeout": "3s",
            "http": {"url": "https://sms.example/send", "auth": "bearer", "token_env": "SMS_TOKEN"},
        }
    )
    assert config.timeout == timedelta(seconds=3)
    assert isinstance(sms_channel(config, labels=LABELS), HttpSmsChannel)


def test_a_template_that_cannot_render_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="body_template fails to render: ZeroDivisionError"):
        SmsConfig.model_validate({"provider": "http", "http": {"url": "https://x", "body_template": "{{ 1 // 0 }}"}})


def test_the_template_sandbox_keeps_python_out() -> None:
    with pytest.raises(ValueError, match="SecurityError"):
        HttpGatewayConfig(url="https://x", body_template="{{ to.__class__.__mro__[1].__subclasses__() }}")
