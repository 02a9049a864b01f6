"""What every page of the console shares: the context, sessions, CSRF, security headers, rendering.

Every route but ``/login`` and ``/static`` needs a session; every POST needs the session's
CSRF token (form field ``csrf`` or header ``X-CSRF-Token``). The pages (``pages/``) import this
module, and ``app.py`` puts them together, so no page imports the application that imports it.
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
from warner.web import texts
from warner.web.sessions import COOKIE, Session, Sessions, same_csrf

if TYPE_CHECKING:
    from warner.directory import ConfigDirectory
    from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
    from warner.incidents.store import IncidentStore
    from warner.store.connection import RedisClient
    from warner.web.config import WebSettings

log = structlog.get_logger(__name__)

STATIC = Path(__file__).with_name("static")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OPEN_PATHS = ("/login", "/static/", "/healthz")


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
SESSION = web.RequestKey("warner_web_session", Session)


def language_of(request: web.Request) -> Language:
    """The signed-in person's configured language; before sign-in, the browser's (German by default)."""
    ctx = request.app[CONTEXT]
    session = request.get(SESSION)
    if session is not None:
        person = ctx.directory.recipient_or_none(session.person)
        if person is not None:
            return person.language
    accept = request.headers.get("Accept-Language", "")
    return "en" if accept.lower().startswith("en") else "de"


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """A page from ``templates/``, with the person, their language, the CSRF token and ``t`` for texts."""
    ctx = request.app[CONTEXT]
    session = request.get(SESSION)
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
    return request[SESSION]


@web.middleware
async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sessions, CSRF and headers. A page without a session redirects to /login; an API call gets 401."""
    ctx = request.app[CONTEXT]
    open_path = request.path.startswith(OPEN_PATHS)
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
    if request.path != "/login" and not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """``/login?token=…`` from a link: one use, then a session cookie. Without a token: how to get one."""
    ctx = request.app[CONTEXT]
    token = request.query.get("token", "")
    if not token:
        return render(request, "login.html")
    session = await ctx.sessions.use_link(token)
    if session is None:
        log.warning("web_login_refused")
        return render(request, "login.html", status=403, refused=True)
    log.info("web_login", person=session.person)
    response = web.Response(status=303, headers={"Location": "/incidents"})
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


async def logout(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    session = current_session(request)
    await ctx.sessions.end(session)
    log.info("web_logout", person=session.person)
    response = web.Response(status=303, headers={"Location": "/login"})
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
