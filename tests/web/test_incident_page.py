"""The incident page: header, chart, mentions, timeline; acting and noting through it, with CSRF."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from warner.config.loading import parse_config
from warner.core import ManualClock, Recipient, TextScore
from warner.detect.counters import BucketCounter
from warner.incidents.model import Incident, IncidentEvent, TopMention
from warner.incidents.store import IncidentStore
from warner.mention import Mention
from warner.notify.base import Delivery, Page
from warner.oncall.escalation.timeline import Timeline
from warner.pipeline import Envelope
from warner.store import keys
from warner.web.app import create_web_app
from warner.web.serve import build_context

T0 = 1_795_287_600  # 2026-11-21 20:00 Europe/Berlin (Saturday)
START = T0 - 1800  # the storm began at 19:30
SVG = "{http://www.w3.org/2000/svg}"


CONFIG = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
bucket: 1m
oncall:
  people:
    - {id: anna, name: Anna}
    - {id: ben, name: Ben, language: en}
"""


async def write_incident(redis: Any, mentions: int = 120, number: int = 1) -> Incident:
    """A storm of ``mentions`` over 30 one-minute buckets from 19:30, a third negative, through the real stores:
    counters (BucketCounter), the brand's recent mentions (as the detect stage keeps them), the incident."""
    envelopes, recent = [], {}
    for n in range(mentions):
        at = START + (n % 30) * 60 + n % 50
        negative = n % 3 == 0
        m = Mention(
            id=f"p{n}",
            source="webhook",
            text=f"Das Kesselberger ist heute nicht gut, Nummer {n}" if negative else f"Prost Kesselberger {n}",
            created_at=datetime.fromtimestamp(at, UTC),
            brand="kesselberg",
            author=f"user{n}",
            author_followers=(n * 37) % 1000,
            url=f"https://social.example/p/{n}",
        )
        score = TextScore("de", "negative" if negative else "positive", 0.9 if negative else 0.1, 0.0, False)
        envelopes.append(Envelope(f"0-{n}", m, at * 1000, score))
        member = {
            "key": m.key,
            "text": m.text,
            "created_at": at,
            "reach": m.reach,
            "author": m.author,
            "url": m.url,
            "sentiment": score.sentiment,
        }
        recent[orjson.dumps(member)] = at
    config = parse_config(CONFIG, "test.yaml")
    await BucketCounter(redis, config.bucket, config.retention.buckets).add(envelopes)
    await redis.zadd(keys.recent_mentions("kesselberg"), recent)
    top = sorted((TopMention(**orjson.loads(k)) for k in recent), key=lambda t: -t.reach)[:5]
    incident = Incident(
        "kesselberg",
        number,
        "open",
        "critical",
        START,
        T0,
        peak_at=START + 600,
        peak_count=9,
        mentions=mentions,
        expected=12.0,
        negatives=mentions // 3 + 1,
        toxic=2,
        reach=sum((n * 37) % 1000 for n in range(mentions)),
        peak_score=7.5,
        top=top,
    )
    store = IncidentStore(redis)
    async with redis.pipeline(transaction=True) as pipe:
        store.queue_writes(pipe, incident, [IncidentEvent("opened", START + 300, incident)])
        await pipe.execute()
    await store.index(incident)
    return incident


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def site(redis: Any, clock: ManualClock) -> Any:
    config = parse_config(CONFIG, "test.yaml")
    ctx = build_context(config, redis, clock=clock)
    client = TestClient(TestServer(create_web_app(ctx), host="127.0.0.1"))
    await client.start_server()
    token = await ctx.sessions.issue_link_token("anna")
    signed_in = await client.get(f"/login?token={token}", allow_redirects=False)
    assert signed_in.status == 303
    yield client, ctx
    await client.close()


async def page(client: TestClient, url: str = "/incidents/kesselberg:1") -> str:
    response = await client.get(url)
    assert response.status == 200, await response.text()
    return await response.text()


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found
    return found.group(1)


def mention_numbers(html: str) -> list[int]:
    table = html[html.index('<table id="mentions"') : html.index("</table>", html.index('<table id="mentions"'))]
    return [int(n) for n in re.findall(r"https://social\.example/p/(\d+)", table)]


def timeline_items(html: str) -> list[str]:
    block = html[html.index('<ol id="timeline"') : html.index("</ol>", html.index('<ol id="timeline"'))]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "<li" + li)).strip() for li in block.split("<li")[1:]]


def chart_of(html: str) -> ElementTree.Element:
    svg = html[html.index('<svg id="storm-chart"') : html.index("</svg>") + len("</svg>")]
    return ElementTree.fromstring(svg)


