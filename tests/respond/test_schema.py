"""Playbook files: valid ones load; an invalid one is reported by file, field and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from respond.helpers import FIXTURES, fixture_data, write_playbook
from structlog.testing import capture_logs

from warner.respond.loader import GENERIC_ID, load_playbook, load_playbooks
from warner.respond.schema import PlaybookError


def issues_of(path: Path) -> list[str]:
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    return [str(i) for i in caught.value.issues]


def test_fixture_playbooks_and_the_builtin_generic_load() -> None:
    playbooks = load_playbooks(FIXTURES)
    assert sorted(p.id for p in playbooks) == ["product_defect", "shop_outage"]
    assert playbooks.generic.id == GENERIC_ID


def test_an_empty_directory_still_has_the_generic_holding_statement(tmp_path: Path) -> None:
    playbooks = load_playbooks(tmp_path)
    assert len(playbooks) == 0
    assert any(d.purpose == "holding" and d.when == "off_hours" for d in playbooks.generic.drafts)


def test_a_missing_language_names_file_field_and_line(tmp_path: Path) -> None:
    data = fixture_data()
    del data["title"]["en"]
    path = write_playbook(tmp_path, data)
    [issue] = issues_of(path)
    assert issue == f"{path}:2: title.en: Field required"


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    data = fixture_data()
    data["drafts"][2]["tone"] = "friendly"
    [issue] = issues_of(write_playbook(tmp_path, data))
    assert "drafts[2].tone: Extra inputs are not permitted" in issue


def test_the_id_must_be_the_file_name(tmp_path: Path) -> None:
    data = fixture_data()
    [issue] = issues_of(write_playbook(tmp_path, data, name="recall"))
    assert "recall.yaml:1: id: id 'product_defect' must equal the file name without .yaml ('recall')" in issue


def test_six_examples_per_language(tmp_path: Path) -> None:
    data = fixture_data()
    data["triggers"]["examples"]["en"] = data["triggers"]["examples"]["en"][:5]
    [issue] = issues_of(write_playbook(tmp_path, data))
    assert "triggers.examples.en: List should have at least 6 items" in issue


def test_every_purpose_needs_a_draft(tmp_path: Path) -> None:
    data = fixture_data()
    data["drafts"] = [d for d in data["drafts"] if d["purpose"] != "closing"]
    [issue] = issues_of(write_playbook(tmp_path, data))
    assert "no draft for purpose closing" in issue


def test_the_holding_statement_needs_an_off_hours_variant(tmp_path: Path) -> None:
    data = fixture_data()
    for draft in data["drafts"]:
        if draft.get("when") == "off_hours":
            draft["when"] = "any"
    [issue] = issues_of(write_playbook(tmp_path, data))
    assert "needs an off_hours variant" in issue


def test_an_empty_checklist_and_an_unknown_purpose_are_both_reported(tmp_path: Path) -> None:
    data = fixture_data()
    data["checklist"]["de"] = []
    data["drafts"][3]["purpose"] = "apology"
    issues = issues_of(write_playbook(tmp_path, data))
    assert any("checklist.de: List should have at least 1 item" in i for i in issues)
    assert any("drafts[3].purpose: Input should be 'public_reply'" in i for i in issues)


def test_a_star_inside_a_keyword_is_refused(tmp_path: Path) -> None:
    data = fixture_data()
    data["triggers"]["keywords"]["de"].append("ver*letzt")
    [issue] = issues_of(write_playbook(tmp_path, data))
    assert "triggers.keywords.de: Value error, keyword 'ver*letzt'" in issue or "'*' may only end" in issue


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\ntitle: {de: 'a', en: 'b'\nsummary: x\n", encoding="utf-8")
    [issue] = issues_of(path)
    assert issue.startswith(f"{path}:") and "(yaml): invalid YAML" in issue


def test_all_errors_of_a_directory_come_at_once(tmp_path: Path) -> None:
    a, b = fixture_data(), fixture_data("shop_outage")
    del a["summary"]
    del b["severity"]["de"]
    write_playbook(tmp_path, a)
    write_playbook(tmp_path, b)
    with pytest.raises(PlaybookError) as caught:
        load_playbooks(tmp_path)
    fields = sorted(i.field for i in caught.value.issues)
    assert fields == ["severity.de", "summary"]


def test_the_service_skips_an_invalid_file_and_keeps_the_others(tmp_path: Path) -> None:
    broken = fixture_data()
    del broken["checklist"]
    write_playbook(tmp_path, broken)
    write_playbook(tmp_path, fixture_data("shop_outage"))
    with capture_logs() as logs:
        playbooks = load_playbooks(tmp_path, strict=False)
    assert [p.id for p in playbooks] == ["shop_outage"]
    assert logs[0]["event"] == "playbook_invalid" and "checklist: Field required" in logs[0]["issue"]
