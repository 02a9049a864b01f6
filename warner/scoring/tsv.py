"""Batch scoring of a TSV stream: same rows, same order, five columns added.

Contract: UTF-8, csv dialect ``excel-tab``, a header row with a ``text`` column; every
other column passes through untouched. Added: ``lang`` (de|en|other), ``sentiment``
(positive|negative|neutral), ``p_negative`` (0..1), ``toxicity`` (0..1), ``offensive``
(true|false). Rows are read, scored and written ``batch_size`` at a time, so memory
stays flat however long the input is. A ``lang`` column already in the input is
passed to the scorer as a hint and replaced by the result.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from itertools import islice
from typing import TextIO

from warner.scoring.base import Scorer

ADDED_COLUMNS = ("lang", "sentiment", "p_negative", "toxicity", "offensive")
DEFAULT_BATCH = 2048


class MissingTextColumnError(ValueError):
    """The input header has no ``text`` column."""


def score_tsv(source: TextIO, sink: TextIO, scorer: Scorer, batch_size: int = DEFAULT_BATCH) -> int:
    """Score every row of ``source`` into ``sink``; returns the number of rows written."""
    csv.field_size_limit(sys.maxsize)
    reader = csv.DictReader(source, dialect="excel-tab")
    fields = list(reader.fieldnames or [])
    if "text" not in fields:
        raise MissingTextColumnError(f"input header needs a 'text' column, got {fields}")
    out_fields = fields + [c for c in ADDED_COLUMNS if c not in fields]
    writer = csv.DictWriter(sink, out_fields, dialect="excel-tab", lineterminator="\n")
    writer.writeheader()
    has_hint = "lang" in fields
    written = 0
    for batch in _batches(reader, batch_size):
        texts = [row.get("text") or "" for row in batch]
        hints = [row.get("lang") or None for row in batch] if has_hint else None
        for row, score in zip(batch, scorer.score(texts, hints), strict=True):
            row.pop(None, None)  # surplus cells of a ragged row have no header: dropped
            row.update(
                lang=score.lang,
                sentiment=score.sentiment,
                p_negative=f"{score.p_negative:.4f}",
                toxicity=f"{score.toxicity:.4f}",
                offensive="true" if score.offensive else "false",
            )
            writer.writerow(row)
        written += len(batch)
        sink.flush()
    return written


def _batches(reader: Iterator[dict[str | None, str]], size: int) -> Iterator[list[dict]]:
    while batch := list(islice(reader, size)):
        yield batch
