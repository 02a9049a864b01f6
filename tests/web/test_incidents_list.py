"""/incidents: the responders' list, newest first, with state, numbers and who took it; filters; the fragment."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.incidents.lifecycle import IncidentResponder
from warner.incidents.model import Incident, IncidentEvent
from warner.incidents.store import IncidentStore
from warner.web.app import create_web_app
from warner.web.serve import build_context

NOW = 1_795_287_600.0  # Saturday 2026-11-21 20:00 Europe/Berlin (week 2026-W47)
CONFIG = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
  - name: bergblick
    display_name: Bergblick Reisen
oncall:
  people:
    - {id: anna, name: Anna}
    - {id: ben, name: Ben, language: en}
"""


async def write_incident(redis: Any, incident: Incident) -> None:
    """As the detect stage does: the JSON and the timeline in one transaction, then the cross-brand index."""
    pipe = redis.pipeline(transaction=True)
    IncidentStore.queue_writes(pipe, incident, [IncidentEvent("opened", incident.started_at, incident)])
    await pipe.execute()
    await IncidentStore(redis).index(incident)


def incident(brand: str, number: int, started: float, **fields: Any) -> Incident:
    values: dict[str, Any] = {
        "status": "open",
        "severity": "warning",
        "started_at": int(started),
        "updated_at": int(started) + 300,
        "mentions": 120,
        "expected": 10.0,
        "negatives": 30,
    }
    values.update(fields)
    return Incident(brand, number, **values)


@pytest.fixture
async def console(redis: Any) -> Any:
    """The console on a test server, with the three incidents of a Saturday evening, as Anna."""
    clock = ManualClock(NOW)
    ctx = build_context(parse_config(CONFIG, "test.yaml"), redis, clock=clock)
    # last week's storm, over and resolved
    await write_incident(redis, incident("kesselberg", 1, NOW - 8 * 86400, status="closed", severity="info"))
    # tonight: acknowledged by Anna at 19:55
    await write_incident(redis, incident("kesselberg", 2, NOW - 1800, severity="critical", mentions=480, expected=20.0))
    # tonight, later: nobody has taken it
    await write_incident(redis, incident("bergblick", 1, NOW - 600, negatives=90))
    responder: IncidentResponder = ctx.responder
    for iid in ("kesselberg:1", "kesselberg:2", "bergblick:1"):
        await ctx.lifecycle.apply(iid, "open", via="detector")
    clock.set(NOW - 8 * 86400 + 600)
    await responder.act("kesselberg:1", "resolve", "ben", "telegram")
    clock.set(NOW - 300)
    await responder.act("kesselberg:2", "ack", "anna", "web")
    clock.set(NOW)
    async with TestClient(TestServer(create_web_app(ctx))) as client:
        client.ctx = ctx
        yield client


async def sign_in(client: Any, person: str = "anna") -> None:
    token = await client.ctx.sessions.issue_link_token(person)
    response = await client.get(f"/login?token={token}", allow_redirects=False)
    assert response.status == 303


def rows(html: str) -> list[str]:
    """The incident ids of the table's rows, in order."""
    return re.findall(r'<tr data-incident="([^"]+)">', html)


