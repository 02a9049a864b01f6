"""Signing in to the web console, staying signed in, and every refusal — over real HTTP on 127.0.0.1.

The console as ``warner run`` builds it (``build_context``, ``create_web_app``) with the fixture
Redis; two probe routes stand in for the pages (written elsewhere): ``GET /probe/whoami`` answers
with the signed-in person, ``POST /probe/act`` records that an action happened. Cookies are kept by
hand, so a test can replay, forge and swap them the way an attacker would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from doubles import serve_on_loopback
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.web.app import WebContext, create_web_app
from warner.web.base import current_session
from warner.web.serve import build_context
from warner.web.sessions import COOKIE

pytestmark = pytest.mark.timeout(60)

PEOPLE = """
oncall:
  people:
    - {id: anna, name: Anna, telegram_id: 1001}
    - {id: ben, name: Ben, telegram_id: 1002, language: en}
"""
WITHOUT_BEN = """
oncall:
  people:
    - {id: anna, name: Anna, telegram_id: 1001}
"""
ANNA_PASSWORD = "korrekt Pferd Batterie Heftklammer"


@dataclass
class Answer:
    status: int
    headers: Any
    text: str
    cookie: str | None = None  # the session cookie set, if any
    cookie_flags: dict[str, Any] = field(default_factory=dict)


class Console:
    """A running console and a browser without a cookie jar: every request says which cookie it sends."""

    def __init__(self, ctx: WebContext, port: int, http: aiohttp.ClientSession) -> None:
        self.ctx, self.port, self.http = ctx, port, http
        self.url = f"http://127.0.0.1:{port}"
        self.actions: list[str] = []

    async def get(self, path: str, cookie: str | None = None, accept: str = "text/html", **headers: str) -> Answer:
        return await self._send("GET", path, cookie, {"Accept": accept, **headers})

    async def post(self, path: str, data: dict[str, str], cookie: str | None = None, **headers: str) -> Answer:
        return await self._send("POST", path, cookie, headers, data)

    async def _send(
        self, method: str, path: str, cookie: str | None, headers: dict[str, str], data: Any = None
    ) -> Answer:
        if cookie is not None:
            headers = {**headers, "Cookie": f"{COOKIE}={cookie}"}
        url = path if path.startswith("http") else self.url + path
        async with self.http.request(method, url, headers=headers, data=data, allow_redirects=False) as response:
            text = await response.text()
            morsel = response.cookies.get(COOKIE)
            flags = {k: morsel[k] for k in ("httponly", "samesite", "secure", "path")} if morsel else {}
            return Answer(response.status, response.headers, text, morsel.value if morsel else None, flags)

    async def link(self, person: str) -> str:
        return f"{self.url}/login?token={await self.ctx.sessions.issue_link_token(person)}"

    async def sign_in(self, person: str) -> str:
        answer = await self.get(await self.link(person))
        assert answer.status == 303 and answer.cookie, answer
        return answer.cookie

    async def who(self, cookie: str | None) -> str | None:
        """The person the cookie signs in, or None (sent to /login)."""
        answer = await self.get("/probe/whoami", cookie)
        if answer.status == 303:
            assert answer.headers["Location"] == "/login"
            return None
        assert answer.status == 200, answer
        return answer.text

    async def csrf(self, cookie: str) -> str:
        session = await self.ctx.sessions.from_cookie(cookie)
        assert session is not None
        return session.csrf


async def whoami(request: web.Request) -> web.Response:
    return web.Response(text=current_session(request).person)


async def act(request: web.Request) -> web.Response:
    request.app[ACTIONS].append(current_session(request).person)
    return web.Response(text="done")


ACTIONS = web.AppKey("probe_actions", list)
StartConsole = Callable[..., Awaitable[Console]]


@pytest.fixture
async def start_console(redis, tokens) -> AsyncIterator[StartConsole]:
    """Starts a console for a config (``CONFIG_YAML`` + ``people`` + ``web``); each shares the fixture Redis."""
    runners: list[web.AppRunner] = []
    http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())

    async def start(people: str = PEOPLE, web_yaml: str = "web: {port: 0}\n") -> Console:
        config = parse_config(CONFIG_YAML + people + web_yaml, "warner.yaml")
        ctx = build_context(config, redis)
        app = create_web_app(ctx)
        app[ACTIONS] = []
        app.router.add_get("/probe/whoami", whoami)
        app.router.add_post("/probe/act", act)
        runner, port = await serve_on_loopback(app)
        runners.append(runner)
        ctx.base_url = config.web.base_url(port)
        console = Console(ctx, port, http)
        console.actions = app[ACTIONS]
        return console

    yield start
    await http.close()
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def console(start_console: StartConsole) -> Console:
    return await start_console()


async def test_without_a_session_a_page_sends_the_browser_to_login_and_an_api_call_gets_401(console) -> None:
    page = await console.get("/incidents")
    assert page.status == 303 and page.headers["Location"] == "/login"
    api = await console.get("/probe/whoami", accept="application/json")
    assert api.status == 401 and api.headers["Content-Type"].startswith("application/json")
    assert (await console.post("/probe/act", {"csrf": "x"})).status == 401
    assert (await console.get("/login-but-not-quite")).headers.get("Location") == "/login"  # only /login is open
    login = await console.get("/login")
    assert login.status == 200 and "/login" in login.text and "Cache-Control" in login.headers
    assert 'name="password"' not in login.text  # nobody has a password: links only


async def test_a_link_signs_in_once_with_a_strict_http_only_cookie_and_a_second_use_is_refused(console) -> None:
    link = await console.link("anna")
    first = await console.get(link)
    assert first.status == 303 and first.headers["Location"] == "/incidents"
    assert first.cookie_flags["httponly"] and first.cookie_flags["samesite"] == "Strict"
    assert not first.cookie_flags["secure"]  # plain http on loopback: a Secure cookie would never come back
    assert await console.who(first.cookie) == "anna"

    again = await console.get(link)
    assert again.status == 403 and again.cookie is None
    assert "abgelaufen, schon benutzt oder unbekannt" in again.text
    english = await console.get(link, **{"Accept-Language": "en-GB,en"})
    assert english.status == 403 and "expired, used already or unknown" in english.text


async def test_an_expired_link_is_refused_with_the_refusal_text(start_console) -> None:
    console = await start_console(web_yaml="web: {port: 0, link_ttl: 1s}\n")
    link = await console.link("anna")
    await asyncio.sleep(1.3)
    answer = await console.get(link)
    assert answer.status == 403 and answer.cookie is None
    assert "Dieser Link gilt nicht (mehr)" in answer.text
    assert await console.who(None) is None


async def test_nobody_outside_the_config_gets_a_link_and_a_removed_person_s_link_and_session_stop_working(
    start_console,
) -> None:
    console = await start_console()
    with pytest.raises(LookupError):
        await console.ctx.sessions.issue_link_token("mallory")
    ben_link = await console.link("ben")
    ben_cookie = await console.sign_in("ben")
    assert await console.who(ben_cookie) == "ben"

    after = await start_console(people=WITHOUT_BEN)  # the config without Ben, as after a restart
    refused = await after.get(ben_link.replace(console.url, after.url))
    assert refused.status == 403 and refused.cookie is None
    assert await after.who(ben_cookie) is None
    with pytest.raises(LookupError):
        await after.ctx.sessions.issue_link_token("ben")


async def test_a_post_with_a_forged_or_missing_csrf_token_is_refused_and_does_nothing(console) -> None:
    cookie = await console.sign_in("anna")
    forged = await console.post("/probe/act", {"csrf": "forged-token"}, cookie)
    assert forged.status == 403 and "Sicherheitstoken" in forged.text
    assert (await console.post("/probe/act", {}, cookie)).status == 403
    assert (await console.post("/probe/act", {}, cookie, **{"X-CSRF-Token": "forged"})).status == 403
    other = await console.sign_in("ben")  # another session's token is no better
    assert (await console.post("/probe/act", {"csrf": await console.csrf(other)}, cookie)).status == 403
    logout = await console.post("/logout", {"csrf": "forged-token"}, cookie)
    assert logout.status == 403
    assert console.actions == [] and await console.who(cookie) == "anna"  # nothing was done, still signed in

    right = await console.post("/probe/act", {"csrf": await console.csrf(cookie)}, cookie)
    assert right.status == 200 and console.actions == ["anna"]
    by_header = await console.post("/probe/act", {}, cookie, **{"X-CSRF-Token": await console.csrf(cookie)})
    assert by_header.status == 200 and console.actions == ["anna", "anna"]


async def test_after_logout_a_copy_of_the_cookie_signs_nobody_in(console) -> None:
    ben = await console.sign_in("ben")
    anna = await console.sign_in("anna")
    out = await console.post("/logout", {"csrf": await console.csrf(ben)}, ben)
    assert out.status == 303 and out.headers["Location"] == "/login"
    assert await console.who(ben) is None  # the cookie replayed, e.g. copied from Ben's browser
    assert (await console.post("/probe/act", {"csrf": "anything"}, ben)).status == 401
    assert console.actions == []
    assert await console.who(anna) == "anna"  # only Ben's session ended


async def test_revoking_a_person_ends_all_their_sessions_and_unused_links(console) -> None:
    phone, laptop, link = await console.sign_in("anna"), await console.sign_in("anna"), await console.link("anna")
    ben = await console.sign_in("ben")
    assert await console.ctx.sessions.revoke_all("anna") == 2
    assert await console.who(phone) is None and await console.who(laptop) is None
    assert (await console.get(link)).status == 403
    assert await console.who(ben) == "ben"


async def test_a_cookie_with_a_forged_signature_signs_nobody_in(console) -> None:
    cookie = await console.sign_in("anna")
    session_id, signature = cookie.split(".")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    for forged in (f"{session_id}.{flipped}", f"{session_id}.", session_id, f"{session_id}.{'a' * 64}", "x.y.z"):
        assert await console.who(forged) is None, forged
    assert await console.who(cookie) == "anna"


async def test_a_cross_site_post_to_login_is_refused(console) -> None:
    await console.ctx.sessions.passwords.set("anna", ANNA_PASSWORD)
    form = {"person": "anna", "password": ANNA_PASSWORD}
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = await console.post("/login", form, **headers)
        assert answer.status == 403 and answer.cookie is None, headers
        assert "von einer anderen Website" in answer.text
    same = await console.post("/login", form, Origin=console.url, **{"Sec-Fetch-Site": "same-origin"})
    assert same.status == 303 and await console.who(same.cookie) == "anna"


async def test_the_right_password_signs_in_and_five_wrong_ones_lock_the_id(console) -> None:
    page = await console.get("/login")
    assert 'name="password"' not in page.text
    await console.ctx.sessions.passwords.set("anna", ANNA_PASSWORD)
    page = await console.get("/login")
    assert 'for="login-person"' in page.text and 'for="login-password"' in page.text  # labelled fields
    assert 'type="password"' in page.text

    right = await console.post("/login", {"person": "anna", "password": ANNA_PASSWORD}, Origin=console.url)
    assert right.status == 303 and right.headers["Location"] == "/incidents"
    assert right.cookie_flags["httponly"] and right.cookie_flags["samesite"] == "Strict"
    assert await console.who(right.cookie) == "anna"

    for _ in range(4):
        wrong = await console.post("/login", {"person": "anna", "password": "falsch"}, Origin=console.url)
        assert wrong.status == 401 and wrong.cookie is None and "ID oder Passwort stimmt nicht" in wrong.text
    fifth = await console.post("/login", {"person": "anna", "password": "falsch"}, Origin=console.url)
    assert fifth.status == 429 and "Zu viele falsche Passwörter" in fifth.text and "15 Minuten" in fifth.text
    locked = await console.post("/login", {"person": "anna", "password": ANNA_PASSWORD}, Origin=console.url)
    assert locked.status == 429 and locked.cookie is None  # even the right password, while locked
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert (await console.get(await console.link("anna"))).status == 303  # a link still signs Anna in


async def test_a_right_password_starts_the_count_afresh_and_unknown_ids_get_the_same_answer(console) -> None:
    await console.ctx.sessions.passwords.set("anna", ANNA_PASSWORD)
    for _ in range(4):
        await console.post("/login", {"person": "anna", "password": "falsch"})
    assert (await console.post("/login", {"person": "anna", "password": ANNA_PASSWORD})).status == 303
    for _ in range(4):
        assert (await console.post("/login", {"person": "anna", "password": "falsch"})).status == 401
    for person in ("ben", "mallory"):  # Ben has no password; mallory is nobody
        answer = await console.post("/login", {"person": person, "password": ANNA_PASSWORD})
        assert answer.status == 401 and "ID oder Passwort stimmt nicht" in answer.text


async def test_a_removed_person_cannot_sign_in_with_their_password(start_console) -> None:
    console = await start_console()
    await console.ctx.sessions.passwords.set("ben", ANNA_PASSWORD)
    after = await start_console(people=WITHOUT_BEN)
    answer = await after.post("/login", {"person": "ben", "password": ANNA_PASSWORD})
    assert answer.status == 401 and answer.cookie is None


async def test_behind_an_https_proxy_the_cookie_is_secure_and_the_public_origin_may_post(start_console) -> None:
    console = await start_console(web_yaml="web: {port: 0, public_url: 'https://warner.example.de'}\n")
    signed = await console.get(await console.link("anna"))
    assert signed.status == 303 and signed.cookie_flags["secure"]
    await console.ctx.sessions.passwords.set("anna", ANNA_PASSWORD)
    form = {"person": "anna", "password": ANNA_PASSWORD}
    assert (await console.post("/login", form, Origin="https://warner.example.de")).status == 303
    assert (await console.post("/login", form, Origin="https://warner.example.de.evil.example")).status == 403
