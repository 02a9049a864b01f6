"""The two ways to get a sign-in link — ``warner web …`` on the host and ``/login`` in Telegram — as people use them.

The command line runs in-process (``warner.cli.main``) with a config file and the fixture Redis
(``REDIS_URL``); the bot is the pager as a worker builds it, polling the local Bot API double. Each
link is then opened at a running console, exactly as printed or sent.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from doubles import serve_on_loopback
from support import CONFIG_YAML

from warner.cli import main
from warner.config.loading import parse_config
from warner.metrics import Metrics
from warner.notify.telegram.bot import start_polling
from warner.paging import build_pager
from warner.web.app import create_web_app
from warner.web.base import current_session
from warner.web.serve import build_context
from warner.web.sessions import COOKIE

pytestmark = pytest.mark.timeout(60)

ANNA, BEN, STRANGER, GROUP = 1001, 1002, 666, -100200
PASSWORD = "korrekt Pferd Batterie Heftklammer"
PEOPLE = f"""
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {ANNA}}}
    - {{id: ben, name: Ben, telegram_id: {BEN}, language: en}}
  schedules:
    - id: social
      layers:
        - {{id: base, type: weekly, handoff: "09:00", start: 2026-11-16, members: [anna, ben]}}
"""
PAGING = """
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
escalation:
  policies:
    - id: storm
      steps:
        - {{notify_on_call: social, channels: [telegram]}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""
LINK = re.compile(r"https?://\S+/login\?token=[\w-]+")


async def whoami(request: web.Request) -> web.Response:
    return web.Response(text=current_session(request).person)


@dataclass
class Console:
    url: str
    http: aiohttp.ClientSession

    async def open(self, link: str) -> tuple[int, str | None]:
        """Opens a link as a browser would: the status and the session cookie it set."""
        async with self.http.get(link, allow_redirects=False) as response:
            morsel = response.cookies.get(COOKIE)
            return response.status, morsel.value if morsel else None

    async def who(self, cookie: str | None) -> str | None:
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
        async with self.http.get(f"{self.url}/probe/whoami", headers=headers, allow_redirects=False) as response:
            return await response.text() if response.status == 200 else None

    async def password_login(self, person: str, password: str) -> int:
        form = {"person": person, "password": password}
        async with self.http.post(f"{self.url}/login", data=form, allow_redirects=False) as response:
            return response.status


@pytest.fixture
async def console(redis, tokens) -> AsyncIterator[Console]:
    """A console for ``PEOPLE`` on a free port of 127.0.0.1, sharing the fixture Redis."""
    config = parse_config(CONFIG_YAML + PEOPLE + "web: {port: 0}\n", "warner.yaml")
    app = create_web_app(build_context(config, redis))
    app.router.add_get("/probe/whoami", whoami)
    runner, port = await serve_on_loopback(app)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        yield Console(f"http://127.0.0.1:{port}", http)
    await runner.cleanup()


@pytest.fixture
def cli(redis_url, monkeypatch, capsys, config_file, tokens):
    """Runs ``warner --config FILE …`` in-process (in a thread: it runs its own event loop) against the fixture
    Redis; returns the exit code, stdout and stderr."""
    monkeypatch.setenv("REDIS_URL", redis_url)

    async def run(config_yaml: str, *args: str) -> tuple[int, str, str]:
        path = config_file(CONFIG_YAML + config_yaml)
        code = await asyncio.to_thread(main, ["--config", str(path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


# --- warner web … on the host ------------------------------------------------------------------


async def test_web_link_prints_a_link_to_the_console_that_signs_the_person_in_once(cli, console) -> None:
    code, out, err = await cli(PEOPLE + f"web: {{port: 0, public_url: '{console.url}'}}\n", "web", "link", "anna")
    assert code == 0, err
    (link,) = out.split()
    assert link.startswith(f"{console.url}/login?token=")
    assert "works once, for 10 minute(s)" in err
    status, cookie = await console.open(link)
    assert status == 303 and await console.who(cookie) == "anna"
    assert (await console.open(link))[0] == 403


async def test_web_link_points_at_host_and_port_without_a_public_url(cli) -> None:
    code, out, _ = await cli(PEOPLE + "web: {port: 8090}\n", "web", "link", "ben")
    assert code == 0 and out.startswith("http://127.0.0.1:8090/login?token=")


async def test_web_link_refuses_a_person_outside_the_config_and_a_config_without_a_console(cli, redis) -> None:
    code, out, err = await cli(PEOPLE + "web: {port: 8090}\n", "web", "link", "mallory")
    assert code == 1 and out == ""
    assert "'mallory' is not in oncall.people (anna, ben)" in err
    code, out, err = await cli(PEOPLE, "web", "link", "anna")
    assert code == 1 and out == "" and "web console is off: set web.port" in err
    code, _, err = await cli(PEOPLE + "web: {port: 0}\n", "web", "link", "anna")
    assert code == 1 and "set web.public_url" in err
    assert await redis.keys("warner:{web}:link:*") == []  # nothing issued


async def test_web_revoke_ends_every_session_of_the_person(cli, console) -> None:
    config = PEOPLE + f"web: {{port: 0, public_url: '{console.url}'}}\n"
    cookies = []
    for person in ("anna", "anna", "ben"):
        _, out, _ = await cli(config, "web", "link", person)
        cookies.append((await console.open(out.strip()))[1])
    _, unused, _ = await cli(config, "web", "link", "anna")
    code, out, _ = await cli(config, "web", "revoke", "anna")
    assert code == 0 and "ended 2 session(s) of anna" in out
    assert [await console.who(c) for c in cookies] == [None, None, "ben"]
    assert (await console.open(unused.strip()))[0] == 403


async def test_web_set_password_asks_twice_and_clear_removes_it(cli, console, monkeypatch) -> None:
    config = PEOPLE + "web: {port: 8090}\n"
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = await cli(config, "web", "set-password", "anna")
    assert code == 1 and "the two passwords differ" in err
    assert await console.password_login("anna", PASSWORD) == 401

    answers = iter(["kurz", "kurz"])
    code, _, err = await cli(config, "web", "set-password", "anna")
    assert code == 1 and "at least 12 characters" in err

    answers = iter([PASSWORD, PASSWORD])
    code, out, _ = await cli(config, "web", "set-password", "anna")
    assert code == 0 and "password set for anna" in out
    assert await console.password_login("anna", PASSWORD) == 303

    code, out, _ = await cli(config, "web", "set-password", "anna", "--clear")
    assert code == 0 and "password of anna removed" in out
    assert await console.password_login("anna", PASSWORD) == 401
    code, _, err = await cli(config, "web", "set-password", "mallory", "--clear")
    assert code == 1 and "not in oncall.people" in err


# --- /login in Telegram ------------------------------------------------------------------------


@pytest.fixture
async def bot(redis, tokens, telegram, console) -> AsyncIterator[None]:
    """The pager of a worker whose config names the console (web.public_url), polling the Bot API double."""
    yaml = PEOPLE + PAGING.format(telegram=telegram.base_url) + f"web: {{port: 0, public_url: '{console.url}'}}\n"
    pager = build_pager(parse_config(CONFIG_YAML + yaml, "warner.yaml"), redis, Metrics())
    assert pager is not None and pager.application is not None
    await start_polling(pager.application, poll_timeout_s=1)
    yield
    await pager.close()


async def ask(telegram, user_id: int, command: str = "/login", chat_id: int | None = None, language_code="de"):
    before = len(telegram.calls_of("sendMessage"))
    await telegram.command(telegram.user(user_id, "Anna", language_code), command, chat_id=chat_id)
    return (await telegram.wait_for("sendMessage", before + 1))[-1]


async def test_login_sends_a_known_person_a_private_link_that_works_once(telegram, bot, console) -> None:
    sent = await ask(telegram, ANNA, language_code="en")  # Anna's configured language (German) wins
    assert int(sent["chat_id"]) == ANNA
    text = sent["text"]
    assert text.startswith("Dein Anmeldelink für die warner-Web-Konsole:\n")
    assert "Er funktioniert nur einmal und nur 10 Minuten lang." in text
    preview = sent["link_preview_options"]
    assert json.loads(preview)["is_disabled"] if isinstance(preview, str) else preview["is_disabled"]
    assert str(sent["protect_content"]).lower() == "true"
    (link,) = LINK.findall(text)
    assert link.startswith(f"{console.url}/login?token=")

    status, cookie = await console.open(link)
    assert status == 303 and await console.who(cookie) == "anna"
    assert (await console.open(link))[0] == 403  # once only

    english = (await ask(telegram, BEN))["text"]
    assert english.startswith("Your sign-in link for the warner web console:\n")
    assert "It works once, for 10 minutes." in english
    (ben_link,) = LINK.findall(english)
    assert await console.who((await console.open(ben_link))[1]) == "ben"


async def test_login_from_a_stranger_gets_the_usual_refusal_and_no_link(telegram, bot, redis) -> None:
    sent = await ask(telegram, STRANGER)
    assert "nicht berechtigt" in sent["text"] and "/start" in sent["text"]
    assert not LINK.findall(sent["text"])
    assert await redis.keys("warner:{web}:link:*") == []


async def test_login_in_a_group_chat_says_only_in_a_private_chat_and_sends_no_link(telegram, bot, redis) -> None:
    for user_id in (ANNA, STRANGER):
        sent = await ask(telegram, user_id, chat_id=GROUP)
        assert int(sent["chat_id"]) == GROUP
        assert sent["text"].startswith("/login nur im privaten Chat mit mir")
    english = await ask(telegram, BEN, chat_id=GROUP)
    assert english["text"].startswith("/login only works in a private chat with me")
    assert await redis.keys("warner:{web}:link:*") == []


async def test_login_without_a_console_says_so(redis, tokens, telegram) -> None:
    yaml = PEOPLE + PAGING.format(telegram=telegram.base_url)
    pager = build_pager(parse_config(CONFIG_YAML + yaml, "warner.yaml"), redis, Metrics())
    assert pager is not None and pager.application is not None
    await start_polling(pager.application, poll_timeout_s=1)
    try:
        sent = await ask(telegram, ANNA)
        assert sent["text"] == "Die Web-Konsole ist nicht eingerichtet (web.port in der warner-Konfiguration)."
    finally:
        await pager.close()


async def test_help_and_the_command_menu_offer_login(telegram, bot) -> None:
    assert "/login – Anmeldelink für die Web-Konsole" in (await ask(telegram, ANNA, "/help"))["text"]
    assert "/login – a sign-in link for the web console" in (await ask(telegram, BEN, "/help"))["text"]
    assert ("login", "Anmeldelink für die Web-Konsole") in [
        (c["command"], c["description"]) for c in telegram.commands[""]
    ]