def row(html: str, incident_id: str) -> str:
    match = re.search(rf'<tr data-incident="{re.escape(incident_id)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {incident_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


async def test_without_a_session_the_list_sends_you_to_sign_in(console: Any) -> None:
    response = await console.get("/incidents", allow_redirects=False, headers={"Accept": "text/html"})
    assert response.status == 303 and response.headers["Location"] == "/login"


async def test_the_list_shows_every_incident_newest_first_with_what_a_responder_needs(console: Any) -> None:
    await sign_in(console)
    response = await console.get("/incidents")
    html = await response.text()
    assert response.status == 200
    assert '<table id="incidents" class="stack"' in html
    assert rows(html) == ["bergblick:1", "kesselberg:2", "kesselberg:1"]
    assert row(html, "kesselberg:2") == (
        "offen · übernommen kritisch Brauerei Kesselberg #2 21.11.2026 19:30 480 / 20 (24.0× normal) 6% "
        "Anna, 21.11.2026 19:55"
    )
    assert row(html, "bergblick:1") == (
        "offen · nicht übernommen Warnung Bergblick Reisen #1 21.11.2026 19:50 120 / 10 (12.0× normal) 75% –"
    )
    assert row(html, "kesselberg:1").startswith("beendet · erledigt Info Brauerei Kesselberg #1 13.11.2026 20:00")
    assert '<a href="/incidents/kesselberg:2">' in html
    assert '<span class="sev-critical">' in html


async def test_the_list_speaks_the_signed_in_persons_language(console: Any) -> None:
    await sign_in(console, "ben")
    html = await (await console.get("/incidents")).text()
    assert '<html lang="en">' in html
    assert row(html, "kesselberg:2") == (
        "open · acknowledged critical Brauerei Kesselberg #2 2026-11-21 19:30 480 / 20 (24.0× normal) 6% "
        "Anna, 2026-11-21 19:55"
    )
    assert row(html, "kesselberg:1").startswith("closed · resolved info")


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("state=open", ["bergblick:1", "kesselberg:2"]),
        ("state=all", ["bergblick:1", "kesselberg:2", "kesselberg:1"]),
        ("week=this", ["bergblick:1", "kesselberg:2"]),
        ("brand=kesselberg", ["kesselberg:2", "kesselberg:1"]),
        ("brand=kesselberg&state=open&week=this", ["kesselberg:2"]),
        ("brand=bergblick&week=all", ["bergblick:1"]),
        ("brand=nosuchbrand", ["bergblick:1", "kesselberg:2", "kesselberg:1"]),
    ],
)
async def test_filters_by_state_week_and_brand(console: Any, query: str, shown: list[str]) -> None:
    await sign_in(console)
    html = await (await console.get(f"/incidents?{query}")).text()
    assert rows(html) == shown


async def test_an_acknowledged_storm_stays_open_and_a_resolved_one_leaves_the_open_list(console: Any) -> None:
    await sign_in(console)
    await console.ctx.responder.act("bergblick:1", "false_alarm", "anna", "web")
    html = await (await console.get("/incidents?state=open")).text()
    assert rows(html) == ["kesselberg:2"]


async def test_the_filter_form_has_labelled_selects_that_keep_the_choice(console: Any) -> None:
    await sign_in(console)
    html = await (await console.get("/incidents?state=open&brand=bergblick")).text()
    for name in ("state", "week", "brand"):
        assert f'<label for="filter-{name}">' in html and f'<select id="filter-{name}" name="{name}">' in html
    assert '<option value="open" selected>' in html
    assert '<option value="bergblick" selected>Bergblick Reisen</option>' in html
    assert 'data-fragment="/incidents?fragment=1&amp;state=open&amp;week=all&amp;brand=bergblick"' in html
    assert 'aria-live="polite"' in html
    assert '<script src="/static/live.js" defer></script>' in html
    assert "style=" not in html and "<script>" not in html  # CSP: no inline style or script


async def test_the_fragment_is_only_the_table_body_with_the_same_filters(console: Any) -> None:
    await sign_in(console)
    response = await console.get("/incidents?fragment=1&state=open")
    html = await response.text()
    assert response.status == 200
    assert html.strip().startswith('<tbody id="incidents-body">') and html.strip().endswith("</tbody>")
    assert "<html" not in html and "<form" not in html
    assert rows(html) == ["bergblick:1", "kesselberg:2"]


async def test_an_empty_selection_says_so(console: Any) -> None:
    await sign_in(console)
    html = await (await console.get("/incidents?fragment=1&brand=bergblick&state=open&week=this")).text()
    assert rows(html) == ["bergblick:1"]
    await console.ctx.responder.act("bergblick:1", "resolve", "anna", "web")
    html = await (await console.get("/incidents?fragment=1&brand=bergblick&state=open")).text()
    assert rows(html) == [] and "Keine Vorfälle für diese Auswahl." in html


async def test_the_live_script_is_served_from_static(console: Any) -> None:
    response = await console.get("/static/live.js")
    body = await response.text()
    assert response.status == 200 and "EventSource" in body and "/events" in body
