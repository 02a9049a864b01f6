"""What every page of the console shares: the context, sessions, CSRF, security headers, rendering.

Every route but ``/login``, ``/healthz`` and ``/static/`` needs a session; every POST needs the
session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``). The password form on
``/login`` has no session yet, so no token: a POST to it must come from the console's own origin
(``Origin``, else ``Sec-Fetch-Site``), which refuses a cross-site login. The pages (``pages/``, one
module each, ``add_routes(app)``) import this module and read what they need from
``request.app[CONTEXT]``; ``app.py`` puts them together, so no page imports the application.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web
from jinja2 import PackageLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from warner.core import Clock, Language
from warner.incidents.lifecycle import split_id
from warner.store.failures import Locked
from warner.web import texts
from warner.web.sessions import COOKIE, MAX_PERSON_ID, Session, Sessions, same_csrf

if TYPE_CHECKING:
    from warner.directory import ConfigDirectory
    from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
    from warner.incidents.model import Incident
    from warner.incidents.store import IncidentStore
    from warner.store.connection import RedisClient
    from warner.web.config import WebSettings

log = structlog.get_logger(__name__)

STATIC = Path(__file__).with_name("static")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OPEN_PATHS = frozenset({"/login", "/healthz"})  # exactly these, and everything under /static/

texts.add_texts(
    {
        "login_password_title": {"de": "Mit Passwort anmelden", "en": "Sign in with a password"},
        "login_person": {"de": "Ihre warner-ID (oncall.people)", "en": "Your warner id (oncall.people)"},
        "login_password": {"de": "Passwort", "en": "Password"},
        "login_submit": {"de": "Anmelden", "en": "Sign in"},
        "login_wrong": {
            "de": "ID oder Passwort stimmt nicht.",
            "en": "Wrong id or password.",
        },
        "login_locked": {
            "de": "Zu viele falsche Passwörter für diese ID: die Anmeldung mit Passwort ist für {minutes} Minuten "
            "gesperrt. Ein Link über /login in Telegram funktioniert weiterhin.",
            "en": "Too many wrong passwords for this id: signing in with a password is locked for {minutes} "
            "minutes. A link from /login in Telegram still works.",
        },
        "login_cross_site": {
            "de": "Diese Anmeldung kam von einer anderen Website und wurde abgelehnt. Öffnen Sie die Anmeldeseite "
            "der Konsole direkt.",
            "en": "This sign-in came from another website and was refused. Open the console's sign-in page directly.",
        },
    }
)


@dataclass
class WebContext:
    """What the pages need, built once per application."""

    config: WebSettings
    redis: RedisClient
    sessions: Sessions
    incidents: IncidentStore
    lifecycle: IncidentLifecycle
    responder: IncidentResponder
    directory: ConfigDirectory
    clock: Clock
    templates: SandboxedEnvironment
    base_url: str = ""  # set once the port is bound
    listeners: set[asyncio.Queue[str]] = field(default_factory=set)  # open event streams (SSE)


CONTEXT = web.AppKey("web_context", WebContext)
SESSION = web.RequestKey("warner_web_session", Session)  # the signed-in person of a request


def language_of(request: web.Request) -> Language:
    """The signed-in person's configured language; before sign-in, the browser's (German by default)."""
    ctx = request.app[CONTEXT]
    session: Session | None = request.get(SESSION)
    if session is not None:
        person = ctx.directory.recipient_or_none(session.person)
        if person is not None:
            return person.language
    accept = request.headers.get("Accept-Language", "")
    return "en" if accept.lower().startswith("en") else "de"


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """A page from ``templates/``, with the person, their language, the CSRF token and ``t`` for texts."""
    ctx = request.app[CONTEXT]
    session: Session | None = request.get(SESSION)
    language = language_of(request)
    person = ctx.directory.recipient_or_none(session.person) if session else None
    body = ctx.templates.get_template(template).render(
        t=lambda key, **v: texts.text(language, key, **v),
        lang=language,
        person=person,
        csrf=session.csrf if session else "",
        path=request.path,
        **values,
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def current_session(request: web.Request) -> Session:
    """The session of a request that passed the middleware (every non-open route)."""
    session: Session = request[SESSION]
    return session


@web.middleware
async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sessions, CSRF and headers. A page without a session redirects to /login; an API call gets 401."""
    ctx = request.app[CONTEXT]
    open_path = request.path in OPEN_PATHS or request.path.startswith("/static/")
    session = await ctx.sessions.from_cookie(request.cookies.get(COOKIE))
    if session is not None:
        request[SESSION] = session
    if session is None and not open_path:
        if request.method == "GET" and "text/html" in request.headers.get("Accept", "text/html"):
            raise web.HTTPSeeOther("/login")
        return web.json_response({"error": "not signed in"}, status=401)
    if request.method not in ("GET", "HEAD", "OPTIONS") and not open_path:
        sent = request.headers.get("X-CSRF-Token")
        if sent is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            sent = str((await request.post()).get("csrf", ""))
        assert session is not None
        if not same_csrf(session, sent):
            log.warning("web_csrf_refused", path=request.path, person=session.person)
            return render(request, "error.html", status=403, message=texts.text(language_of(request), "forbidden"))
    response = await handler(request)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if not request.path.startswith("/static/"):  # /login too: its answer may carry a fresh session cookie
        response.headers.setdefault("Cache-Control", "no-store")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """``/login?token=…`` from a link: one use, then a session cookie. Without a token: how to get one
    (and the password form, when anyone has a password)."""
    ctx = request.app[CONTEXT]
    token = request.query.get("token", "")
    if not token:
        return await _login_page(request)
    session = await ctx.sessions.use_link(token)
    if session is None:
        log.warning("web_login_refused", via="link")
        return await _login_page(request, status=403, alert=texts.text(language_of(request), "login_refused"))
    log.info("web_login", person=session.person, via="link")
    return await _signed_in(request, session)


