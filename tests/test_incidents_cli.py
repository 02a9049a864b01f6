"""`warner incidents list|show`: the console's incidents on the command line, read from the running Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from warner.cli import main
from warner.core import ManualClock
from warner.incidents.lifecycle import IncidentLifecycle
from warner.incidents.model import Incident, IncidentEvent, TopMention
from warner.incidents.store import IncidentStore
from warner.store.connection import connect

CONFIG = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
  - name: bergblick
oncall:
  people:
    - {id: anna, name: Anna}
"""


async def write(redis_url: str) -> float:
    """Three incidents as the detect stage and the bot write them; returns when Anna acknowledged."""
    redis = connect(redis_url)
    try:
        await redis.flushall()
        now = int(time.time())
        store = IncidentStore(redis)
        incidents = [
            Incident("kesselberg", 1, "closed", "info", now - 9 * 86400, now - 9 * 86400 + 900, mentions=40,
                     expected=8.0, negatives=4),
            Incident("kesselberg", 2, "open", "critical", now - 1800, now, mentions=480, expected=20.0, negatives=120,
                     top=[TopMention("webhook:1", "Nie wieder Kesselberger!", now - 1700, 52000, author="bierfan",
                                     url="https://example.org/p/1")]),
            Incident("bergblick", 1, "open", "warning", now - 600, now, mentions=120, expected=10.0, negatives=60),
        ]
        for incident in incidents:
            pipe = redis.pipeline(transaction=True)
            store.queue_writes(pipe, incident, [IncidentEvent("opened", incident.started_at, incident)])
            await pipe.execute()
            await store.index(incident)
        clock = ManualClock(now - 300)
        lifecycle = IncidentLifecycle(redis, clock)
        for incident in incidents:
            await lifecycle.apply(incident.id, "open", via="detector")
        await lifecycle.apply("kesselberg:2", "ack", "anna", "telegram")
        await lifecycle.apply("kesselberg:1", "resolve", "anna", "web")
        return clock.now()
    finally:
        await redis.aclose()


@pytest.fixture
def warner(
    redis_url: str,
    config_file: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """`warner --config … ARGS` in-process against the fixture Redis (as if `warner run` were using it)."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    path = config_file(CONFIG)

    def run(*args: str) -> int:
        capsys.readouterr()  # only what this command prints
        return main(["--config", str(path), *args])

    return run


def test_list_as_json_gives_the_incidents_newest_first_with_their_response(
    warner: Any, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    acked_at = asyncio.run(write(redis_url))
    assert warner("incidents", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [i["id"] for i in listed] == ["bergblick:1", "kesselberg:2", "kesselberg:1"]
    kesselberg = listed[1]
    assert (kesselberg["status"], kesselberg["response"]) == ("open", "acknowledged")
    assert kesselberg["severity"] == "critical"
    assert (kesselberg["mentions"], kesselberg["expected"], kesselberg["negative_share"]) == (480, 20.0, 0.25)
    assert (kesselberg["acknowledged_by"], kesselberg["acknowledged_at"]) == ("anna", pytest.approx(acked_at))
    assert listed[2]["response"] == "resolved" and listed[0]["response"] == "open"


def test_list_filters_open_and_brand_like_the_console(
    warner: Any, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(write(redis_url))
    assert warner("incidents", "list", "--open", "--json") == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)] == ["bergblick:1", "kesselberg:2"]
    assert warner("incidents", "list", "--brand", "kesselberg", "--json") == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)] == ["kesselberg:2", "kesselberg:1"]
    assert warner("incidents", "list", "--brand", "nosuch") == 2
    assert "no brand 'nosuch'" in capsys.readouterr().err


def test_list_prints_a_table(warner: Any, redis_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(write(redis_url))
    assert warner("incidents", "list") == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "kesselberg:" in line or "bergblick:" in line]
    assert [line.split()[1] for line in lines] == ["bergblick:1", "kesselberg:2", "kesselberg:1"]
    assert "Brauerei Kesselberg" in out and "open · acknowledged" in out and "480 / 20 (24.0x)" in out
    assert "open · unacknowledged" in out and "closed · resolved" in out
    assert "Anna, " in out and "25%" in out


def test_show_prints_numbers_timeline_top_mentions_and_response(
    warner: Any, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(write(redis_url))
    assert warner("incidents", "show", "kesselberg:2") == 0
    out = capsys.readouterr().out
    assert "kesselberg:2 · Brauerei Kesselberg · open · critical" in out
    assert "480 mentions against 20 expected (24.0x), 25% negative" in out
    assert "response: Acknowledged by Anna," in out
    assert "opened" in out and "response: acknowledged" in out  # the timeline: the detector's, then Anna's
    assert "Nie wieder Kesselberger!" in out and "52000" in out and "bierfan" in out


def test_show_as_json_and_unknown_ids(warner: Any, redis_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(write(redis_url))
    assert warner("incidents", "show", "kesselberg:2", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == "kesselberg:2" and shown["response"]["acknowledged_by"] == "anna"
    assert [e["kind"] for e in shown["timeline"]] == ["opened", "response"]
    assert warner("incidents", "show", "kesselberg:99") == 1
    assert "no incident kesselberg:99" in capsys.readouterr().err
    assert warner("incidents", "show", "kesselberg") == 2
