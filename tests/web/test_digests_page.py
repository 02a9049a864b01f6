"""/digests: the weekly reports the digest saved, newest first, each served as saved; nothing else on disk."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from digest.week_sample import realistic_week
from yarl import URL

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.digest.chart import render_chart
from warner.digest.report import save_reports
from warner.web.app import create_web_app
from warner.web.serve import build_context

CONFIG_YAML = """
brands:
  - name: kesselberg
oncall:
  people:
    - {id: ben, name: Ben Yilmaz}
    - {id: anna, name: Anna Schmidt, language: en}
digest:
  out_dir: OUT_DIR
"""


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "digests"


async def console(redis, out_dir: Path, person: str = "ben") -> TestClient:
    config = parse_config(CONFIG_YAML.replace("OUT_DIR", str(out_dir)), "test.yaml")
    ctx = build_context(config, redis, clock=ManualClock(1_795_000_000))
    client = TestClient(TestServer(create_web_app(ctx), host="127.0.0.1"))
    await client.start_server()
    token = await ctx.sessions.issue_link_token(person)
    assert (await client.get(f"/login?token={token}", allow_redirects=False)).status == 303
    return client


@pytest.fixture(scope="module")
def png() -> bytes:
    return render_chart(realistic_week())  # drawn once: matplotlib takes a while


@pytest.fixture
async def saved(redis, out_dir: Path, png: bytes) -> AsyncIterator[tuple[TestClient, bytes]]:
    """Weeks 46 (without a chart) and 47 saved by the digest's own writer; a secret file beside the folder."""
    week = realistic_week()
    save_reports(week, out_dir, png)
    save_reports(dataclasses.replace(week, week="2026-W46"), out_dir, None)
    (out_dir / "notes.html").write_text("not a digest")
    (out_dir.parent / "secret.html").write_text("secret")
    client = await console(redis, out_dir)
    yield client, png
    await client.close()


async def test_lists_the_saved_weeks_newest_first_with_their_files(saved) -> None:
    client, _ = saved
    response = await client.get("/digests")
    assert response.status == 200
    html = await response.text()
    links = re.findall(r'<a href="(/digests/[^"]+)">([^<]*)', html)
    assert links == [
        ("/digests/2026-W47", "KW 47/2026"),
        ("/digests/2026-W47/chart.png", "Diagramm (PNG)"),
        ("/digests/2026-W47/report.md", "Markdown"),
        ("/digests/2026-W46", "KW 46/2026"),
        ("/digests/2026-W46/report.md", "Markdown"),
    ]
    assert "16.11.2026 bis 22.11.2026" in html and "notes" not in html


async def test_serves_the_saved_report_with_its_chart_and_a_csp_that_admits_only_its_own_style(saved, out_dir) -> None:
    client, png = saved
    response = await client.get("/digests/2026-W47")
    assert response.status == 200 and response.content_type == "text/html"
    body = await response.read()
    assert body == (out_dir / "digest-2026-W47.html").read_bytes()
    assert "Wochenbericht KW 47/2026" in body.decode()
    style = re.search(rb"<style>(.*?)</style>", body, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style).digest()).decode()
    csp = response.headers["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}';" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
    chart = await client.get("/digests/2026-W47/chart.png")
    assert chart.status == 200 and chart.content_type == "image/png" and await chart.read() == png
    markdown = await client.get("/digests/2026-W46/report.md")
    assert (await markdown.text()).startswith("# Wochenbericht KW 46/2026")


@pytest.mark.parametrize(
    "path",
    [
        "/digests/../etc",
        "/digests/..%2Fsecret",
        "/digests/%2E%2E%2Fsecret.html",
        "/digests/..%2F..%2Fsecret",
        "/digests/2026-W47%2F..%2F..%2Fsecret",
        "/digests/2026-W4",
        "/digests/2026-W470",
        "/digests/2026-w47",
        "/digests/%EF%BC%92026-W47",  # a full-width digit
        "/digests/2026-W47%0A",
        "/digests/2026-W45",  # well-formed, not saved
        "/digests/2026-W46/chart.png",  # saved without a chart
        "/digests/notes",
    ],
)
async def test_anything_but_a_saved_week_is_not_found(saved, path) -> None:
    client, _ = saved
    response = await client.session.get(URL(str(client.make_url("")) + path, encoded=True))  # sent as written
    assert response.status == 404
    assert "secret" not in await response.text()


async def test_without_a_saved_digest_it_says_so_and_how_to_make_one(redis, out_dir) -> None:
    for person, words in (
        ("ben", ["Noch kein Wochenbericht gespeichert.", "jede Woche am Montag um 08:00 (Europe/Berlin)",
                 "warner digest --send"]),
        ("anna", ["No weekly digest saved yet.", "every Monday at 08:00 (Europe/Berlin)", "warner digest --send"]),
    ):  # fmt: skip
        client = await console(redis, out_dir, person)
        try:
            response = await client.get("/digests")
            html = await response.text()
        finally:
            await client.close()
        assert response.status == 200
        assert all(w in html for w in words), html
        assert not out_dir.exists()  # looking does not create the folder
