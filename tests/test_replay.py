"""Replay pacing and validation, without the CLI around it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from warner.ingest.parse import InvalidBody, validate_record
from warner.metrics import Metrics
from warner.replay import paced_chunks, read_jsonl, replay
from warner.scoring.lexicon import LexiconScorer
from warner.service import build_worker
from warner.store.streams import MentionStream

T0 = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)


def mention(seconds: float, n: int):
    return validate_record(
        {"id": str(n), "text": "Kesselberg", "created_at": (T0 + timedelta(seconds=seconds)).isoformat()}
    )


def test_speed_keeps_the_original_gaps_divided_by_the_factor() -> None:
    mentions = [mention(0, 0), mention(0, 1), mention(60, 2), mention(120, 3)]
    assert [(due, [m.id for m in chunk]) for due, chunk in paced_chunks(mentions, speed=60)] == [
        (0.0, ["0", "1"]),
        (1.0, ["2"]),
        (2.0, ["3"]),
    ]


def test_without_speed_everything_is_due_at_once_in_chunks() -> None:
    mentions = [mention(i, i) for i in range(5)]
    assert [(due, len(chunk)) for due, chunk in paced_chunks(mentions, speed=None, size=2)] == [
        (0.0, 2),
        (0.0, 2),
        (0.0, 1),
    ]


async def test_paced_replay_takes_the_scaled_time_and_counts_everything(redis, config, tmp_path) -> None:
    path = tmp_path / "m.jsonl"
    rows = [
        {"id": str(i), "text": "Kesselberg", "created_at": (T0 + timedelta(seconds=30 * i)).isoformat()}
        for i in range(5)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    mentions = read_jsonl(path, "replay", config)
    assert {m.source for m in mentions} == {"replay"} and {m.brand for m in mentions} == {"kesselberg"}
    started = time.monotonic()
    result = await replay(MentionStream(redis), mentions, config, speed=200)  # 120 s of data in 0.6 s
    assert 0.55 <= time.monotonic() - started < 3
    assert (result.accepted, result.duplicates) == (5, 0)
    assert await build_worker(config, redis, Metrics(), LexiconScorer()).drain() == 5


def test_unknown_brand_in_a_file_names_the_line(config, tmp_path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('\n{"id": "1", "text": "x", "brand": "acme", "created_at": "2026-11-21T19:00:00Z"}\n')
    with pytest.raises(InvalidBody) as caught:
        read_jsonl(path, "replay", config)
    assert caught.value.errors[0].line == 2 and caught.value.errors[0].field == "brand"
