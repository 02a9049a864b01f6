"""/brands: per brand the last 24 h against the week's daily mean, the negative share, the open incident
and a sparkline of the last 24 h, from counters written by the real BucketCounter; the sparkline itself."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from warner.config.loading import parse_config
from warner.core import ManualClock, TextScore
from warner.detect.counters import BucketCounter
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.mention import Mention
from warner.pipeline import Envelope
from warner.web.app import WebContext, create_web_app
from warner.web.serve import build_context
from warner.web.sparkline import HEIGHT, PAD, WIDTH, points, sparkline

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 21, 21, 0, tzinfo=BERLIN).timestamp()  # Saturday evening, on the hour
HOUR = 3600

CONFIG_YAML = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
  - name: bergblick
    display_name: Bergblick <Reisen>
bucket: 1m
oncall:
  people:
    - {id: ben, name: Ben Yilmaz}
    - {id: anna, name: Anna Schmidt, language: en}
"""

NEGATIVE = TextScore("de", "negative", 0.9, 0.1, False)
NEUTRAL = TextScore("de", "neutral", 0.1, 0.0, False)


def mentions(brand: str, ago_s: float, count: int, negative: int = 0) -> list[Envelope]:
    """``count`` mentions of ``brand`` created ``ago_s`` seconds before NOW, the first ``negative`` negative."""
    created = datetime.fromtimestamp(NOW - ago_s, UTC).isoformat()
    out = []
    for n in range(count):
        mention = Mention(id=f"{brand}-{ago_s}-{n}", source="webhook", brand=brand, text="Kesselberg Helles",
                          created_at=created, author=f"a{n}")  # fmt: skip
        out.append(Envelope(f"0-{n + 1}", mention, 0, NEGATIVE if n < negative else NEUTRAL))
    return out


async def signed_in(ctx: WebContext, person: str) -> TestClient:
    client = TestClient(TestServer(create_web_app(ctx), host="127.0.0.1"))
    await client.start_server()
    token = await ctx.sessions.issue_link_token(person)
    assert (await client.get(f"/login?token={token}", allow_redirects=False)).status == 303
    return client


@pytest.fixture
async def ctx(redis) -> WebContext:
    """Counters and incidents as the worker leaves them; the console's clock at NOW."""
    config = parse_config(CONFIG_YAML, "test.yaml")
    counter = BucketCounter(redis, config.bucket, config.retention.buckets)
    await counter.add(mentions("kesselberg", 0.5 * HOUR, 6, negative=2))  # 20:30, the last hour
    await counter.add(mentions("kesselberg", 3.5 * HOUR, 2))  # 17:30
    await counter.add(mentions("kesselberg", 2 * 24 * HOUR, 7))  # two days ago: in the week's mean only
    await counter.add(mentions("kesselberg", 8 * 24 * HOUR, 50))  # eight days ago: in neither
    await counter.add(mentions("bergblick", 25 * HOUR, 3))  # yesterday evening: the week's mean only
    store = IncidentStore(redis)
    for incident in (
        Incident("kesselberg", 3, "open", "critical", int(NOW - HOUR), int(NOW)),
        Incident("bergblick", 1, "closed", "info", int(NOW - 26 * HOUR), int(NOW - 20 * HOUR)),
    ):
        async with redis.pipeline(transaction=True) as pipe:
            store.queue_writes(pipe, incident, [])
            await pipe.execute()
        await store.index(incident)
    return build_context(config, redis, clock=ManualClock(NOW))


@pytest.fixture
async def client(ctx) -> AsyncIterator[TestClient]:
    ben = await signed_in(ctx, "ben")  # reads German
    yield ben
    await ben.close()


def rows(html: str) -> dict[str, str]:
    """Each body row of the brands table by its brand label: the cells' text (the sparkline as its label)."""
    table = re.search(r'<table id="brands" class="stack">(.*?)</table>', html, re.S).group(1)
    out = {}
    for row in re.findall(r"<tr>\s*<th scope=\"row\"(.*?)</tr>", table, re.S):
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", "<th" + row, re.S)]  # fmt: skip
        out[cells[0]] = " | ".join(cells[1:])
    return out


async def test_each_brand_shows_the_day_against_the_week_the_negative_share_and_the_open_incident(client) -> None:
    response = await client.get("/brands")
    assert response.status == 200
    html = await response.text()
    table = rows(html)
    assert list(table) == ["Brauerei Kesselberg", "Bergblick &lt;Reisen&gt;"]  # config order, label escaped
    # 8 in the last 24 h; the week: 8 + 7 = 15, 15 / 7 = 2.1 a day; 2 of 8 negative
    assert table["Brauerei Kesselberg"].startswith("8 (3,7×) | 2,1 | 25 % | kesselberg:3 |")
    assert table["Bergblick &lt;Reisen&gt;"].startswith("0 (0,0×) | 0,4 | – | keiner |")  # its incident is closed
    assert '<a href="/incidents/kesselberg:3">kesselberg:3</a>' in html


async def test_the_sparkline_is_an_svg_image_stating_the_hourly_sums(client) -> None:
    html = await (await client.get("/brands")).text()
    spark = re.search(r'<svg class="spark"[^>]*aria-label="([^"]*)"', html)
    assert spark is not None and 'role="img"' in spark.group(0)
    hourly = ["0"] * 24
    hourly[20], hourly[23] = "2", "6"  # 17:00-18:00 and 20:00-21:00
    assert spark.group(1) == (
        f"Erwähnungen je Stunde in den letzten 24 Stunden, älteste zuerst: {', '.join(hourly)}. Summe 8, Höchstwert 6."
    )
    assert " style=" not in html and "<script" not in html


async def test_an_english_reader_gets_english_words_and_numbers(ctx) -> None:
    anna = await signed_in(ctx, "anna")
    try:
        html = await (await anna.get("/brands")).text()
    finally:
        await anna.close()
    assert '<h1 id="brands-title">Brands at a glance</h1>' in html
    assert rows(html)["Brauerei Kesselberg"].startswith("8 (3.7×) | 2.1 | 25% | kesselberg:3 |")
    assert 'aria-label="Mentions per hour in the last 24 hours, oldest first: 0, 0,' in html


def test_sparkline_points_span_the_box_with_the_peak_on_top_and_zero_at_the_bottom() -> None:
    assert points([0, 5, 10]) == [(PAD, HEIGHT - PAD), (WIDTH / 2, HEIGHT / 2), (WIDTH - PAD, PAD)]
    assert points([0, 0, 0]) == [(PAD, HEIGHT - PAD), (WIDTH / 2, HEIGHT - PAD), (WIDTH - PAD, HEIGHT - PAD)]
    assert points([4]) == [(WIDTH / 2, PAD)]
    assert points([]) == []


def test_sparkline_is_an_accessible_svg_with_no_style_and_an_escaped_label() -> None:
    svg = str(sparkline([0, 4, 2], 'Mentions: 0, 4, 2 <b>"x"</b>'))
    assert svg.startswith('<svg class="spark" ') and svg.endswith("</svg>")
    assert 'role="img" aria-label="Mentions: 0, 4, 2 &lt;b&gt;&quot;x&quot;&lt;/b&gt;"' in svg
    assert "<title>Mentions: 0, 4, 2 &lt;b&gt;&quot;x&quot;&lt;/b&gt;</title>" in svg
    assert 'class="spark-line" points="2,30 60,2 118,16"' in svg
    assert "style" not in svg and "<b>" not in svg
    assert "polyline" not in str(sparkline([], "no data")) and 'aria-label="no data"' in str(sparkline([], "no data"))