async def record_page(ctx: Any, incident: Incident, clock: ManualClock, at: float, kind: str = "new") -> None:
    """A page to Anna over Telegram, recorded as escalation records it."""
    clock.set(at)
    anna = Recipient("anna", "Anna", "de", telegram_id=11)
    page_ = Page(incident, anna, kind, "K7")  # type: ignore[arg-type]
    await Timeline(ctx.redis, ctx.incidents, clock).record(
        incident, page_, [Delivery("telegram", "11", True, 0.2, message_ref="m1")], "step 0"
    )


async def test_the_page_shows_the_header_with_the_incidents_figures_in_the_persons_language(site, redis):
    client, _ = site
    await write_incident(redis)
    html = await page(client)
    title = '<h1 id="incident-title">Brauerei Kesselberg, Vorfall 1 <span class="sev-critical">Kritisch</span></h1>'
    assert title in html
    assert 'id="incident-status">läuft<' in html
    assert 'id="incident-response">Offen — noch niemand hat übernommen<' in html
    assert "120 / 12 (10.0× normal)" in html
    assert "41 (34 %)" in html  # negatives and their share
    assert "21.11.2026 19:30" in html  # started, Berlin time
    assert "9 pro Intervall um 19:40" in html  # the peak
    assert 'href="/incidents/kesselberg:1/replies"' in html and 'id="drafts-link"' in html
    assert 'style="' not in html and "<script>" not in html  # the CSP allows neither


async def test_the_chart_shows_the_storm_with_markers_where_it_was_paged_and_acknowledged(site, redis, clock):
    client, ctx = site
    incident = await write_incident(redis)
    await record_page(ctx, incident, clock, START + 330)
    clock.set(START + 900)
    await ctx.responder.act(incident.id, "ack", "anna", via="telegram")
    clock.set(T0)
    svg = chart_of(await page(client))
    assert svg.get("role") == "img" and "Erwähnungen je 1 min, 21.11.2026 18:30 bis" in (svg.get("aria-label") or "")
    assert svg.find(f"{SVG}title") is not None
    assert "Rote Linie: Anteil negativer" in (svg.find(f"{SVG}desc").text or "")
    kinds = {g.get("class"): int(g.get("data-at") or 0) for g in svg.iter(f"{SVG}g") if g.get("data-at")}
    assert kinds == {"marker marker-paged": START + 330, "marker marker-acknowledged": START + 900}
    bars = svg.find(f"{SVG}path[@class='mentions']")
    assert bars is not None and (bars.get("d") or "").count("Z") == 30  # one bar per bucket with mentions
    assert svg.find(f"{SVG}polyline[@class='negative']") is not None
    assert svg.find(f"{SVG}polyline[@class='expected']") is not None  # no baseline: the incident's expected


async def test_the_chart_draws_the_normal_band_from_the_learnt_baseline_when_the_detector_has_one(site, redis):
    from warner.detect.detector import BrandDetector

    client, _ = site
    await write_incident(redis)
    await redis.set(keys.detector("kesselberg"), orjson.dumps(BrandDetector.new(per_day=2880).to_dict()))
    html = await page(client)
    svg = chart_of(html)
    assert svg.find(f"{SVG}polygon[@class='band']") is not None
    assert "Graues Band: üblicher Bereich" in (svg.find(f"{SVG}desc").text or "")


async def test_mentions_are_newest_first_or_loudest_first_fifty_a_page(site, redis):
    client, _ = site
    await write_incident(redis, mentions=120)
    newest = mention_numbers(await page(client))
    assert len(newest) == 50
    times = [START + (n % 30) * 60 + n % 50 for n in newest]
    assert times == sorted(times, reverse=True)
    loud = mention_numbers(await page(client, "/incidents/kesselberg:1?sort=loud"))
    reaches = [(n * 37) % 1000 for n in loud]
    assert reaches == sorted(reaches, reverse=True) and reaches[0] == 999
    html = await page(client, "/incidents/kesselberg:1?sort=loud&page=3")
    last = mention_numbers(html)
    assert len(last) == 20 and not set(last) & set(loud)
    assert "Seite 3 von 3" in html and 'id="page-prev"' in html and 'id="page-next"' not in html
    assert 'rel="noopener noreferrer"' in html
    assert "120 Erwähnungen gelistet" in html


async def test_the_timeline_tells_what_happened_who_did_it_and_through_what(site, redis, clock):
    client, ctx = site
    incident = await write_incident(redis)
    await record_page(ctx, incident, clock, START + 330)
    clock.set(START + 900)
    await ctx.responder.act(incident.id, "ack", "ben", via="sms")
    clock.set(T0)
    items = timeline_items(await page(client))
    assert items[0].startswith("21.11.2026 19:35 Vorfall eröffnet: Kritisch, 120 Erwähnungen (erwartet 12)")
    assert "warner · über die Erkennung" in items[0]
    assert "Alarm an Anna über Telegram: zugestellt" in items[1]
    assert items[2] == "21.11.2026 19:45 Übernommen Ben · über SMS"


