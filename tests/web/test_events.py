"""GET /events: a change to an incident in any warner process reaches an open page within 2 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from warner.config.loading import parse_config
from warner.core import SystemClock
from warner.http_server import ConnectionLimits
from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
from warner.incidents.model import Incident, IncidentEvent
from warner.incidents.store import IncidentStore
from warner.store import keys
from warner.store.connection import connect
from warner.web.events import incident_publisher, response_publisher
from warner.web.serve import RunningWeb, start_web

CONFIG = """
brands:
  - name: kesselberg
web:
  port: 0
oncall:
  people:
    - {id: anna, name: Anna}
"""


@pytest.fixture
async def web(redis: Any) -> AsyncIterator[RunningWeb]:
    """The console as `warner run` starts it, on a free port; a request body must be in within 0.5 s."""
    running = await start_web(
        parse_config(CONFIG, "test.yaml"), redis, ConnectionLimits(header_timeout=5, body_timeout=0.5)
    )
    await asyncio.wait_for(running.events.subscribed.wait(), 2)
    yield running
    await running.close()


@pytest.fixture
async def browser(web: RunningWeb) -> AsyncIterator[aiohttp.ClientSession]:
    """Anna's browser, signed in."""
    async with aiohttp.ClientSession(
        base_url=web.context.base_url, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        token = await web.context.sessions.issue_link_token("anna")
        async with session.get(f"/login?token={token}", allow_redirects=False) as response:
            assert response.status == 303
        yield session


@pytest.fixture
async def elsewhere(redis_url: str) -> AsyncIterator[Any]:
    """Another process's own Redis connection (a worker's, the bot's)."""
    client = connect(redis_url)
    yield client
    await client.aclose()


async def next_event(response: aiohttp.ClientResponse, timeout: float) -> dict[str, Any]:
    """The next ``event: incident`` of the stream (comments skipped), its data as JSON."""
    async with asyncio.timeout(timeout):
        event = None
        while True:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "incident":
                data: dict[str, Any] = orjson.loads(line.removeprefix("data: "))
                return data


async def open_stream(browser: aiohttp.ClientSession) -> aiohttp.ClientResponse:
    response = await browser.get("/events", headers={"Accept": "text/event-stream"})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert await response.content.readline() == b"retry: 3000\n"  # the stream is open: we are listening
    return response


def storm() -> Incident:
    now = int(time.time())
    return Incident("kesselberg", 1, "open", "critical", now - 60, now, mentions=300, expected=12.0)


async def test_events_need_a_session(web: RunningWeb) -> None:
    async with (
        aiohttp.ClientSession(base_url=web.context.base_url) as anonymous,
        anonymous.get("/events", headers={"Accept": "text/event-stream"}) as response,
    ):
        assert response.status == 401
    assert web.context.listeners == set()


async def test_a_detector_event_in_another_process_reaches_an_open_page_within_2_s(
    web: RunningWeb, browser: aiohttp.ClientSession, elsewhere: Any
) -> None:
    stream = await open_stream(browser)
    hook = incident_publisher(elsewhere)  # what the worker's detect stage calls
    sent = time.monotonic()
    await hook(IncidentEvent("opened", int(time.time()), storm()))
    assert await next_event(stream, timeout=2) == {"id": "kesselberg:1", "kind": "opened"}
    assert time.monotonic() - sent < 2
    stream.close()


async def test_a_response_given_elsewhere_reaches_an_open_page(
    web: RunningWeb, browser: aiohttp.ClientSession, elsewhere: Any
) -> None:
    incident = storm()
    pipe = elsewhere.pipeline(transaction=True)
    IncidentStore.queue_writes(pipe, incident, [])
    await pipe.execute()
    lifecycle = IncidentLifecycle(elsewhere, SystemClock())
    await lifecycle.apply(incident.id, "open", via="detector")
    bot = IncidentResponder(  # the bot's responder in a worker, with the listener warner.service gives it
        lifecycle,
        IncidentStore(elsewhere),
        web.context.directory.recipient_or_none,
        listeners=[response_publisher(elsewhere)],
    )
    stream = await open_stream(browser)
    await bot.act(incident.id, "ack", "anna", "telegram")
    assert await next_event(stream, timeout=2) == {"id": "kesselberg:1", "kind": "acknowledged"}
    await web.context.responder.act(incident.id, "resolve", "anna", "web")  # the console's own responder
    assert await next_event(stream, timeout=2) == {"id": "kesselberg:1", "kind": "resolved"}
    stream.close()


async def test_every_open_page_gets_the_event_and_the_stream_outlives_the_request_deadline(
    web: RunningWeb, browser: aiohttp.ClientSession, elsewhere: Any
) -> None:
    first, second = await open_stream(browser), await open_stream(browser)
    await asyncio.sleep(1.0)  # twice the body deadline of the fixture's limits
    await elsewhere.publish(keys.WEB_EVENTS, orjson.dumps({"id": "kesselberg:7", "kind": "escalated"}))
    for stream in (first, second):
        assert await next_event(stream, timeout=2) == {"id": "kesselberg:7", "kind": "escalated"}
        stream.close()


async def test_a_closed_browser_tab_removes_its_queue(web: RunningWeb, browser: aiohttp.ClientSession) -> None:
    stream = await open_stream(browser)
    assert len(web.context.listeners) == 1
    stream.close()
    async with asyncio.timeout(3):
        while web.context.listeners:
            await asyncio.sleep(0.05)


async def test_closing_the_console_ends_open_streams_at_once(
    web: RunningWeb, browser: aiohttp.ClientSession
) -> None:
    stream = await open_stream(browser)
    started = time.monotonic()
    await web.close()
    assert time.monotonic() - started < 2
    assert await asyncio.wait_for(stream.content.read(), 2) == b": connected\n\n"  # then the server ended it
    assert stream.content.at_eof()
    assert web.context.listeners == set()
