"""Turning a request body into validated mentions, or into a precise list of what is wrong.

A body is one JSON object, a JSON array of objects, or NDJSON (one object per line).
Every error names where it is — ``line`` for NDJSON, ``index`` for an array — and which
field, so the sender can fix exactly that record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from warner.mention import Mention

MAX_REPORTED_ERRORS = 100

JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"})


@dataclass(frozen=True, slots=True)
class RecordError:
    """One problem with one record of a request."""

    message: str
    field: str | None = None
    index: int | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("line", self.line), ("index", self.index), ("field", self.field),
                                  ("message", self.message)) if v is not None}


class InvalidBody(Exception):
    """The body cannot be accepted; ``errors`` says why, record by record."""

    def __init__(self, errors: list[RecordError], total: int | None = None) -> None:
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total = total if total is not None else len(errors)
        super().__init__(f"{self.total} invalid record(s)")


def parse_body(
    body: bytes, content_type: str, max_records: int, fill: Callable[[list[dict[str, Any]]], None] | None = None
) -> list[Mention]:
    """Parse and validate a whole body; raise InvalidBody listing every bad record.

    ``fill`` may add defaults (source, brand) to the records (the JSON objects among them)
    before they are validated: cheaper than copying every validated mention to change two fields.
    """
    if content_type in NDJSON_TYPES:
        records = list(_ndjson_records(body))
    else:
        records = _json_records(body)
    if len(records) > max_records:
        raise InvalidBody([RecordError(f"too many records: {len(records)} > {max_records} per request")])
    if fill is not None:
        fill([obj for _, _, obj in records if isinstance(obj, dict)])
    mentions: list[Mention] = []
    errors: list[RecordError] = []
    for index, line, obj in records:
        if isinstance(obj, RecordError):
            errors.append(obj)
            continue
        try:
            mentions.append(validate_record(obj))
        except ValidationError as exc:
            errors.extend(field_errors(exc, index, line))
    if errors:
        raise InvalidBody(errors)
    if not mentions:
        raise InvalidBody([RecordError("the body holds no mentions")])
    return mentions


def validate_record(obj: Any) -> Mention:
    if not isinstance(obj, dict):
        raise ValidationError.from_exception_data(
            "Mention", [{"type": "model_type", "loc": (), "input": obj, "ctx": {"class_name": "Mention"}}]
        )
    return Mention.model_validate(obj)


def _json_records(body: bytes) -> list[tuple[int | None, int | None, Any]]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        line = body[: exc.pos].count(b"\n") + 1 if exc.pos is not None else None
        raise InvalidBody([RecordError(f"malformed JSON: {exc.msg}", line=line)]) from None
    if isinstance(data, dict):
        return [(None, None, data)]
    if isinstance(data, list):
        return [(i, None, item) for i, item in enumerate(data)]
    raise InvalidBody([RecordError("the body must be a JSON object or an array of objects")])


def _ndjson_records(body: bytes) -> Iterator[tuple[int | None, int | None, Any]]:
    for number, raw in enumerate(body.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            yield None, number, orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield None, number, RecordError(f"malformed JSON: {exc.msg}", line=number)


def field_errors(exc: ValidationError, index: int | None, line: int | None) -> list[RecordError]:
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"]) or None
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "model_type":
            message = "each record must be a JSON object"
        elif err["type"] == "extra_forbidden":
            message = "unknown field (put source-specific data into 'extra')"
        out.append(RecordError(message, field=field, index=index, line=line))
    return out
