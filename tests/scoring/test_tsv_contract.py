"""The batch scoring contract: same rows, same order, pass-through columns, five added."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from warner.core import TextScore
from warner.scoring.models import load_scorer
from warner.scoring.tsv import ADDED_COLUMNS, MissingTextColumnError, score_tsv

MODELS = Path(__file__).resolve().parents[2] / "models"


class CountingScorer:
    """Scores by text length and records batch sizes (a double for the contract)."""

    name = "counting"

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.hints: list[str | None] = []

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[TextScore]:
        self.batches.append(len(texts))
        self.hints += list(langs) if langs is not None else [None] * len(texts)
        return [TextScore("de", "neutral", len(t) / 100, 0.0, len(t) == 0) for t in texts]


def _run(tsv: str, scorer: object, batch_size: int = 2048) -> list[dict[str, str]]:
    out = io.StringIO()
    score_tsv(io.StringIO(tsv), out, scorer, batch_size)  # type: ignore[arg-type]
    out.seek(0)
    return list(csv.DictReader(out, dialect="excel-tab"))


def test_rows_keep_order_and_pass_through_columns_in_batches() -> None:
    lines = ["id\ttext\tbrand"] + [f"{i}\t{'a' * (i % 7)}\tacme" for i in range(25)]
    scorer = CountingScorer()
    rows = _run("\n".join(lines) + "\n", scorer, batch_size=10)
    assert scorer.batches == [10, 10, 5]
    assert [r["id"] for r in rows] == [str(i) for i in range(25)]
    assert list(rows[0]) == ["id", "text", "brand", *ADDED_COLUMNS]
    assert all(r["brand"] == "acme" for r in rows)
    assert rows[3]["p_negative"] == "0.0300"


def test_empty_text_and_quoted_fields_survive() -> None:
    rows = _run('text\tnote\n\tempty\n"tab\there"\t"quote "" inside"\n', CountingScorer())
    assert [r["text"] for r in rows] == ["", "tab\there"]
    assert rows[0]["offensive"] == "true" and rows[1]["offensive"] == "false"
    assert rows[1]["note"] == 'quote " inside'


def test_lang_column_is_a_hint_and_is_replaced() -> None:
    scorer = CountingScorer()
    rows = _run("text\tlang\nhallo\ten\nhi\t\n", scorer)
    assert scorer.hints == ["en", None]
    assert list(rows[0]) == ["text", "lang", "sentiment", "p_negative", "toxicity", "offensive"]


def test_a_tab_separated_header_without_text_is_rejected_saying_how_to_fix_it() -> None:
    with pytest.raises(MissingTextColumnError, match="found: body, id.*name the column of texts 'text'"):
        _run("body\tid\nhallo\t1\n", CountingScorer())


def test_a_text_column_named_with_capitals_is_the_text_column() -> None:
    rows = _run("Text\tid\nHallo\t1\n", CountingScorer())
    assert [(r["text"], r["id"]) for r in rows] == [("Hallo", "1")]


def test_plain_text_without_a_header_is_one_text_per_line() -> None:
    rows = _run("Das Brot ist super\n\nIch bin enttäuscht\n", CountingScorer())
    assert [r["text"] for r in rows] == ["Das Brot ist super", "Ich bin enttäuscht"]
    assert list(rows[0]) == ["text", "lang", "sentiment", "p_negative", "toxicity", "offensive"]


def test_real_scorer_fills_every_column() -> None:
    rows = _run("id\ttext\n1\tDas ist echt mies, ihr Idioten\n2\t\n3\tThanks, great service!\n", load_scorer(MODELS))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    for r in rows:
        assert r["lang"] in ("de", "en", "other")
        assert r["sentiment"] in ("positive", "negative", "neutral")
        assert 0 <= float(r["p_negative"]) <= 1 and 0 <= float(r["toxicity"]) <= 1
        assert r["offensive"] in ("true", "false")