async def login_with_password(request: web.Request) -> web.StreamResponse:
    """POST ``/login`` (person, password): from this console's own pages only, at most 5 wrong tries per id."""
    ctx = request.app[CONTEXT]
    language = language_of(request)
    if not same_origin(request):
        log.warning("web_login_refused", via="password", reason="cross-site", origin=request.headers.get("Origin"))
        return render(request, "error.html", status=403, message=texts.text(language, "login_cross_site"))
    form = await request.post()
    person, password = str(form.get("person", "")).strip(), str(form.get("password", ""))
    if not person or not password or len(person) > MAX_PERSON_ID:
        return await _login_page(request, status=401, alert=texts.text(language, "login_wrong"), person_id=person)
    outcome = await ctx.sessions.passwords.check(person, password)
    if isinstance(outcome, Locked):
        log.warning("web_login_refused", via="password", reason="locked", retry_after=outcome.retry_after)
        minutes = max(1, -(-outcome.retry_after // 60))
        response = await _login_page(
            request, status=429, alert=texts.text(language, "login_locked", minutes=minutes), person_id=person
        )
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if not outcome:
        log.warning("web_login_refused", via="password", reason="wrong")
        return await _login_page(request, status=401, alert=texts.text(language, "login_wrong"), person_id=person)
    log.info("web_login", person=person, via="password")
    return await _signed_in(request, await ctx.sessions.start(person))


async def _login_page(request: web.Request, *, status: int = 200, **values: Any) -> web.Response:
    passwords = await request.app[CONTEXT].sessions.passwords.any_set()
    return render(request, "login.html", status=status, passwords=passwords, **values)


async def _signed_in(request: web.Request, session: Session) -> web.StreamResponse:
    """To the incidents with a fresh session cookie; a session the browser had before ends."""
    ctx = request.app[CONTEXT]
    previous: Session | None = request.get(SESSION)
    if previous is not None:
        await ctx.sessions.end(previous)
    response = see_other("/incidents")
    response.set_cookie(
        COOKIE,
        await ctx.sessions.cookie_value(session),
        max_age=int(ctx.sessions.session_ttl),
        httponly=True,
        samesite="Strict",
        secure=ctx.config.web.secure_cookies,
        path="/",
    )
    return response


def see_other(location: str) -> web.Response:
    """A 303 to ``location`` that can carry cookies (aiohttp wants an HTTPException raised, not returned)."""
    return web.Response(status=303, headers={"Location": location})


def same_origin(request: web.Request) -> bool:
    """Whether a request comes from the console's own pages: its ``Origin`` is the console's (as people reach it,
    ``web.public_url``, or as this request addressed it); without ``Origin``, ``Sec-Fetch-Site`` must not say
    another site. A request with neither comes from no browser, so it cannot be a forged cross-site one."""
    origin = request.headers.get("Origin")
    if origin is None:
        return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
    ctx = request.app[CONTEXT]
    own = {f"{request.scheme}://{request.host}".lower()}
    for url in (ctx.config.web.public_url, ctx.base_url):
        if url:
            own.add(_origin_of(url))
    return origin.lower().rstrip("/") in own


def _origin_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}".lower()


async def logout(request: web.Request) -> web.StreamResponse:
    """Ends the session in Redis (a copy of the cookie no longer works), then to /login."""
    ctx = request.app[CONTEXT]
    session = current_session(request)
    await ctx.sessions.end(session)
    log.info("web_logout", person=session.person)
    response = see_other("/login")
    response.del_cookie(COOKIE, path="/")
    return response


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/incidents")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def templates() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=PackageLoader("warner.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


async def incident_of(request: web.Request) -> Incident | None:
    """The incident the path's ``{id}`` (``brand:number``) names; None for a malformed or unknown id."""
    try:
        brand, number = split_id(request.match_info["id"])
    except ValueError:
        return None
    return await request.app[CONTEXT].incidents.get(brand, number)


def not_found(request: web.Request) -> web.Response:
    """The 404 page, in the person's language."""
    return render(request, "error.html", status=404, message=texts.text(language_of(request), "not_found"))
