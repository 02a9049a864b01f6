"""`warner detect`: the exact output contract, causality, and clear errors."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warner.detect.offline import (
    detect_counts,
    episode_starts,
    infer_bucket,
    read_counts,
)
from warner.scenarios import saturday_storm

START = datetime(2015, 3, 2, tzinfo=UTC)


def series(path: Path, weeks: int = 3, spikes: tuple[int, ...] = (2 * 7 * 288 + 100, 2 * 7 * 288 + 1500)) -> Path:
    """5-minute tweet-like volumes: a daily rhythm around 10 per bucket, plus sustained bursts."""
    rng = random.Random(1)
    lines = ["timestamp,value"]
    for i in range(weeks * 7 * 288):
        t = START + timedelta(minutes=5 * i)
        rate = 10 * (1 + 0.6 * math.sin(2 * math.pi * (t.hour + t.minute / 60) / 24))
        if any(0 <= i - s < 24 for s in spikes):
            rate *= 6
        lines.append(f"{t:%Y-%m-%d %H:%M:%S},{sum(rng.random() < rate / 80 for _ in range(80))}")
    path.write_text("\n".join(lines) + "\n")
    return path


def warner(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warner.cli", *args], capture_output=True, text=True, timeout=120)


def test_prints_one_json_object_per_episode_start(tmp_path):
    result = warner("detect", "--counts", str(series(tmp_path / "c.csv")))
    assert result.returncode == 0, result.stderr
    episodes = [json.loads(line) for line in result.stdout.splitlines()]
    assert episodes, "the two sustained bursts must be found"
    for e in episodes:
        assert set(e) == {"start", "severity", "score"}
        datetime.strptime(e["start"], "%Y-%m-%d %H:%M:%S")
        assert e["severity"] in ("info", "warning", "critical")
        assert isinstance(e["score"], float)
    burst = START + timedelta(minutes=5 * (2 * 7 * 288 + 100))
    starts = [datetime.strptime(e["start"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) for e in episodes]
    # Measured: 8 buckets after the onset of a 6x burst (the goal of 2 buckets is not met yet).
    assert any(timedelta(0) <= s - burst <= timedelta(minutes=45) for s in starts)


def test_truncating_the_input_never_changes_earlier_episodes(tmp_path):
    rows = read_counts(series(tmp_path / "c.csv"))
    bucket = infer_bucket(rows)
    full = [e.as_json() for e in episode_starts(detect_counts(rows, bucket))]
    for cut in (len(rows) // 3, 2 * 7 * 288 + 110, len(rows) - 7):
        truncated = [e.as_json() for e in episode_starts(detect_counts(rows[:cut], bucket))]
        cut_time = datetime.fromtimestamp(rows[cut - 1][0], UTC).strftime("%Y-%m-%d %H:%M:%S")
        assert truncated == [e for e in full if e["start"] <= cut_time]


def test_bucket_size_can_be_given_and_bad_files_get_a_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,count\n2015-03-02 00:00:00,1\n")
    result = warner("detect", "--counts", str(bad))
    assert result.returncode == 2
    assert "header must be 'timestamp,value'" in result.stderr
    bad.write_text("timestamp,value\n2015-03-02 00:00:00,1\n2015-03-02 00:05:00,many\n")
    result = warner("detect", "--counts", str(bad), "--bucket", "5m")
    assert result.returncode == 2
    assert "bad.csv:3: value must be a number" in result.stderr
    result = warner("detect", "--counts", str(bad), "--bucket", "5 fortnights")
    assert result.returncode == 2
    assert "--bucket" in result.stderr


def test_mentions_are_scored_bucketed_and_detected_per_brand(tmp_path):
    scenario = saturday_storm()
    path = tmp_path / "storm.jsonl"
    records = [
        dict(r, brand=r.get("brand") or ("kesselberg" if "esselberg" in r["text"] else "other"))
        for r in scenario.mentions
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = warner("detect", "--mentions", str(path))
    assert result.returncode == 0, result.stderr
    episodes = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["brand"] for e in episodes] == ["kesselberg"]
    start = datetime.strptime(episodes[0]["start"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert timedelta(0) <= start - scenario.storm_start <= timedelta(minutes=20)  # measured: 14 min
