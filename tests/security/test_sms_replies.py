"""Acknowledging an incident by SMS reply cannot be guessed (issue 17, defect 1).

On ae17265 ``POST /sms/reply`` was mounted without authentication whenever ``notify.sms.inbound``
existed, codes had 4 digits with no lockout, and the answers told unknown numbers, unknown codes
and other people's codes apart: 5,938 guesses acknowledged an incident. Now:

- a config that would leave a reply route without authentication is refused, naming the key,
  by ``warner check-config`` and ``warner run``;
- without the bearer token every reply is 401, whatever the code;
- with it, five wrong codes lock the number for 15 minutes — the right code is then refused
  too; every wrong code gets the same answer;
- five wrong codes lock the client (the gateway, or the proxy) too, but only for wrong codes:
  strangers texting wrong codes through the shared gateway cannot lock out the on-call person,
  whose right code still acknowledges;
- codes have 6 digits, work once and end with their page.

The guessing test runs against a real ``warner run`` process (tests/running.py) whose pages go
to a local SMS gateway double; everything talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from doubles.sms_gateway import SmsGateway
from running import WarnerRun, warner_run
from support import CONFIG_YAML, TOKENS

from warner.config.loading import ConfigError, parse_config
from warner.core import SystemClock
from warner.incidents.lifecycle import IncidentLifecycle
from warner.incidents.model import Incident
from warner.notify.sms.inbound import REFUSED
from warner.store import keys

ANNA, BEN = "+4915111111111", "+4915122222222"
REPLY_TOKEN = "sms-reply-test-token"
BEARER = {"Authorization": f"Bearer {REPLY_TOKEN}"}

PAGING_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, phone: "{anna}"}}
    - {{id: ben, name: Ben, phone: "{ben}", language: en}}
notify:
  sms:
    provider: http
    http: {{url: "{gateway}/send", content_type: json}}
    inbound: {inbound}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  policies:
    - id: storm
      steps:
        - {{notify_persons: [anna, ben], channels: [sms], delivery: all}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""


def config_text(gateway: str = "http://127.0.0.1:9", inbound: str = "{token_env: TEST_SMS_REPLY_TOKEN}") -> str:
    base = CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n")
    return base + PAGING_YAML.format(anna=ANNA, ben=BEN, gateway=gateway, inbound=inbound)


SMS_SECTION = """notify:
  sms:
    provider: {provider}
    http: {{url: "https://sms.example/send"}}
    twilio: {{account_sid: AC0123456789abcdef, auth_token_env: TEST_TWILIO_TOKEN, from_number: "+4930123456"}}
    inbound: {inbound}
