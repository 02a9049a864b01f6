"""The ``respond:`` config section: a full example, and errors that name field and line."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from warner.config.loading import ConfigError, parse_config

EXAMPLE = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
respond:
  playbooks_dir: /etc/warner/playbooks
  business_hours:
    days: [monday, tuesday, wednesday, thursday, friday]
    opens: "08:00"
    closes: "17:30"
  time_zone: Europe/Berlin
  state: by
  reply_within: 90m
  contacts:
    default:
      dm: {de: "per DM", en: "via DM"}
    kesselberg:
      email: service@brauerei-kesselberg.de
      phone: "+49 8821 123456"
      url: https://brauerei-kesselberg.de/aktuell
      signature: {de: "Ihr Kesselberg-Team", en: "Your Kesselberg team"}
"""


def test_the_example_parses() -> None:
    respond = parse_config(EXAMPLE, "warner.yaml").respond
    assert respond.playbooks_dir == Path("/etc/warner/playbooks")
    assert respond.business_hours.closes == time(17, 30) and respond.state == "BY"
    assert respond.reply_within == timedelta(minutes=90)
    assert respond.contact("kesselberg", "de")["dm"] == "per DM"
    assert respond.contact("kesselberg", "en")["email"] == "service@brauerei-kesselberg.de"
    assert respond.signature("kesselberg", "Brauerei Kesselberg", "en") == "Your Kesselberg team"
    assert respond.signature("other", "Other", "de") == "Ihr Other-Team"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("  state: Bayern\n", "warner.yaml:6: respond.state: unknown German federal state 'Bayern'"),
        (
            "  business_hours: {opens: '18:00', closes: '08:00'}\n",
            "warner.yaml:6: respond.business_hours: closes (08:00) must be after opens (18:00)",
        ),
        ("  business_hours: {days: [mo]}\n", "warner.yaml:6: respond.business_hours.days[0]: Input should be"),
        ("  time_zone: Berlin\n", "warner.yaml:6: respond.time_zone: unknown time zone 'Berlin'"),
        ("  contacts: {kesselberg: {fax: '123'}}\n", "respond.contacts.kesselberg.fax: Extra inputs are not permitted"),
        ("  reply_within: 0s\n", "respond.reply_within: reply_within must be positive"),
    ],
)
def test_errors_name_field_and_line(change: str, expected: str) -> None:
    text = "brands: []\n\n\n\nrespond:\n" + change
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "warner.yaml")
    assert any(expected in str(issue) for issue in caught.value.issues), caught.value.issues


def test_importing_the_config_loads_neither_jinja_nor_sklearn() -> None:
    import subprocess
    import sys

    code = "import sys, warner.config; print('sklearn' in sys.modules, 'warner.respond.render' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
