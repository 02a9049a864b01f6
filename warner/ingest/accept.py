"""Accepting validated mentions: fill in source and brand, then append atomically.

The one path by which mentions enter warner — the HTTP API and ``warner replay`` both use it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from warner.ingest.brands import BrandMatcher
from warner.ingest.config import IngestSettings
from warner.ingest.parse import InvalidBody, RecordError
from warner.mention import Mention
from warner.store import keys
from warner.store.streams import AppendResult, MentionStream


def defaults(source: str, matcher: BrandMatcher) -> Callable[[list[dict[str, Any]]], None]:
    """What ``resolve`` fills in, for records not yet validated (``parse_body``'s ``fill``).

    A record's ``text``, when it is a string, is the text the validated mention will have
    (``Mention`` keeps it as sent), so the brand matched here is the brand ``resolve`` would match.
    """

    def fill(records: list[dict[str, Any]]) -> None:
        unbranded = []
        for record in records:
            if record.get("source") is None:
                record["source"] = source
            if record.get("brand") is None and isinstance(record.get("text"), str):
                unbranded.append(record)
        for record, matched in zip(unbranded, matcher.first_of([r["text"] for r in unbranded]), strict=True):
            if matched:
                record["brand"] = matched

    return fill


def resolve(
    mentions: Sequence[Mention],
    source: str,
    config: IngestSettings,
    matcher: BrandMatcher,
    *,
    lines: Sequence[int] | None = None,
    matched: bool = False,
) -> list[Mention]:
    """Set a missing ``source`` and ``brand`` (matched from the text); a named brand must exist.

    ``matched``: the records were filled by ``defaults`` already; a mention still without a
    brand names none, and is not matched again.
    """
    out: list[Mention] = []
    errors: list[RecordError] = []
    known = {brand.name for brand in config.brands}
    unbranded = [] if matched else [m for m in mentions if m.brand is None]
    found = dict(zip(map(id, unbranded), matcher.first_of([m.text for m in unbranded]), strict=True))
    for index, mention in enumerate(mentions):
        updates: dict[str, str] = {}
        if mention.source is None:
            updates["source"] = source
        if mention.brand is None:
            brand = found.get(id(mention))
            if brand:
                updates["brand"] = brand
        elif mention.brand not in known:
            where = {"line": lines[index]} if lines else {"index": index}
            errors.append(RecordError(f"unknown brand {mention.brand!r}", field="brand", **where))
        out.append(mention.model_copy(update=updates) if updates else mention)
    if errors:
        raise InvalidBody(errors)
    return out


async def append(
    stream: MentionStream, mentions: Sequence[Mention], config: IngestSettings, received_ms: int
) -> AppendResult:
    """All or nothing: deduplicate by (source, id) and add the new ones to the stream."""
    return await stream.append(
        [(keys.seen(m.source or "", m.id), m.model_dump_json(exclude_none=True).encode()) for m in mentions],
        received_ms=received_ms,
        dedupe_ttl_ms=int(config.retention.dedupe.total_seconds() * 1000),
        max_backlog=config.ingest.max_backlog,
    )
