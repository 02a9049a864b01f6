"""`warner detect`: the exact output contract (episode starts and severity rises), causality, and clear errors."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warner.core import LEVELS
from warner.detect.config import DetectConfig
from warner.detect.offline import (
    detect_counts,
    episode_starts,
    infer_bucket,
    read_counts,
)
from warner.scenarios import saturday_storm

START = datetime(2015, 3, 2, tzinfo=UTC)
TIME = "%Y-%m-%d %H:%M:%S"
# Segments of (buckets, factor from, factor to) over a background of 5 per 5 minutes.
RISE = ((24, 1, 300), (36, 300, 300))  # a two-hour ramp to 300x, held for three hours
# A 30x storm (warning), quiet until just after its episode ended (measured: 3h40 after the
# storm), then a 300x storm within merge_gap: the first episode resumes and turns critical.
RESUME = ((12, 1, 30), (12, 30, 30), (50, 1, 1), (24, 1, 300), (24, 300, 300))


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


def poisson(rng: random.Random, rate: float) -> int:
    """A Poisson draw (Knuth), in parts of at most 20 so that exp(-rate) does not underflow."""
    n = 0
    while rate > 0:
        part, rate = min(rate, 20.0), rate - min(rate, 20.0)
        limit, p = math.exp(-part), rng.random()
        while p > limit:
            n += 1
            p *= rng.random()
    return n


def storm(path: Path, segments: tuple[tuple[int, float, float], ...], days: int = 4) -> Path:
    """5-minute counts: ``days`` of Poisson background at 5 a bucket, then each segment as a
    linear ramp of the rate's factor, then five quiet hours."""
    rng = random.Random(1)
    factors = [1.0] * (days * 288)
    for n, a, b in segments:
        factors += [a + (b - a) * k / max(1, n - 1) for k in range(n)]
    factors += [1.0] * 60
    lines = ["timestamp,value"]
    for i, f in enumerate(factors):
        lines.append(f"{START + timedelta(minutes=5 * i):{TIME}},{poisson(rng, 5 * f)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def parse(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def time_of(line: dict[str, object]) -> str:
    """When a line happened: a change's "at", a start's "start" (both sort as text)."""
    return str(line.get("at", line["start"]))


def warner(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warner.cli", *args], check=False, capture_output=True, text=True, timeout=120
    )


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
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    episodes = [e for e in lines if "at" not in e]
    assert [e["brand"] for e in episodes] == ["kesselberg"]
    assert set(episodes[0]) == {"start", "severity", "score", "brand"}
    start = datetime.strptime(episodes[0]["start"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert timedelta(0) <= start - scenario.storm_start <= timedelta(minutes=20)  # measured: 14 min
    for change in (e for e in lines if "at" in e):  # severity rises, if any, carry the brand too
        assert set(change) == {"at", "start", "severity", "score", "brand"}
        assert (change["brand"], change["start"]) == ("kesselberg", episodes[0]["start"])
        assert change["at"] > change["start"]
    assert [time_of(e) for e in lines] == sorted(time_of(e) for e in lines)


@pytest.fixture(scope="module")
def rise(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    return parse(warner("detect", "--counts", str(storm(tmp_path_factory.mktemp("rise") / "c.csv", RISE))))


def test_a_rising_storm_prints_its_start_then_each_rise_of_its_severity(rise):
    first, *changes = rise
    assert "at" not in first
    assert changes, "a storm that grows from 1x to 300x must escalate"
    previous = first
    for change in changes:
        assert change["start"] == first["start"]
        assert change["at"] > time_of(previous)
        assert LEVELS.index(change["severity"]) > LEVELS.index(previous["severity"])
        previous = change
    # Counts alone have no sentiment: the index is log2(velocity), critical from 64x (and
    # 20 authors, here every mention). Measured: info at 00:15, warning 00:20, critical 01:15.
    assert previous["severity"] == "critical"


def test_start_lines_keep_exactly_their_three_keys(rise):
    starts = [line for line in rise if "at" not in line]
    changes = [line for line in rise if "at" in line]
    assert starts and changes
    for line in starts:
        assert set(line) == {"start", "severity", "score"}
    for line in changes:
        assert set(line) == {"at", "start", "severity", "score"}
    for line in rise:
        for key in ("at", "start"):
            if key in line:
                datetime.strptime(str(line[key]), TIME)
        assert line["severity"] in LEVELS
        assert isinstance(line["score"], float)


def test_no_change_line_repeats_the_severity_before_it(tmp_path):
    path = storm(tmp_path / "c.csv", RESUME)
    config = tmp_path / "warner.yaml"
    config.write_text("detect:\n  novelty_rate: null\n")  # else habituation holds the resume back
    rows = read_counts(path)
    decisions = list(detect_counts(rows, infer_bucket(rows), DetectConfig(novelty_rate=None)))
    # The case to get right: the second storm resumes the first episode (merge_gap), which
    # already has a severity — the resume itself must not print that severity again.
    assert any(d.episode is not None and d.episode.resumed for d in decisions)

    lines = parse(warner("--config", str(config), "detect", "--counts", str(path)))
    assert len([line for line in lines if "at" not in line]) == 1, "the second storm continues the first episode"
    last: dict[object, object] = {}
    for line in lines:
        assert "at" not in line or line["start"] in last, "a change follows its episode's start"
        assert last.get(line["start"]) != line["severity"]
        last[line["start"]] = line["severity"]
    assert lines[-1]["severity"] == "critical"


def test_truncating_the_input_never_changes_earlier_lines(tmp_path):
    path = storm(tmp_path / "c.csv", RESUME)
    rows = path.read_text().splitlines()
    full = parse(warner("detect", "--counts", str(path)))
    storm_row = 1 + 4 * 288
    # In the first storm, after its episode ended, in the second before and after it turned critical.
    cuts = (storm_row + 6, storm_row + 12, storm_row + 24 + 40, storm_row + 24 + 50 + 10, storm_row + 24 + 50 + 30)
    partial = 0
    for cut in cuts:
        short = tmp_path / f"cut{cut}.csv"
        short.write_text("\n".join(rows[:cut]) + "\n")
        cut_time = rows[cut - 1].split(",")[0]
        expected = [line for line in full if time_of(line) <= cut_time]
        assert parse(warner("detect", "--counts", str(short))) == expected, cut_time
        partial += 0 < len(expected) < len(full)
    assert partial >= 2, "the cuts must fall between lines"