async def test_acknowledging_on_the_page_acks_the_incident_via_web_and_shows_the_answer(site, redis, clock):
    client, ctx = site
    await write_incident(redis)
    clock.set(T0 + 60)
    csrf = csrf_of(await page(client))
    answer = await client.post(
        "/incidents/kesselberg:1/act", data={"csrf": csrf, "action": "ack"}, allow_redirects=False
    )
    assert answer.status == 303 and answer.headers["Location"].startswith("/incidents/kesselberg:1?answer=")
    response = await ctx.lifecycle.get("kesselberg:1")
    assert (response.state, response.acknowledged_by, response.acknowledged_via) == ("acknowledged", "anna", "web")
    html = await page(client, answer.headers["Location"])
    assert '<p id="answer" class="inc-answer" role="status">Übernommen von Anna, 20:01</p>' in html
    assert "20:01 Übernommen Anna · über die Konsole" in " ".join(timeline_items(html))
    assert 'class="marker marker-acknowledged"' in html


async def test_an_answer_in_a_link_is_not_shown_unless_this_session_signed_it(site, redis):
    client, _ = site
    await write_incident(redis)
    html = await page(client, "/incidents/kesselberg:1?answer=Call+0900+now&sig=00")
    assert "Call 0900 now" not in html


@pytest.mark.parametrize("csrf", [None, "wrong-token"])
async def test_a_post_without_the_right_csrf_token_changes_nothing(site, redis, csrf):
    client, ctx = site
    await write_incident(redis)
    form = {"action": "ack"} | ({"csrf": csrf} if csrf else {})
    refused = await client.post("/incidents/kesselberg:1/act", data=form, allow_redirects=False)
    assert refused.status == 403
    noted = await client.post(
        "/incidents/kesselberg:1/note", data={"text": "sneaky"} | ({"csrf": csrf} if csrf else {})
    )
    assert noted.status == 403
    assert await ctx.lifecycle.get("kesselberg:1") is None
    assert [e["kind"] for e in await ctx.incidents.timeline("kesselberg", 1)] == ["opened"]


async def test_a_note_goes_into_the_timeline_with_who_and_via_web(site, redis, clock):
    client, ctx = site
    await write_incident(redis)
    clock.set(T0 + 120)
    csrf = csrf_of(await page(client))
    noted = await client.post(
        "/incidents/kesselberg:1/note", data={"csrf": csrf, "text": "Presse <b>angerufen</b>"}, allow_redirects=False
    )
    assert noted.status == 303
    entry = (await ctx.incidents.timeline("kesselberg", 1))[-1]
    assert entry == {"kind": "note", "at": T0 + 120, "by": "anna", "via": "web", "text": "Presse <b>angerufen</b>"}
    html = await page(client, noted.headers["Location"])
    assert "Notiz hinzugefügt." in html
    assert "20:02 Presse &lt;b&gt;angerufen&lt;/b&gt; Anna · über die Konsole" in timeline_items(html)[-1]


async def test_an_empty_note_is_refused_with_a_word_and_an_unknown_action_is_a_bad_request(site, redis):
    client, ctx = site
    await write_incident(redis)
    csrf = csrf_of(await page(client))
    empty = await client.post("/incidents/kesselberg:1/note", data={"csrf": csrf, "text": "  "})
    assert "Die Notiz ist leer." in await empty.text()
    bad = await client.post("/incidents/kesselberg:1/act", data={"csrf": csrf, "action": "delete"})
    assert bad.status == 400
    assert [e["kind"] for e in await ctx.incidents.timeline("kesselberg", 1)] == ["opened"]


@pytest.mark.parametrize("incident_id", ["kesselberg:9", "nonsense", "bergblick:1"])
async def test_an_unknown_incident_is_not_found(site, redis, incident_id):
    client, _ = site
    await write_incident(redis)
    assert (await client.get(f"/incidents/{incident_id}")).status == 404
    csrf = csrf_of(await page(client))
    acted = await client.post(f"/incidents/{incident_id}/act", data={"csrf": csrf, "action": "ack"})
    assert acted.status == 404


async def test_without_a_session_the_page_sends_people_to_sign_in(redis):
    ctx = build_context(parse_config(CONFIG, "test.yaml"), redis)
    async with TestClient(TestServer(create_web_app(ctx), host="127.0.0.1")) as client:
        await write_incident(redis)
        response = await client.get("/incidents/kesselberg:1", headers={"Accept": "text/html"}, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/login"
