"""Drafts: the sandbox, strict variables, variants by time of day, lengths, and the ranking."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from jinja2 import TemplateError, UndefinedError
from jinja2.exceptions import SecurityError
from respond.helpers import FIXTURES

from warner.config.loading import parse_config
from warner.config.root import Config
from warner.incidents.model import Incident
from warner.ingest.config import BrandConfig
from warner.respond.config import Contact, RespondConfig
from warner.respond.loader import load_playbooks
from warner.respond.render import Responder, exceeded, rank_drafts, render_text

BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY_NIGHT = datetime(2026, 11, 21, 20, 14, tzinfo=BERLIN)
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
DEFECT = ["Glassplitter im Bier! Wann kommt der Rückruf?", "Mein Sohn hat sich verletzt", "Scherben in der Flasche"]

RESPOND = RespondConfig(
    contacts={
        "kesselberg": Contact(email="service@kesselberg.de", phone="+49 8821 1234", url="https://kesselberg.de"),
        "default": Contact(signature={"de": "Ihr Service-Team", "en": "Your service team"}),
    }
)
BRANDS = [BrandConfig(name="kesselberg", display_name="Brauerei Kesselberg")]


def incident(started: datetime) -> Incident:
    return Incident(
        brand="kesselberg",
        number=7,
        status="open",
        severity="critical",
        started_at=int(started.timestamp()),
        updated_at=int(started.timestamp()),
        mentions=412,
        expected=18.5,
        negatives=297,
    )


@pytest.fixture(scope="module")
def responder() -> Responder:
    return Responder(load_playbooks(FIXTURES), RESPOND, BRANDS)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ brand.__class__ }}",
        "{{ contact.email.format_map }}{{ ''.format.__globals__ }}",
    ],
)
def test_the_sandbox_refuses_python_internals(template: str, responder: Responder) -> None:
    with pytest.raises(SecurityError):
        render_text(template, responder.variables("kesselberg", "de", SATURDAY_NIGHT))


def test_no_globals_exist_beyond_the_schemas_variables(responder: Responder) -> None:
    variables = responder.variables("kesselberg", "de", SATURDAY_NIGHT)
    for template in ("{{ cycler.__init__.__globals__ }}", "{{ range(3) }}", "{{ lipsum() }}"):
        with pytest.raises(TemplateError):
            render_text(template, variables)


def test_a_typo_in_a_variable_is_an_error_not_an_empty_hole(responder: Responder) -> None:
    variables = responder.variables("kesselberg", "de", SATURDAY_NIGHT)
    with pytest.raises(UndefinedError, match="contakt"):
        render_text("Schreiben Sie an {{ contakt.email }}", variables)
    with pytest.raises(UndefinedError):
        render_text("{{ contact.fax }}", variables)


def test_the_variables_are_exactly_the_schemas(responder: Responder) -> None:
    variables = responder.variables("kesselberg", "de", SATURDAY_NIGHT, incident(SATURDAY_NIGHT))
    assert variables == {
        "brand": "Brauerei Kesselberg",
        "contact": {
            "email": "service@kesselberg.de",
            "phone": "+49 8821 1234",
            "dm": "per Direktnachricht",
            "url": "https://kesselberg.de",
        },
        "service_hours": "Mo–Fr 8–18 Uhr",
        "next_business_time": "Montag, 23.11., 8:00 Uhr",
        "now": "Samstag, 21.11., 20:14 Uhr",
        "incident": {
            "id": "kesselberg:7",
            "severity": "critical",
            "mentions": 412,
            "negative_share": 72,
            "volume_ratio": 22,
            "started": "20:14",
        },
        "signature": "Ihr Service-Team",  # from contacts.default
    }
    english = responder.variables("other", "en", MONDAY_MORNING)
    assert english["contact"]["email"] == "[email address]"  # a visible placeholder, never empty
    assert english["brand"] == "other" and english["signature"] == "Your service team"
    assert english["next_business_time"] == "Monday 23 November, 12:00"


def test_off_hours_gets_the_off_hours_holding_statement(responder: Responder) -> None:
    [draft] = responder.rank_drafts(incident(SATURDAY_NIGHT), DEFECT, "de", SATURDAY_NIGHT, top=1)
    assert (draft.playbook_id, draft.purpose) == ("product_defect", "holding")
    assert draft.text.startswith("Danke für die Hinweise zu Brauerei Kesselberg.")
    assert "bis Montag, 23.11., 8:00 Uhr" in draft.text
    assert draft.reason.startswith("Treffer: ")
    assert draft.checklist[0] == "Qualitätssicherung und Geschäftsführung sofort informieren."


def test_a_fresh_incident_in_business_hours_also_gets_holding_first(responder: Responder) -> None:
    drafts = responder.rank_drafts(incident(MONDAY_MORNING), DEFECT, "en", MONDAY_MORNING)
    assert [(d.purpose, d.language) for d in drafts] == [("holding", "en"), ("private", "en"), ("public_reply", "en")]
    assert drafts[0].text.startswith("Thank you for the reports. Our quality assurance")  # business_hours variant
    assert "by Monday 23 November, 12:00" in drafts[0].text


def test_an_older_incident_in_business_hours_gets_the_public_reply_first(responder: Responder) -> None:
    started = datetime(2026, 11, 23, 8, 30, tzinfo=BERLIN)
    drafts = responder.rank_drafts(incident(started), DEFECT, "de", MONDAY_MORNING)
    assert [d.purpose for d in drafts] == ["public_reply", "private", "holding"]


def test_the_second_best_playbook_comes_third(responder: Responder) -> None:
    mixed = [*DEFECT, "Onlineshop down, Zahlung geht nicht", "Login geht nicht"]
    drafts = responder.rank_drafts(None, mixed, "de", SATURDAY_NIGHT)
    assert [(d.playbook_id, d.purpose) for d in drafts] == [
        ("product_defect", "holding"),
        ("product_defect", "private"),
        ("shop_outage", "holding"),
    ]


def test_unknown_situations_get_the_generic_holding_statement(responder: Responder) -> None:
    drafts = responder.rank_drafts(None, ["Was für ein schöner Sonntag am See"], "de", SATURDAY_NIGHT)
    assert (drafts[0].playbook_id, drafts[0].purpose) == ("generic", "holding")
    assert "bis Montag, 23.11., 8:00 Uhr" in drafts[0].text
    assert drafts[0].reason == "kein Playbook passt: allgemeine Erstreaktion"
    assert all(d.playbook_id == "generic" for d in drafts)


def test_long_texts_name_the_platforms_they_exceed_and_offer_the_short_variant(responder: Responder) -> None:
    started = datetime(2026, 11, 23, 8, 30, tzinfo=BERLIN)
    [reply] = responder.rank_drafts(incident(started), DEFECT, "de", MONDAY_MORNING, top=1)
    assert reply.purpose == "public_reply"
    assert len(reply.text) > 300 and reply.exceeds == ["X", "Bluesky", "SMS"]
    assert reply.short_text is not None and len(reply.short_text) <= 280 and reply.short_exceeds == []
    assert reply.for_platform("X") == reply.short_text
    assert reply.for_platform("Mastodon") == reply.text


def test_exceeded_limits() -> None:
    assert exceeded("x" * 160) == []
    assert exceeded("x" * 161) == ["SMS"]
    assert exceeded("x" * 281) == ["X", "SMS"]
    assert exceeded("x" * 501) == ["X", "Bluesky", "Mastodon", "SMS"]


def test_rank_drafts_with_a_config(tmp_path) -> None:
    config = parse_config(
        f"""
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
respond:
  playbooks_dir: {FIXTURES}
  state: BY
  contacts:
    kesselberg: {{email: presse@kesselberg.de}}
""",
        "test.yaml",
    )
    fronleichnam_eve = datetime(2026, 6, 3, 19, 0, tzinfo=BERLIN)
    [draft] = rank_drafts(None, DEFECT, "de", fronleichnam_eve, top=1, config=config)
    assert "bis Freitag, 05.06., 8:00 Uhr" in draft.text
    assert rank_drafts(None, DEFECT, "de", fronleichnam_eve, top=1, config=config) == [draft]
    assert isinstance(Config().respond, RespondConfig)
