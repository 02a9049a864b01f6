"""One name for a time zone key: ``time_zone`` everywhere; the old ``timezone`` is still read, with a warning."""

from __future__ import annotations

import textwrap

import pytest

from warner.config.loading import parse_config, parse_config_fully
from warner.config.root import Config
from warner.preflight import preflight

OLD = textwrap.dedent(
    """\
    detect:
      timezone: Europe/Vienna
    escalation:
      timezone: Europe/Zurich
    notify:
      sms:
        provider: http
        timezone: Europe/Vienna
        http: {url: "http://127.0.0.1:9/sms", token_env: SMS_TOKEN}
    """
)


def test_every_time_zone_key_of_the_config_is_called_time_zone() -> None:
    def keys(model: type, at: str = "") -> list[str]:
        out = []
        for name, field in model.model_fields.items():
            out.append(f"{at}{name}")
            for member in getattr(field.annotation, "__args__", (field.annotation,)):
                if isinstance(member, type) and hasattr(member, "model_fields"):
                    out += keys(member, f"{at}{name}.")
        return out

    all_keys = keys(Config)
    assert "detect.time_zone" in all_keys and "escalation.time_zone" in all_keys
    assert [k for k in all_keys if k.endswith("timezone")] == []


def test_the_old_name_is_still_read() -> None:
    config = parse_config(OLD)
    assert config.detect.time_zone == "Europe/Vienna"
    assert config.escalation.time_zone == "Europe/Zurich"
    assert config.notify.sms is not None and config.notify.sms.time_zone == "Europe/Vienna"


def test_check_config_warns_about_each_old_name_at_its_line(tmp_path) -> None:
    path = tmp_path / "warner.yaml"
    path.write_text(OLD)
    found = preflight(path, host_checks=False, probe=False)
    renamed = [(w.field, w.line) for w in found.warnings if "now called time_zone" in w.message]
    assert renamed == [("detect.timezone", 2), ("escalation.timezone", 4), ("notify.sms.timezone", 8)]


def test_both_names_at_once_is_an_error_naming_the_old_one() -> None:
    parsed = parse_config_fully("detect:\n  timezone: Europe/Vienna\n  time_zone: Europe/Berlin\n")
    assert [(i.field, i.line) for i in parsed.issues] == [("detect.timezone", 2)]
    assert "time_zone" in parsed.issues[0].message


@pytest.mark.parametrize("key", ["oncall.off_hours", "digest", "respond"])
def test_sections_that_always_said_time_zone_do_not_take_the_old_name(key: str) -> None:
    section, _, sub = key.partition(".")
    body = f"{section}:\n  {sub}:\n    timezone: Europe/Vienna\n" if sub else f"{section}:\n  timezone: Europe/Vienna\n"
    parsed = parse_config_fully(body)
    assert [i.field for i in parsed.issues] == [f"{key}.timezone"]
