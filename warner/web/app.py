"""The console's aiohttp application: the shared routes of ``base.py`` and every page of ``pages/``."""

from __future__ import annotations

from aiohttp import web

from warner.web.base import (
    CONTEXT,
    STATIC,
    WebContext,
    healthz,
    home,
    login,
    login_with_password,
    logout,
    security,
)
from warner.web.pages import PAGES


def create_web_app(ctx: WebContext) -> web.Application:
    """The console, with every page of ``pages/``."""
    app = web.Application(middlewares=[security], client_max_size=256 * 1024)
    app[CONTEXT] = ctx
    app.router.add_get("/", home)
    app.router.add_get("/login", login)
    app.router.add_post("/login", login_with_password)
    app.router.add_post("/logout", logout)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", STATIC, append_version=True)
    for page in PAGES:
        page.add_routes(app)
    return app
