"""Webhook mode: Telegram POSTs updates to warner's aiohttp server.

Only Telegram knows the secret token given to ``setWebhook``; a request without the
matching ``X-Telegram-Bot-Api-Secret-Token`` header is refused (403) and logged, so a
stranger who finds the URL cannot press buttons. Accepted updates go on the
Application's update queue; the handler does nothing else.
"""

from __future__ import annotations

import structlog
from aiohttp import web
from telegram import Update

from warner.notify.telegram.bot import BotApplication
from warner.secret_digest import same_secret

log = structlog.get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024


def add_webhook_route(app: web.Application, application: BotApplication, *, path: str, secret_token: str) -> None:
    """Serve Telegram's webhook at ``path`` of ``app`` (e.g. the ingest server)."""
    if not secret_token:
        raise ValueError("the webhook needs a secret token")

    async def handle(request: web.Request) -> web.Response:
        return await receive_update(request, application, secret_token)

    app.router.add_post(path, handle)


def create_webhook_app(application: BotApplication, *, path: str, secret_token: str) -> web.Application:
    """An aiohttp app serving only the webhook (when it should not share a port with ingest)."""
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    add_webhook_route(app, application, path=path, secret_token=secret_token)
    return app


async def receive_update(request: web.Request, application: BotApplication, secret_token: str) -> web.Response:
    """Check the secret header, parse the Update, queue it."""
    given = request.headers.get(SECRET_HEADER)
    if not same_secret(secret_token, given):
        log.warning(
            "telegram_webhook_refused",
            reason="missing_secret" if given is None else "wrong_secret",
            remote=request.remote,
        )
        return web.Response(status=403, text="forbidden")
    try:
        data = await request.json()
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise ValueError("an Update is a JSON object with an integer update_id")
        update = Update.de_json(data, application.bot)
    except Exception as exc:
        log.warning("telegram_webhook_refused", reason="bad_update", error=repr(exc)[:300], remote=request.remote)
        return web.Response(status=400, text="bad update: expected a Telegram Update object")
    await application.update_queue.put(update)
    return web.Response(text="ok")
