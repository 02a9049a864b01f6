"""The CLI hook: three subcommands whose handlers return exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from warner.commands.score import register
from warner.logs import configure_logging

MODELS = Path(__file__).resolve().parents[2] / "models"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="warner")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_register_adds_train_eval_score() -> None:
    args = _parse(["train", "--commercial-only"])
    assert args.commercial_only and args.data_dir == Path("../shared/data") and callable(args.func)
    assert _parse(["eval", "toxicity", "--data", "x.tsv"]).task == "toxicity"
    assert _parse(["score"]).input is None


def test_train_with_missing_data_dir_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["train", "--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert args.func(args) == 2
    assert "data directory not found" in capsys.readouterr().err


def test_score_reads_input_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info")  # as `warner score` does: logs to stderr, stdout holds only the scores
    source = tmp_path / "in.tsv"
    source.write_text("id\ttext\n7\tAlles super, danke!\n", encoding="utf-8")
    args = _parse(["score", "--input", str(source), "--models-dir", str(MODELS)])
    assert args.func(args) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header == "id\ttext\tlang\tsentiment\tp_negative\ttoxicity\toffensive"
    assert row.startswith("7\tAlles super, danke!\tde\t")


def test_eval_prints_metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "gold.tsv"
    data.write_text("text\tlabel\nIhr Vollidioten!\toffense\nSchönen Tag noch\tother\n", encoding="utf-8")
    args = _parse(["eval", "toxicity", "--data", str(data), "--models-dir", str(MODELS)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out and "confusion" in out


@pytest.fixture(autouse=True)
def _restore_structlog() -> object:
    """``warner score`` may configure structlog for stderr; keep other tests unaffected."""
    import structlog

    yield
    structlog.reset_defaults()


def test_score_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io
    import sys

    payload = "text\tid\nGrüße aus Köln 😍\t1\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(payload), encoding="latin-1"))
    args = _parse(["score", "--models-dir", str(MODELS)])
    assert args.func(args) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[1].startswith("Grüße aus Köln 😍\t1\tde\t")


def test_warner_score_through_the_cli_takes_plain_lines_and_explains_a_bad_header() -> None:
    import os
    import subprocess
    import sys

    def score(text: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "warner", "score"], input=text, capture_output=True, text=True,
                              timeout=60, env={**os.environ, "NO_PROXY": "127.0.0.1"})

    plain = score("Das Brot ist super\nIch bin total enttäuscht, nie wieder!\n")
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["text", "lang"] and len(lines) == 3
    assert lines[2].split("\t")[2] == "negative"
    bad = score("foo\tbar\nx\ty\n")
    assert bad.returncode == 2 and "needs a column named 'text' (found: foo, bar)" in bad.stderr
