"""Replaying recorded mentions (JSONL, one mention per line) into the pipeline.

The file is validated completely before anything is accepted, so a bad line 9,000 does not
leave half a replay behind. With ``speed`` the original gaps between ``created_at`` times
are kept, divided by ``speed``; without it, mentions go in as fast as the store takes them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from pydantic import ValidationError

from warner.config.root import Config
from warner.ingest.accept import append, resolve
from warner.ingest.brands import BrandMatcher
from warner.ingest.parse import InvalidBody, RecordError, field_errors, validate_record
from warner.mention import Mention
from warner.store.streams import MentionStream

CHUNK = 500


@dataclass(frozen=True, slots=True)
class ReplayResult:
    accepted: int
    duplicates: int
    seconds: float


def read_jsonl(path: Path, default_source: str, config: Config) -> list[Mention]:
    """Read and validate a whole file; raise InvalidBody with line numbers."""
    mentions: list[Mention] = []
    lines: list[int] = []
    errors: list[RecordError] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                mentions.append(validate_record(orjson.loads(raw)))
                lines.append(number)
            except orjson.JSONDecodeError as exc:
                errors.append(RecordError(f"malformed JSON: {exc.msg}", line=number))
            except ValidationError as exc:
                errors.extend(field_errors(exc, None, number))
    if errors:
        raise InvalidBody(errors)
    return resolve(mentions, default_source, config, BrandMatcher(config.brands), lines=lines)


def paced_chunks(
    mentions: Sequence[Mention], speed: float | None, size: int = CHUNK
) -> Iterable[tuple[float, list[Mention]]]:
    """Yield (seconds after start to send, chunk); chunks never span a pause."""
    if not mentions:
        return
    first = mentions[0].created_at
    chunk: list[Mention] = []
    due = 0.0
    for mention in mentions:
        at = max(0.0, (mention.created_at - first).total_seconds() / speed) if speed else 0.0
        if chunk and (len(chunk) >= size or at - due > 0.05):
            yield due, chunk
            chunk = []
        if not chunk:
            due = at
        chunk.append(mention)
    if chunk:
        yield due, chunk


async def replay(
    stream: MentionStream,
    mentions: Sequence[Mention],
    config: Config,
    *,
    speed: float | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Append ``mentions`` in order, paced by ``speed``, waiting out backpressure."""
    started = time.monotonic()
    accepted = duplicates = 0
    retry = config.ingest.retry_after.total_seconds()
    for due, chunk in paced_chunks(mentions, speed):
        delay = started + due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        while True:
            result = await append(stream, chunk, config, int(time.time() * 1000))
            if not result.backlog_full:
                break
            await asyncio.sleep(retry)
        accepted += result.accepted
        duplicates += result.duplicates
        if on_progress:
            on_progress(len(chunk))
    return ReplayResult(accepted, duplicates, time.monotonic() - started)
