"""Every silenced check says which one and why, so that the next reader can tell a wart from a bug.

A ``# type: ignore`` names its mypy error code and carries a reason after it; a ``# noqa``
names its ruff rule and a reason (ruff itself reports a noqa whose rule no longer fires).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[^\]]+\])?(?P<rest>.*)$")
NOQA = re.compile(r"#\s*noqa(?P<code>:\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)?(?P<rest>.*)$")


def _unexplained(pattern: re.Pattern[str], *folders: str) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue  # its docstring quotes both
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                match = pattern.search(line)
                if match is None:
                    continue
                reason = match.group("rest").strip(" -—#:;")
                if not match.group("code") or len(reason) < 3:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_every_type_ignore_names_its_error_code_and_says_why() -> None:
    assert _unexplained(IGNORE, "warner") == []


def test_every_noqa_names_its_rule_and_says_why() -> None:
    assert _unexplained(NOQA, "warner", "tests", "bench") == []
