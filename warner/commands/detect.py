"""``warner detect``: the service's detector over a counts CSV or a JSONL file of mentions."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from warner.config.root import Config
    from warner.detect.config import DetectConfig


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    detect = subparsers.add_parser(
        "detect",
        help="print the storm episodes the detector finds in a file, and each rise of their severity "
        "(one JSON object per line)",
        description="Runs the same detector and defaults as the service. Prints one JSON line, in time order\n"
        "(UTC), per episode start (score: the evidence that opened it):\n"
        '  {"start": "YYYY-MM-DD HH:MM:SS", "severity": "warning", "score": 12.3}\n'
        "and per rise of an episode's severity (at: the bucket that raised it; score: the\n"
        "episode's severity index then; start: the episode's start, also after a resume):\n"
        '  {"at": "YYYY-MM-DD HH:MM:SS", "start": "YYYY-MM-DD HH:MM:SS", "severity": "critical", "score": 9.1}\n'
        'With --mentions, every line also has "brand".',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = detect.add_mutually_exclusive_group(required=True)
    source.add_argument("--counts", type=Path, help="CSV with header timestamp,value (UTC, regular buckets)")
    source.add_argument("--mentions", type=Path, help="JSONL of mentions (scored with the shipped models)")
    detect.add_argument(
        "--bucket",
        type=_duration,
        help="bucket width, e.g. 5m (default: inferred from --counts; config for mentions)",
    )
    detect.set_defaults(func=run_detect)


def _duration(text: str) -> timedelta:
    from warner.config.common import parse_duration_text  # pydantic: loaded when the option is used

    return parse_duration_text(text)


def _settings(args: argparse.Namespace) -> tuple[Config | None, DetectConfig]:
    """The detector settings of ``--config`` when given, else the defaults (never per file)."""
    from warner.commands.loading import load_for_command
    from warner.detect.config import DetectConfig

    if args.config:
        config = load_for_command(args)
        return config, config.detect
    return None, DetectConfig()


def run_detect(args: argparse.Namespace) -> int:
    from warner.detect.offline import CountsError

    config, settings = _settings(args)
    bucket: timedelta | None = args.bucket
    try:
        lines = (
            _from_counts(args.counts, bucket, settings)
            if args.counts
            else _from_mentions(args.mentions, bucket, config, settings)
        )
        out = sys.stdout.buffer
        for line in lines:
            out.write(orjson.dumps(line) + b"\n")
            out.flush()
    except BrokenPipeError:  # `warner detect ... | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except (CountsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _from_counts(path: Path, bucket: timedelta | None, settings: DetectConfig) -> Iterator[dict[str, object]]:
    from warner.detect.offline import (
        detect_counts,
        episode_events,
        infer_bucket,
        read_counts,
    )

    rows = read_counts(path)
    for event in episode_events(detect_counts(rows, bucket or infer_bucket(rows), settings)):
        yield event.as_json()


def _from_mentions(
    path: Path, bucket: timedelta | None, config: Config | None, settings: DetectConfig
) -> Iterator[dict[str, object]]:
    from warner.detect.offline import detect_mentions, episode_events, event_time, read_mentions

    width = bucket or (config.bucket if config else timedelta(minutes=1))
    decisions = detect_mentions(read_mentions(path), width, config, settings)
    events = [event for brand, ds in decisions.items() for event in episode_events(ds, brand)]
    # Stable: within a brand, lines keep the detector's order.
    for event in sorted(events, key=lambda e: (event_time(e), e.brand or "")):
        yield event.as_json()
