"""``warner detect``: the service's detector over a counts CSV or a JSONL file of mentions."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import orjson

from warner.config import Config, DetectConfig, load_config, parse_duration_text


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    detect = subparsers.add_parser(
        "detect",
        help="print the storm episodes the detector finds in a file (one JSON object per line)",
        description="Runs the same detector and defaults as the service. Prints one line per episode start: "
        '{"start": "YYYY-MM-DD HH:MM:SS", "severity": "warning", "score": 12.3}',
    )
    source = detect.add_mutually_exclusive_group(required=True)
    source.add_argument("--counts", type=Path, help="CSV with header timestamp,value (UTC, regular buckets)")
    source.add_argument("--mentions", type=Path, help="JSONL of mentions (scored with the shipped models)")
    detect.add_argument(
        "--bucket",
        type=parse_duration_text,
        help="bucket width, e.g. 5m (default: inferred from --counts; config for mentions)",
    )
    detect.set_defaults(func=run_detect)


def _settings(args: argparse.Namespace) -> tuple[Config | None, DetectConfig]:
    """The detector settings of ``--config`` when given, else the defaults (never per file)."""
    if args.config:
        config = load_config(args.config)
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
        episode_starts,
        infer_bucket,
        read_counts,
    )

    rows = read_counts(path)
    for start in episode_starts(detect_counts(rows, bucket or infer_bucket(rows), settings)):
        yield start.as_json()


def _from_mentions(
    path: Path, bucket: timedelta | None, config: Config | None, settings: DetectConfig
) -> Iterator[dict[str, object]]:
    from warner.detect.detector import Detector
    from warner.detect.offline import CountsError, EpisodeStart, episode_starts, mention_observations
    from warner.ingest.brands import BrandMatcher
    from warner.mention import Mention
    from warner.scoring import default_scorer

    width = bucket or (config.bucket if config else timedelta(minutes=1))
    matcher = BrandMatcher(config.brands) if config else None
    mentions: list[Mention] = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                mentions.append(Mention.model_validate_json(line))
            except ValueError as exc:
                raise CountsError(f"{path}:{number}: not a valid mention: {str(exc).splitlines()[0]}") from None
    scores = default_scorer().score([m.text for m in mentions])
    rows = []
    for m, s in zip(mentions, scores, strict=True):
        brand = m.brand or (matcher.first(m.text) if matcher else None) or "_all"
        author = m.author or f"~{m.key}"
        rows.append((brand, int(m.created_at.timestamp()), s.sentiment == "negative", s.offensive, m.reach, author))
    starts: list[EpisodeStart] = []
    for brand, observations in mention_observations(rows, width).items():
        b = config.brand(brand) if config else None
        detector = Detector(settings, width, budget_per_week=b.alert_budget_per_week if b else None)
        state = detector.new_state(b.expected_per_day if b else None)
        starts += episode_starts((d for o in observations for d in detector.observe(state, o)), brand)
    for start in sorted(starts, key=lambda s: (s.start, s.brand or "")):
        yield start.as_json()
