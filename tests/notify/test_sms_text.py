"""The SMS text: one GSM-7 segment with the incident id and the ack code, always."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from warner.core import Recipient
from warner.incidents.model import Incident
from warner.notify.base import Page
from warner.notify.sms.text import SMS_LIMIT, gsm7_length, sms_text, to_gsm7

# 2026-11-21 19:50 in Berlin (CET, UTC+1)
STARTED = 1795287000
CODE = "482193"  # ack codes have 6 digits (8 at most, when 6-digit ones run short)


def page(brand: str = "kesselberg", number: int = 12, language: str = "de", code: str = CODE, **kw: object) -> Page:
    incident = Incident(
        brand=brand,
        number=number,
        status="open",
        severity="critical",
        started_at=STARTED,
        updated_at=STARTED,
        mentions=54,
        expected=2.0,
        negatives=38,
    )
    recipient = Recipient("anna", "Anna", language=language, phone="+4915112345678")  # type: ignore[arg-type]
    return Page(incident=incident, recipient=recipient, kind=kw.pop("kind", "new"), ack_code=code, **kw)  # type: ignore[arg-type]


def test_gsm7_length_counts_umlauts_once_and_extension_characters_twice() -> None:
    assert gsm7_length("Bäckerei Müller ÄÖÜß") == 20
    assert gsm7_length("10 €") == 5
    assert gsm7_length("[x]{y}") == 10
    assert gsm7_length("^~|\\") == 8


def test_gsm7_length_is_none_outside_the_alphabet() -> None:
    assert gsm7_length("Bier 🍺") is None
    assert gsm7_length("Łódź") is None
    assert gsm7_length("„Zitat“") is None


def test_non_gsm_characters_are_transliterated_or_dropped() -> None:
    assert to_gsm7("Łódź Bräu") == "Lodz Bräu"
    assert to_gsm7("Bier 🍺🍺 gut") == "Bier gut"
    assert to_gsm7("„Shitstorm“ – jetzt…") == '"Shitstorm" - jetzt...'
    assert gsm7_length(to_gsm7("Ærø ŻÓŁW 🐢 ñ ç")) is not None


def test_the_page_reads_like_the_example_in_german() -> None:
    text = sms_text(page(), label="Brauerei Kesselberg", tz=ZoneInfo("Europe/Berlin"))
    assert text == (
        "warner KRITISCH kesselberg:12 Brauerei Kesselberg: 54 Erwaehnungen seit 19:50, sonst 2, 70% negativ. "
        f"Antwort OK {CODE} = uebernehmen"
    )


def test_english_recipients_get_english() -> None:
    text = sms_text(page(language="en"), label="Brauerei Kesselberg")
    assert text.startswith(
        "warner CRITICAL kesselberg:12 Brauerei Kesselberg: 54 mentions since 19:50, usually 2, 70% negative"
    )
    assert text.endswith(f"Reply OK {CODE} = acknowledge")


def test_a_long_brand_label_is_cut_but_never_the_id_or_the_code() -> None:
    label = "Traditionsbrauerei und Gasthof zum Kesselberg " * 4 + "🍺"
    text = sms_text(page(kind="escalation"), label=label)
    assert SMS_LIMIT - 3 <= (gsm7_length(text) or 999) <= SMS_LIMIT
    assert "kesselberg:12" in text
    assert text.endswith(f"Antwort OK {CODE} = uebernehmen")
    assert "Traditionsbrauerei" in text
    assert "54 Erwaehnungen seit 19:50, sonst 2" in text


@pytest.mark.parametrize("code", [CODE, "48219307"])
@pytest.mark.parametrize("label", ["€" * 200, "[Kesselberg] {Bräu} " * 20, "Łódź 🍺 " * 40])
def test_every_page_fits_one_segment_with_the_whole_code(label: str, code: str) -> None:
    for kind in ("new", "update", "escalation", "reminder"):
        page_ = page(brand="a" * 64, number=123456, code=code, kind=kind, state_line="Eskaliert an Stufe 2 €€€")
        text = sms_text(page_, label=label)
        length = gsm7_length(text)
        assert length is not None and length <= SMS_LIMIT, text
        assert f"{'a' * 64}:123456" in text
        assert f"OK {code} " in text


def test_closing_pages_carry_the_state_line_and_no_reply_instruction() -> None:
    text = sms_text(page(kind="acknowledged", state_line="Übernommen von Anna, 21:04"), label="Brauerei Kesselberg")
    assert text == "warner UEBERNOMMEN kesselberg:12 Brauerei Kesselberg: Übernommen von Anna, 21:04"


def test_a_storm_on_a_near_silent_brand_says_almost_none_instead_of_a_huge_ratio() -> None:
    from dataclasses import replace as dc_replace

    quiet = page()
    quiet = dc_replace(quiet, incident=dc_replace(quiet.incident, expected=0.01))
    text = sms_text(quiet, label="Brauerei Kesselberg")
    assert "54 Erwaehnungen seit 19:50, sonst fast keine, 70% negativ" in text and "x normal" not in text
