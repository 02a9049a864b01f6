"""``warner page --test PERSON`` rings the person's phone (a test call, nothing to press), and the
demo's console provider prints the call it would have made."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from doubles.voice_api import VoiceApi
from rich.console import Console
from support import CONFIG_YAML

from warner.core import Recipient
from warner.incidents.model import Incident
from warner.notify.base import Page
from warner.notify.voice.console import ConsoleVoiceChannel

ANNA_PHONE, BEN_PHONE = "+4915111111111", "+4915122222222"
TOKEN = "twilio-test-token"

VOICE_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, phone: "{anna}"}}
    - {{id: ben, name: Ben, phone: "{ben}", language: en}}
    - {{id: cem, name: Cem}}
notify:
  voice: {voice}
escalation:
  policies: [{{id: storm, steps: [{{notify_persons: [anna, ben], channels: [call]}}]}}]
  routes: [{{severity: [critical], policy: storm}}]
"""


@pytest.fixture
async def api() -> AsyncIterator[VoiceApi]:
    async with VoiceApi(auth_token=TOKEN) as api:
        yield api


def twilio_voice(api: VoiceApi) -> str:
    return (
        f"{{provider: twilio, public_url: 'https://warner.example.de', poll_interval: 50ms, twilio: "
        f"{{base_url: '{api.url}', account_sid: {api.account_sid}, auth_token_env: TEST_TWILIO_TOKEN, "
        "from_number: '+4930123456'}}"
    )


async def warner(tmp_path: Path, redis_url: str, config: Path, person: str) -> subprocess.CompletedProcess[str]:
    """``python -m warner page --test`` on a thread, so the double keeps answering on this loop."""
    env = {
        **os.environ, "NO_PROXY": "127.0.0.1", "TEST_TWILIO_TOKEN": TOKEN,
        "XDG_DATA_HOME": str(tmp_path / "xdg"), "REDIS_URL": redis_url,
    }  # fmt: skip
    command = [sys.executable, "-m", "warner", "--config", str(config), "page", "--test", person]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=60, env=env)


async def test_page_test_rings_the_phone_with_a_test_text_and_reports_it_answered(
    tmp_path: Path, config_file: Callable[..., Path], redis: Any, redis_url: str, tokens: Any, api: VoiceApi
) -> None:
    config = config_file(CONFIG_YAML + VOICE_YAML.format(anna=ANNA_PHONE, ben=BEN_PHONE, voice=twilio_voice(api)))
    result = await warner(tmp_path, redis_url, config, "anna")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"call: delivered to {ANNA_PHONE}"]
    (placed,) = api.calls
    assert placed.to == ANNA_PHONE and "<Gather" not in placed.twiml  # a test: nothing to press
    ((language, text),) = placed.said()
    assert language == "de-DE" and text.startswith("Hier ist warner. Testalarm, kein Vorfall.")
    assert "Anna per Anruf" in text
    assert await redis.keys("*") == []  # no incident, no escalation, no code


async def test_page_test_says_why_a_call_did_not_get_through(
    tmp_path: Path, config_file: Callable[..., Path], redis_url: str, tokens: Any, api: VoiceApi
) -> None:
    api.script(BEN_PHONE, "busy")
    config = config_file(CONFIG_YAML + VOICE_YAML.format(anna=ANNA_PHONE, ben=BEN_PHONE, voice=twilio_voice(api)))
    busy = await warner(tmp_path, redis_url, config, "ben")
    assert (busy.returncode, busy.stdout.splitlines()) == (1, ["call: not delivered – call busy"])
    assert api.calls[0].said()[0][1].startswith("This is warner. Test page, no incident.")
    nobody = await warner(tmp_path, redis_url, config, "cem")
    assert nobody.stdout.splitlines() == ["call: not delivered – cem has no phone number"]
    assert len(api.calls) == 1


async def test_the_console_provider_prints_the_call_in_the_persons_language() -> None:
    console = Console(record=True, width=400)
    channel = ConsoleVoiceChannel(console, labels={"kesselberg": "Brauerei Kesselberg"})
    incident = Incident("kesselberg", 12, "open", "critical", 1_795_459_800, 1_795_460_400, mentions=184)
    ben = Recipient("ben", "Ben", "en", phone=BEN_PHONE)
    delivery = await channel.send(Page(incident, ben, "new", ack_code="482193"))
    assert (delivery.ok, delivery.target) == (True, BEN_PHONE)
    assert console.export_text().strip() == (
        f"☎ Call to Ben ({BEN_PHONE}): “This is warner. Critical alert for Brauerei Kesselberg. 184 mentions "
        "since 19:50, usually almost none. 0 percent negative.” — Press 1 to acknowledge."
    )
    anna = Recipient("anna", "Anna", "de", phone=ANNA_PHONE)
    assert (await channel.send(Page(incident, anna, "escalation", ack_code="1"))).ok
    assert "☎ Anruf bei Anna (+4915111111111): „Hier ist warner. Eskalation. Kritischer Alarm" in console.export_text()
    assert not channel.can_reach(Recipient("cem", "Cem"))