"""


def sms_config(provider: str, inbound: str) -> Any:
    return parse_config(SMS_SECTION.format(provider=provider, inbound=inbound), "warner.yaml")


# -- the config: no reply route without authentication --------------------------------------------


@pytest.mark.parametrize(
    ("provider", "inbound", "field", "says"),
    [
        ("http", "{}", "notify.sms.inbound.token_env", "required with provider http"),
        ("twilio", "{}", "notify.sms.inbound.twilio_url", "required with provider twilio"),
        ("twilio", "{twilio_url: 'https://w.example/sms/twilio', verify_twilio_signature: false}",
         "notify.sms.inbound.verify_twilio_signature", "no longer allowed"),
    ],
)  # fmt: skip
def test_a_reply_route_without_authentication_is_a_config_error_naming_the_key(
    provider: str, inbound: str, field: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        sms_config(provider, inbound)
    (issue,) = caught.value.issues
    assert (issue.field, issue.line) == (field, 6)
    assert says in issue.message


@pytest.mark.parametrize(
    ("provider", "inbound", "routes"),
    [
        ("http", "{token_env: SMS_REPLY_TOKEN}", ["/sms/reply"]),
        ("twilio", "{twilio_url: 'https://w.example/sms/twilio'}", ["/sms/twilio"]),
        ("twilio", "{twilio_url: 'https://w.example/sms/twilio', token_env: SMS_REPLY_TOKEN}",
         ["/sms/twilio", "/sms/reply"]),
    ],
)  # fmt: skip
def test_each_mounted_route_has_its_authentication(provider: str, inbound: str, routes: list[str]) -> None:
    assert sms_config(provider, inbound).notify.sms.reply_routes() == routes


def warner_cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warner", *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, "NO_PROXY": "127.0.0.1", **env},
    )  # fmt: skip


def test_check_config_and_run_refuse_an_open_reply_route(tmp_path: Path) -> None:
    path = tmp_path / "warner.yaml"
    path.write_text(config_text(inbound="{}"), encoding="utf-8")
    env = {**TOKENS, "XDG_DATA_HOME": str(tmp_path / "xdg"), "REDIS_URL": "", "WARNER_CONFIG": str(path)}
    check = warner_cli("check-config", str(path), env=env)
    assert check.returncode == 1
    assert f"error: {path}:" in check.stdout and "notify.sms.inbound.token_env: required" in check.stdout
    started = time.monotonic()
    run = warner_cli("run", env=env)
    assert run.returncode == 1 and time.monotonic() - started < 30  # refused at once, never listening
    assert "config error:" in run.stderr and "notify.sms.inbound.token_env: required" in run.stderr
    assert "api_listening" not in run.stderr


# -- a running warner: guessing codes -------------------------------------------------------------


@contextlib.asynccontextmanager
async def running(text: str, tmp_path: Path, env: dict[str, str]) -> AsyncIterator[WarnerRun]:
    """``warner_run`` entered on a thread, so the gateway double keeps serving on this loop meanwhile."""
    manager = warner_run(text, tmp_path, env)
    run = await asyncio.to_thread(manager.__enter__)
    try:
        yield run
    finally:
        await asyncio.to_thread(manager.__exit__, None, None, None)


async def open_incidents(redis: Any, *ids: tuple[str, int]) -> None:
    """Live incidents nobody was paged about: the pager's auditor pages them when warner starts."""
    now = int(time.time())
    for brand, number in ids:
        incident = Incident(brand, number, "open", "critical", now - 120, now, mentions=300, expected=10.0)
        await redis.set(keys.incident(brand, number), orjson.dumps(incident.to_json()))
        await redis.zadd(keys.INCIDENT_INDEX, {incident.id: incident.started_at})


async def pages(gateway: SmsGateway, n: int, timeout: float = 30) -> dict[tuple[str, str], str]:
    """(incident id, phone) -> the ack code in the SMS, once ``n`` pages went out."""
    deadline = time.monotonic() + timeout
    while len(gateway.requests) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert len(gateway.requests) >= n, [r.json for r in gateway.requests]
    found = {}
    for request in gateway.requests:
        text = request.json["text"]
        incident = re.search(r"(kesselberg|bergblick):\d+", text)
        code = re.search(r"OK (\d+) ", text)
        assert incident and code, text
        found[(incident.group(0), request.json["to"])] = code.group(1)
    return found


