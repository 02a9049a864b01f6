"""``warner playbooks check`` and ``warner playbooks draft`` as a person runs them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
import redis as sync_redis
from respond.helpers import FIXTURES, fixture_data, write_playbook

from warner.cli import main
from warner.incidents.model import Incident, TopMention
from warner.store import keys

REPO_PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


@pytest.fixture(autouse=True)
def no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WARNER_CONFIG", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_check_passes_on_the_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "playbooks", "check", "--dir", str(FIXTURES))
    assert code == 0, out
    assert out.strip().endswith(f"OK: 2 playbooks (+ generic) in {FIXTURES}")


def test_check_names_file_and_field_of_every_broken_template(tmp_path: Path, capsys) -> None:
    data = fixture_data()
    data["drafts"][0]["de"] = "Wir melden uns bis {{ next_busines_time }}."  # typo
    data["drafts"][1]["en"] = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    data["drafts"][2]["short"]["de"] = "Sehr lang. " * 30
    data["drafts"][3]["de"] = "Hallo {{ brand }"
    path = write_playbook(tmp_path / "pb", data)
    code, out = run(capsys, "playbooks", "check", "--dir", str(path.parent))
    assert code == 1
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(text: str) -> int:
        return next(n for n, line in enumerate(lines, 1) if text in line)

    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert errors == [
        (
            f"error: {path}:{line_of('next_busines_time')}: drafts[0].de: does not render (UndefinedError): "
            "'next_busines_time' is undefined"
        ),
        (
            f"error: {path}:{line_of('__class__')}: drafts[1].en: does not render (SecurityError): "
            "access to attribute '__class__' of 'str' object is unsafe."
        ),
        (
            f"error: {path}:{line_of('Sehr lang.')}: drafts[2].short.de: short variant is 329 characters with sample "
            "data (at most 280)"
        ),
        (
            f"error: {path}:{line_of('Hallo {{ brand }')}: drafts[3].de: template syntax error (template line 1): "
            "unexpected '}'"
        ),
    ]
    assert out.strip().endswith(f"4 error(s) in {path.parent}")


def test_check_reports_schema_errors_and_goes_on_with_the_other_files(tmp_path: Path, capsys) -> None:
    broken = fixture_data()
    del broken["checklist"]["en"]
    write_playbook(tmp_path / "pb", broken)
    write_playbook(tmp_path / "pb", fixture_data("shop_outage"))
    code, out = run(capsys, "playbooks", "check", "--dir", str(tmp_path / "pb"))
    assert code == 1
    assert "product_defect.yaml" in out and "checklist.en: Field required" in out
    assert "shop_outage" not in out


def test_check_warns_about_long_public_texts(tmp_path: Path, capsys) -> None:
    data = fixture_data()
    data["drafts"][4]["de"] = "Ein sehr ausführliches Update. " * 20
    path = write_playbook(tmp_path / "pb", data)
    code, out = run(capsys, "playbooks", "check", "--dir", str(path.parent))
    assert code == 0
    assert "warning:" in out and "drafts[4].de: 619 characters with sample data, longer than Mastodon's 500" in out


@pytest.mark.skipif(
    len(list(REPO_PLAYBOOKS.glob("*.yaml"))) < 10, reason="the repo's playbooks are still being written"
)
def test_the_repos_playbooks_pass_the_check(capsys) -> None:
    code, out = run(capsys, "playbooks", "check", "--dir", str(REPO_PLAYBOOKS))
    assert code == 0, out


def test_draft_from_texts(capsys) -> None:
    code, out = run(
        capsys,
        "playbooks", "draft", "--dir", str(FIXTURES), "--lang", "de", "--at", "2026-11-21T20:14",
        "--text", "Glassplitter im Bier! Wann kommt der Rückruf?", "--text", "Mein Sohn hat sich verletzt",
    )  # fmt: skip
    assert code == 0, out
    assert out.startswith("1. Produktmangel und Rückruf · holding (de)\n   Grund: Treffer: ")
    assert "bis Montag, 23.11., 8:00 Uhr" in out
    assert "Checkliste:\n     1. Qualitätssicherung und Geschäftsführung sofort informieren." in out
    assert "2. Produktmangel und Rückruf · private (de)" in out


def test_draft_detects_the_language_of_the_mentions(capsys) -> None:
    code, out = run(
        capsys, "playbooks", "draft", "--dir", str(FIXTURES), "--at", "2026-11-23T10:00",
        "--text", "My kid found broken glass in the beer, why is there no recall?",
        "--text", "Someone will get injured, recall it now",
    )  # fmt: skip
    assert code == 0, out
    assert "1. Product defect and recall · holding (en)" in out


def test_draft_for_unknown_text_is_the_generic_holding_statement(capsys) -> None:
    code, out = run(
        capsys, "playbooks", "draft", "--dir", str(FIXTURES), "--lang", "en", "--at", "2026-12-24T21:00",
        "--text", "Who is coming to the concert tonight?", "--top", "1",
    )  # fmt: skip
    assert code == 0, out
    assert "Unclear situation (generic first response) · holding (en)" in out
    assert "why: no playbook fits: generic response" in out
    assert "report back by Monday 28 December, 8:00" in out


def test_draft_for_an_incident_in_redis(redis_url: str, monkeypatch, tmp_path: Path, capsys) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    started = int(datetime(2026, 11, 21, 19, 50, tzinfo=berlin).timestamp())
    incident = Incident(
        brand="kesselberg", number=3, status="open", severity="critical", started_at=started, updated_at=started,
        mentions=120, expected=10, negatives=90,
        top=[TopMention(key=f"k{i}", text=t, created_at=started, reach=100) for i, t in enumerate([
            "Scherben im Kesselberger Helles, Rückruf jetzt!", "Glassplitter in der Flasche, meine Frau ist verletzt",
        ])],
    )  # fmt: skip
    client = sync_redis.Redis.from_url(redis_url)
    client.flushall()
    client.set(keys.incident("kesselberg", 3), orjson.dumps(incident.to_json()))
    client.close()
    config = tmp_path / "warner.yaml"
    config.write_text(
        f"brands: [{{name: kesselberg, display_name: Brauerei Kesselberg}}]\n"
        f"redis: {{url: '{redis_url}'}}\n"
        "respond:\n"
        f"  playbooks_dir: {FIXTURES}\n"
        "  contacts: {kesselberg: {email: service@kesselberg.de}}\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("REDIS_URL", raising=False)
    code, out = run(capsys, "--config", str(config), "playbooks", "draft", "--incident", "kesselberg:3",
                    "--lang", "de", "--at", "2026-11-21T20:14")  # fmt: skip
    assert code == 0, out
    assert "Danke für die Hinweise zu Brauerei Kesselberg." in out and "Ihr Brauerei Kesselberg-Team" in out

    code, out = run(capsys, "--config", str(config), "playbooks", "draft", "--incident", "kesselberg:99")
    assert code == 1 and "error: no incident kesselberg:99" in out
