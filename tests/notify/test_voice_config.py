"""``notify.voice``: a config that would ring nobody's phone or open a key-press route is refused;
a good one adds the channel ``call``, mounts only authenticated routes and hides its secrets."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from pydantic import ValidationError

from warner.config.loading import parse_config
from warner.notify.voice.config import GATHER_PATH, PRESS_PATH, VoiceConfig
from warner.paging import build_pager
from warner.security import config_secrets, insecure_settings

TWILIO = {"account_sid": "AC1", "auth_token_env": "TEST_TWILIO_TOKEN", "from_number": "+4930123456"}
HOOK = {"url": "https://pbx.example.de/call", "token_env": "TEST_HOOK_TOKEN"}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"provider": "twilio"}, "provider twilio needs a voice.twilio section"),
        ({"provider": "twilio", "twilio": TWILIO}, "public_url\n  required with provider twilio"),
        ({"provider": "http", "http": HOOK, "public_url": "https://w.example.de"},
         "inbound.token_env\n  required with provider http"),
        ({"provider": "twilio", "twilio": TWILIO, "public_url": "http://warner.example.de"}, "must be https"),
        ({"provider": "twilio", "twilio": TWILIO, "public_url": "https://w.example.de",
          "inbound": {"verify_twilio_signature": False}}, "unsigned key presses"),
        ({"provider": "twilio", "twilio": {**TWILIO, "auth_token": "secret"}, "public_url": "https://w.example.de"},
         "secrets are not read from YAML (auth_token)"),
        ({"provider": "console", "ring_timeout": "2s"}, "must be between 5s and 10m"),
        ({"provider": "console", "poll_interval": 0}, "poll_interval\n  must be positive"),
    ],
)  # fmt: skip
def test_config_errors_say_what_to_fix(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        VoiceConfig.model_validate(section)
    assert message in str(error.value)


PAGER_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, phone: "+4915112345678"}}
    - {{id: cem, name: Cem, telegram_id: 1003}}
notify:
  voice: {voice}
escalation:
  policies: [{{id: storm, steps: [{{notify_persons: [anna, cem], channels: [call]}}]}}]
  routes: [{{severity: [critical], policy: storm}}]
"""


def config(voice: str) -> Any:
    return parse_config(PAGER_YAML.format(voice=voice), "voice.yaml")


async def mounted(redis: Any, voice: str) -> list[str]:
    pager = build_pager(config(voice), redis)
    assert pager is not None
    app = web.Application()
    pager.add_routes(app)
    await pager.close()
    return sorted(r.canonical for r in app.router.resources())


async def test_each_provider_mounts_only_its_authenticated_key_press_route(
    redis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {"TEST_TWILIO_TOKEN": "t", "TEST_HOOK_TOKEN": "h", "TEST_PRESS_TOKEN": "p"}.items():
        monkeypatch.setenv(name, value)
    twilio = (
        "{provider: twilio, public_url: 'https://w.example.de', twilio: {account_sid: AC1, "
        "auth_token_env: TEST_TWILIO_TOKEN, from_number: '+4930123456'}}"
    )
    hook = (
        "{provider: http, public_url: 'https://w.example.de', http: {url: 'https://pbx.example.de/call', "
        "token_env: TEST_HOOK_TOKEN}, inbound: {token_env: TEST_PRESS_TOKEN}}"
    )
    assert await mounted(redis, twilio) == [GATHER_PATH]
    assert await mounted(redis, hook) == [PRESS_PATH]
    assert await mounted(redis, "{provider: console}") == []


def test_call_is_a_channel_that_needs_a_phone_and_its_secrets_are_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_HOOK_TOKEN", "hook-secret-value")
    monkeypatch.setenv("TEST_PRESS_TOKEN", "press-secret-value")
    parsed = config(
        "{provider: http, public_url: 'https://w.example.de', http: {url: 'https://pbx.example.de/call', "
        "token_env: TEST_HOOK_TOKEN}, inbound: {token_env: TEST_PRESS_TOKEN}}"
    )
    assert parsed.notify.channels == ["call"]
    assert {"hook-secret-value", "press-secret-value"} <= set(config_secrets(parsed))
    problems = insecure_settings(parsed)
    assert any("cem cannot be reached on call" in p for p in problems)
    assert not any("anna cannot be reached" in p for p in problems)


def test_missing_secrets_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_TWILIO_TOKEN", raising=False)
    voice = VoiceConfig.model_validate({"provider": "twilio", "twilio": TWILIO, "public_url": "https://w.example.de"})
    assert voice.missing_secrets() == [
        "environment variable TEST_TWILIO_TOKEN is not set (voice.twilio.auth_token_env)"
    ]
