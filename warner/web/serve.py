"""Starting the console inside ``warner run`` (roles all and web): the context, the listener, the events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from warner.core import Clock, SystemClock
from warner.directory import ConfigDirectory
from warner.http_server import ConnectionLimits, serve_guarded
from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
from warner.incidents.store import IncidentStore
from warner.store import keys
from warner.web.app import create_web_app
from warner.web.base import WebContext, templates
from warner.web.events import EventFanout, response_publisher
from warner.web.sessions import Sessions

if TYPE_CHECKING:
    from warner.store.connection import RedisClient
    from warner.web.config import WebSettings

log = structlog.get_logger(__name__)


@dataclass
class RunningWeb:
    runner: web.AppRunner
    port: int
    context: WebContext
    events: EventFanout

    async def close(self) -> None:
        await self.events.close()  # ends the open event streams too: cleanup need not wait for them
        await self.runner.cleanup()


def build_context(
    config: WebSettings, redis: RedisClient, responder: IncidentResponder | None = None, clock: Clock | None = None
) -> WebContext:
    """The console's context; ``responder`` is the pager's when there is one, so an ack on the web stops the
    escalation and edits the Telegram alerts exactly as a button press does. Without one, the console's own
    responder publishes its responses for the open pages (``events.py``); the pager's has that listener from
    ``warner.service``."""
    clock = clock or SystemClock()
    directory = ConfigDirectory(config.oncall)
    lifecycle = responder.lifecycle if responder is not None else IncidentLifecycle(redis, clock)
    if responder is None:
        responder = IncidentResponder(
            lifecycle,
            IncidentStore(redis),
            directory.recipient_or_none,
            snooze=config.escalation.snooze,
            time_zone=config.escalation.time_zone,
            listeners=[response_publisher(redis)],
        )
    sessions = Sessions(
        redis,
        {p.id for p in config.oncall.people},
        link_ttl=config.web.link_ttl.total_seconds(),
        session_ttl=config.web.session_ttl.total_seconds(),
    )
    return WebContext(
        config, redis, sessions, IncidentStore(redis), lifecycle, responder, directory, clock, templates()
    )


async def start_web(
    config: WebSettings, redis: RedisClient, limits: ConnectionLimits, responder: IncidentResponder | None = None
) -> RunningWeb:
    """Listen on ``web.host:web.port`` until ``close``; the one subscription to the live events runs as long."""
    assert config.web.port is not None
    context = build_context(config, redis, responder)
    app = create_web_app(context)
    events = EventFanout(redis, context.listeners)
    events.start()
    try:
        runner, site, _ = await serve_guarded(app, config.web.host, config.web.port, limits)
    except BaseException:
        await events.close()
        raise
    context.base_url = config.web.base_url(site.bound_port)
    if config.web.public_url is None:  # sign-in links made elsewhere (the bot, `warner web link`) point here
        await redis.set(keys.WEB_ADDRESS, context.base_url)
    log.info("web_listening", host=config.web.host, port=site.bound_port, url=context.base_url)
    return RunningWeb(runner, site.bound_port, context, events)