async def post(url: str, sender: str, code: str, *, source: str, token: bool = True) -> tuple[int, bytes, Any]:
    """One reply from client address ``source`` (any of 127/8) to warner on 127.0.0.1."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        headers = BEARER if token else {}
        async with http.post(f"{url}/sms/reply", json={"from": sender, "text": f"OK {code}"}, headers=headers) as r:
            return r.status, await r.read(), r.headers


def others(code: str, n: int) -> list[str]:
    """``n`` six-digit codes that are not ``code``."""
    return [c for c in (f"{(int(code) + 7919 * k) % 1_000_000:06d}" for k in range(1, n + 2)) if c != code][:n]


async def test_guessing_codes_at_a_running_warner_gets_nowhere(tmp_path: Path, redis: Any, redis_url: str) -> None:
    await open_incidents(redis, ("kesselberg", 1), ("bergblick", 1))
    lifecycle = IncidentLifecycle(redis, SystemClock())
    async with SmsGateway() as gateway:
        env = {**TOKENS, "TEST_SMS_REPLY_TOKEN": REPLY_TOKEN, "REDIS_URL": redis_url}
        async with running(config_text(gateway.url), tmp_path, env) as warner:
            codes = await pages(gateway, 4)
            assert all(len(c) == 6 and c.isdigit() for c in codes.values())
            anna_code, ben_code = codes[("kesselberg:1", ANNA)], codes[("bergblick:1", BEN)]

            # Without the token: 401 for every try, the right code included; nothing is counted.
            for code in [*others(anna_code, 100), anna_code]:
                assert (await post(warner.url, ANNA, code, source="127.0.0.5", token=False))[0] == 401
            assert (await lifecycle.get("kesselberg:1")).state == "open"  # type: ignore[union-attr]
            async with aiohttp.ClientSession() as http, http.post(f"{warner.url}/sms/twilio") as r:
                assert r.status == 404  # provider http: the Twilio route is not mounted

            # With the token: four typos, then the right code acknowledges; a second use says so.
            answers = {(await post(warner.url, ANNA, c, source="127.0.0.2"))[:2] for c in others(anna_code, 4)}
            assert answers == {(403, orjson.dumps({"ok": False, "reason": "refused", "message": REFUSED}))}
            status, body, _ = await post(warner.url, ANNA, anna_code, source="127.0.0.2")
            assert (status, orjson.loads(body)["reason"]) == (200, "acked")
            response = await lifecycle.get("kesselberg:1")
            assert response is not None and (response.state, response.acknowledged_by) == ("acknowledged", "anna")
            status, body, _ = await post(warner.url, ANNA, anna_code, source="127.0.0.2")
            assert (status, orjson.loads(body)["reason"]) == (409, "already_acknowledged")
            ben_old = codes[("kesselberg:1", BEN)]  # retired with the page: Ben hears who took it
            status, body, _ = await post(warner.url, BEN, ben_old, source="127.0.0.6")
            assert status == 409 and "already acknowledged (Acknowledged by Anna" in orjson.loads(body)["message"]

            # Five wrong codes lock Ben's number: the right code is then refused, from any client.
            wrong = [(await post(warner.url, BEN, c, source="127.0.0.3"))[0] for c in others(ben_code, 5)]
            assert wrong == [403] * 5
            for source in ("127.0.0.3", "127.0.0.4"):
                status, body, headers = await post(warner.url, BEN, ben_code, source=source)
                assert (status, orjson.loads(body)["reason"]) == (429, "locked")
                assert 0 < int(headers["Retry-After"]) <= 900
            # ... and the client that guessed gets the same answer for a wrong code from any number.
            no_code = next(c for c in others(anna_code, 10) if c not in codes.values())
            status, body, _ = await post(warner.url, ANNA, no_code, source="127.0.0.3")
            assert (status, orjson.loads(body)["reason"]) == (429, "locked")
            assert (await lifecycle.get("bergblick:1")).state == "open"  # type: ignore[union-attr]

            # Five strangers' wrong codes through one gateway lock it, not the on-call person: a wrong
            # code is then "locked" for everybody, and Anna's right code still acknowledges.
            strangers = [f"+491600000{n:04d}" for n in range(6)]
            wrong = [(await post(warner.url, s, no_code, source="127.0.0.7"))[0] for s in strangers[:5]]
            assert wrong == [403] * 5
            assert (await post(warner.url, strangers[5], no_code, source="127.0.0.7"))[0] == 429
            status, body, _ = await post(warner.url, ANNA, codes[("bergblick:1", ANNA)], source="127.0.0.7")
            assert (status, orjson.loads(body)["reason"]) == (200, "acked")
            response = await lifecycle.get("bergblick:1")
            assert response is not None and (response.state, response.acknowledged_by) == ("acknowledged", "anna")

            locked = [e for e in warner.events() if e.get("event") == "sms_reply_locked"]
            assert {(e["scope"], e["client"]) for e in locked} == {
                ("number", "127.0.0.3"), ("client", "127.0.0.3"), ("client", "127.0.0.7"),
            }  # fmt: skip
            assert {e["sender"] for e in locked if e["scope"] == "number"} == {"***222"}
            replies = [e for e in warner.events() if str(e.get("event", "")).startswith("sms_reply_")]
            log = orjson.dumps(replies).decode()
            assert ANNA not in log and BEN not in log
            assert not any(code in warner.text() for code in codes.values())
