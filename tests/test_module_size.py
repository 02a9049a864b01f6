"""Small modules with one idea each: a module past ~400 lines says in its docstring why it is one module.

The reason starts "Why ~N lines" so that a reader finds it, and so that a module that grows past
the mark without one fails here rather than in a review months later.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 410  # "~400": a few lines of slack, so a one-line fix does not need a paragraph


def test_every_long_module_says_why_it_is_one_module() -> None:
    unexplained = []
    for path in sorted((ROOT / "warner").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines <= LIMIT:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if "Why ~" not in docstring:
            unexplained.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert unexplained == []
