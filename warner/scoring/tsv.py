"""Batch scoring of a TSV stream: same rows, same order, five columns added.

Contract: UTF-8, csv dialect ``excel-tab``, a header row with a ``text`` column; every
other column passes through untouched. Input without tabs and without that header is read
as plain text, one text per line (what people pipe in first), and written with a ``text``
column. Added: ``lang`` (de|en|other), ``sentiment``
(positive|negative|neutral), ``p_negative`` (0..1), ``toxicity`` (0..1), ``offensive``
(true|false). Rows are read, scored and written ``batch_size`` at a time, so memory
stays flat however long the input is. A ``lang`` column already in the input is
passed to the scorer as a hint and replaced by the result.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from itertools import chain, islice
from typing import TextIO

from warner.scoring.base import Scorer

ADDED_COLUMNS = ("lang", "sentiment", "p_negative", "toxicity", "offensive")
DEFAULT_BATCH = 2048


class MissingTextColumnError(ValueError):
    """The input header has no ``text`` column."""


def score_tsv(source: TextIO, sink: TextIO, scorer: Scorer, batch_size: int = DEFAULT_BATCH) -> int:
    """Score every row of ``source`` into ``sink``; returns the number of rows written."""
    csv.field_size_limit(sys.maxsize)
    first = source.readline()
    lines = chain([first], source)
    reader: Iterator[dict[str | None, str]]
    if "\t" not in first and first.strip().lower() != "text":
        reader, fields = ({"text": line.rstrip("\r\n")} for line in lines if line.strip()), ["text"]
    else:
        table = csv.DictReader(lines, dialect="excel-tab")
        fields = list(table.fieldnames or [])
        if "text" not in fields:  # 'Text' or 'TEXT' names the same column
            named = next((f for f in fields if f.strip().lower() == "text"), None)
            fields = ["text" if f == named else f for f in fields]
            table.fieldnames = fields
        reader = table
    if "text" not in fields:
        raise MissingTextColumnError(
            f"the first line is read as a tab-separated header and needs a column named 'text' (found: "
            f"{', '.join(fields) or 'nothing'}); name the column of texts 'text', or give plain text "
            "without tabs, one text per line"
        )
    out_fields = fields + [c for c in ADDED_COLUMNS if c not in fields]
    # rows are keyed str | None (DictReader's restkey); the None key is popped before writing
    writer: csv.DictWriter[str | None] = csv.DictWriter(sink, out_fields, dialect="excel-tab", lineterminator="\n")
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


def _batches(reader: Iterator[dict[str | None, str]], size: int) -> Iterator[list[dict[str | None, str]]]:
    while batch := list(islice(reader, size)):
        yield batch
