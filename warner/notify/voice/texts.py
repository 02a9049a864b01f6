"""What a call says, in German and English: the page, the prompt, and the answers to a key press.

Spoken, not read: whole words ("Prozent", "Uhr"), umlauts for the text-to-speech, no incident id
("kesselberg Doppelpunkt zwölf" helps nobody at 3 a.m.). The figures are those of the SMS —
mentions since the start, what was usual, the negative share — counts a person can check.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from warner.core import BERLIN, Language
from warner.notify.base import Page

# The voice the provider's text-to-speech uses for each language (BCP 47, as Twilio's <Say> takes it).
TTS_LANGUAGE: dict[Language, str] = {"de": "de-DE", "en": "en-US"}

WORDS: dict[Language, dict[str, str]] = {
    "de": {
        "intro": "Hier ist warner.",
        "info": "Hinweis", "warning": "Warnung", "critical": "Kritischer Alarm",
        "new": "", "update": "Aktualisierung. ", "escalation": "Eskalation. ", "reminder": "Erinnerung. ",
        "headline": "{kind}{severity} für {label}.",
        "figures": "{mentions} Erwähnungen seit {since} Uhr, üblich wären {usual}. {negative} Prozent negativ.",
        "almost_none": "fast keine",
        "prompt": "Drücken Sie 1, um zu übernehmen.",
        "goodbye": "Auf Wiederhören.",
        "acked": "Übernommen. Danke.",
        "already_acknowledged": "Der Vorfall ist bereits übernommen.",
        "already_resolved": "Der Vorfall ist bereits erledigt.",
        "code_expired": "Dieser Anruf gilt nicht mehr. Bitte folgen Sie der neuesten Benachrichtigung.",
        "test": "Hier ist warner. Testalarm, kein Vorfall. warner prüft nur, ob es {name} per Anruf erreicht. "
        "Nichts zu tun.",
        "console": "☎ Anruf bei {name} ({phone}): „{text}“ — {prompt}",
    },
    "en": {
        "intro": "This is warner.",
        "info": "Notice", "warning": "Warning", "critical": "Critical alert",
        "new": "", "update": "Update. ", "escalation": "Escalation. ", "reminder": "Reminder. ",
        "headline": "{kind}{severity} for {label}.",
        "figures": "{mentions} mentions since {since}, usually {usual}. {negative} percent negative.",
        "almost_none": "almost none",
        "prompt": "Press 1 to acknowledge.",
        "goodbye": "Goodbye.",
        "acked": "Acknowledged. Thank you.",
        "already_acknowledged": "This incident is already acknowledged.",
        "already_resolved": "This incident is already resolved.",
        "code_expired": "This call is no longer valid. Please follow the latest page.",
        "test": "This is warner. Test page, no incident. warner only checks that it reaches {name} by phone call. "
        "Nothing to do.",
        "console": "☎ Call to {name} ({phone}): “{text}” — {prompt}",
    },
}  # fmt: skip


def words(language: Language) -> dict[str, str]:
    return WORDS.get(language, WORDS["de"])


def spoken_page(page: Page, *, label: str | None = None, tz: tzinfo = BERLIN) -> str:
    """e.g. "Hier ist warner. Kritischer Alarm für Brauerei Kesselberg. 184 Erwähnungen seit 19:50 Uhr,
    üblich wären 4,2. 70 Prozent negativ." — the prompt to press 1 is said separately (``twiml.py``)."""
    language = page.recipient.language
    w = words(language)
    incident = page.incident
    since = datetime.fromtimestamp(incident.started_at, UTC).astimezone(tz).strftime("%H:%M")
    kind = w.get(page.kind, "")
    headline = w["headline"].format(kind=kind, severity=w[incident.severity], label=label or incident.brand)
    figures = w["figures"].format(
        mentions=incident.mentions,
        since=since,
        usual=spoken_count(incident.expected, language) or w["almost_none"],
        negative=round(incident.negative_share * 100),
    )
    return " ".join([w["intro"], headline, figures])


def spoken_count(expected: float, language: Language) -> str | None:
    """What was expected so far, as said aloud: '4,2', '51' (de), '4.2' (en); None when almost nothing."""
    if expected < 0.05:
        return None
    text = f"{expected:.1f}".removesuffix(".0") if expected < 10 else str(round(expected))
    return text.replace(".", ",") if language == "de" else text


def answer(reason: str, language: Language) -> str:
    """What the person hears after pressing 1: acknowledged, or what became of the incident meanwhile."""
    w = words(language)
    return w[reason] if reason in ANSWERS else w["code_expired"]


ANSWERS = ("acked", "already_acknowledged", "already_resolved", "code_expired")
