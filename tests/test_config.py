from __future__ import annotations

from datetime import timedelta
from importlib import resources

import pytest

from warner.cli import main
from warner.config import ConfigError, load_config, parse_config


def test_example_config_loads_with_german_brand() -> None:
    text = resources.files("warner").joinpath("example.yaml").read_text(encoding="utf-8")
    config = parse_config(text, "example.yaml")
    assert config.brand("kesselberg").label == "Brauerei Kesselberg"
    assert config.brand("kesselberg").language == "de"
    assert config.bucket == timedelta(minutes=1)
    assert config.retention.dedupe == timedelta(days=7)


def test_errors_name_file_field_and_line() -> None:
    text = "brands:\n  - name: Bad Name\n    aliases: x\nbucket: 7m\ningest:\n  port: 99999\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "w.yaml")
    found = {(i.field, i.line) for i in caught.value.issues}
    assert found == {("brands[0].name", 2), ("brands[0].aliases", 3), ("bucket", 4), ("ingest.port", 6)}
    assert all(i.file == "w.yaml" for i in caught.value.issues)


def test_a_secret_written_into_yaml_is_refused() -> None:
    text = "ingest:\n  sources:\n    - name: webhook\n      token: hunter2\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "w.yaml")
    (issue,) = caught.value.issues
    assert issue.field == "ingest.sources[0]" and issue.line == 3
    assert "environment variable" in issue.message


def test_duplicate_brand_names_are_an_error() -> None:
    with pytest.raises(ConfigError, match="repeated: a"):
        parse_config("brands:\n  - name: a\n  - name: a\n")


def test_invalid_yaml_reports_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("brands:\n  - name: a\n   bad: [\n", "w.yaml")
    assert caught.value.issues[0].field == "(yaml)"
    assert caught.value.issues[0].line is not None


def test_redis_url_env_overrides_file(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config("redis:\n  url: redis://file:6379\n")
    assert config.redis_url == "redis://file:6379"
    monkeypatch.setenv("REDIS_URL", "redis://env:6379")
    assert config.redis_url == "redis://env:6379"


def test_warner_config_env_chooses_the_file(monkeypatch, config_file) -> None:
    path = config_file("bucket: 5m\n", "other.yaml")
    monkeypatch.setenv("WARNER_CONFIG", str(path))
    assert load_config().bucket == timedelta(minutes=5)


def test_check_config_prints_ok(config_file, capsys) -> None:
    path = config_file("brands:\n  - name: kesselberg\n")
    assert main(["check-config", str(path)]) == 0
    assert capsys.readouterr().out.strip().endswith("OK")


def test_check_config_lists_each_error_and_exits_1(config_file, capsys) -> None:
    path = config_file("bucket: soon\nworker:\n  batch_size: 0\n")
    assert main(["check-config", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"error: {path}:1: bucket: expected a duration such as '30s', '5m' or '7d', got 'soon'" in out
    assert any(line.startswith(f"error: {path}:3: worker.batch_size:") for line in out)


def test_check_config_warns_about_unset_token(config_file, capsys, monkeypatch) -> None:
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    path = config_file("ingest:\n  sources:\n    - name: webhook\n      token_env: NOPE_TOKEN\n")
    assert main(["check-config", str(path)]) == 0
    assert "NOPE_TOKEN is not set" in capsys.readouterr().out


def test_missing_file_is_a_clear_error(tmp_path, capsys) -> None:
    assert main(["check-config", str(tmp_path / "nope.yaml")]) == 1
    assert "config file not found" in capsys.readouterr().out
