"""Reply lengths per platform: lengths.py counts as the editor's live counters do (static/length-cases.json)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from warner.web import lengths

STATIC = Path(lengths.__file__).with_name("static")
CASES: list[dict[str, Any]] = json.loads((STATIC / "length-cases.json").read_text(encoding="utf-8"))["cases"]


def case_text(case: dict[str, Any]) -> str:
    return str(case["text"]) * int(case.get("repeat", 1))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_lengths_agree_with_the_cases_table(case: dict[str, Any]) -> None:
    counted = lengths.counts(case_text(case))
    assert counted["x"].used == case["x"]
    assert counted["bluesky"].used == case["bluesky"]
    assert counted["mastodon"].used == case["mastodon"]
    sms = counted["sms"]
    assert (sms.used, sms.segments, sms.encoding) == (
        case["sms"]["used"],
        case["sms"]["segments"],
        case["sms"]["encoding"],
    )


def test_over_the_limit_is_past_it_not_at_it() -> None:
    assert not lengths.counts("a" * 280)["x"].over
    assert lengths.counts("a" * 281)["x"].over
    assert not lengths.counts("a" * 300)["bluesky"].over
    assert lengths.counts("a" * 301)["bluesky"].over
    assert lengths.counts("日" * 141)["x"].over  # 282 weighted


def test_sms_is_over_once_it_needs_a_second_message() -> None:
    assert not lengths.counts("a" * 160)["sms"].over
    two = lengths.counts("a" * 161)["sms"]
    assert two.over
    assert two.display == "161 / 160 · 2 SMS"
    assert lengths.counts("🙂")["sms"].display == "2 / 70 · 1 SMS (UCS-2)"


def test_counters_show_used_of_limit() -> None:
    assert lengths.counts("Hallo")["x"].display == "5 / 280"
    assert lengths.counts("Hallo")["mastodon"].display == "5 / 500"


NODE_CHECK = """
const counter = require(process.argv[2]);
const cases = require(process.argv[3]).cases;
const failures = [];
for (const fallback of [false, true]) {
  for (const c of cases) {
    const text = c.text.repeat(c.repeat || 1);
    const got = counter.counts(text, {fallback});
    const want = {x: c.x, bluesky: c.bluesky, mastodon: c.mastodon, sms: c.sms};
    const have = {x: got.x.used, bluesky: got.bluesky.used, mastodon: got.mastodon.used,
                  sms: {used: got.sms.used, segments: got.sms.segments, encoding: got.sms.encoding}};
    if (JSON.stringify(have) !== JSON.stringify(want)) failures.push({name: c.name, fallback, have, want});
  }
}
console.log(JSON.stringify(failures));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to run editor.js outside a browser")
def test_the_editor_script_agrees_with_the_cases_table(tmp_path: Path) -> None:
    """The same table through editor.js's counting (with Intl.Segmenter and with its fallback)."""
    script = tmp_path / "check.js"
    script.write_text(NODE_CHECK, encoding="utf-8")
    node = shutil.which("node")
    assert node is not None
    run = subprocess.run(
        [node, str(script), str(STATIC / "editor.js"), str(STATIC / "length-cases.json")],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(run.stdout) == []
