"""Every text of the console, in German (the default) and English: one table, looked up by key."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from warner.core import Language

TEXTS: dict[str, dict[Language, str]] = {
    "title": {"de": "warner – Lagezentrum", "en": "warner – responders' console"},
    "nav_incidents": {"de": "Vorfälle", "en": "Incidents"},
    "nav_oncall": {"de": "Bereitschaft", "en": "On call"},
    "nav_digests": {"de": "Wochenberichte", "en": "Weekly digests"},
    "logout": {"de": "Abmelden", "en": "Sign out"},
    "signed_in_as": {"de": "Angemeldet als {name}", "en": "Signed in as {name}"},
    "login_title": {"de": "Anmelden", "en": "Sign in"},
    "login_how": {
        "de": "Schicken Sie dem warner-Bot in Telegram /login – er antwortet mit einem Link, der einmal und "
        "für wenige Minuten gilt. Ohne Telegram: auf dem Server `warner web link IHRE-ID`.",
        "en": "Send /login to the warner bot in Telegram: it answers with a link that works once, for a few "
        "minutes. Without Telegram: `warner web link YOUR-ID` on the server.",
    },
    "login_refused": {
        "de": "Dieser Link gilt nicht (mehr): abgelaufen, schon benutzt oder unbekannt. Fordern Sie mit /login "
        "einen neuen an.",
        "en": "This link does not work (any more): expired, used already or unknown. Ask for a new one with /login.",
    },
    "forbidden": {
        "de": "Diese Aktion wurde abgelehnt (Sicherheitstoken fehlt oder passt nicht). Laden Sie die Seite neu.",
        "en": "This action was refused (security token missing or wrong). Reload the page.",
    },
    "not_found": {"de": "Nicht gefunden.", "en": "Not found."},
}


def text(language: Language, key: str, **values: Any) -> str:
    """The text ``key`` in ``language`` (German if missing there), with ``{values}`` filled in."""
    entry = TEXTS[key]
    template = entry.get(language) or entry["de"]
    return template.format(**values) if values else template


def add_texts(more: dict[str, dict[Language, str]]) -> None:
    """Pages add their own texts at import; a key defined twice is a mistake."""
    clash = set(more) & set(TEXTS)
    if clash:
        raise ValueError(f"texts defined twice: {sorted(clash)}")
    TEXTS.update(more)


def number(value: float, language: Language, decimals: int | None = None) -> str:
    """1.234,5 (de) or 1,234.5 (en). ``decimals`` None: whole numbers and anything from 100 up without a
    fraction, smaller ones with one place."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() or abs(value) >= 100 else 1
    english = f"{value:,.{decimals}f}"
    return english.translate(str.maketrans(",.", ".,")) if language == "de" else english


def local_time(at: float, zone: ZoneInfo, language: Language, *, with_date: bool = True) -> str:
    """A moment as people on call read it: 21.11.2026 19:50 (de), 2026-11-21 19:50 (en), or only 19:50."""
    moment = datetime.fromtimestamp(at, zone)
    if not with_date:
        return moment.strftime("%H:%M")
    return moment.strftime("%d.%m.%Y %H:%M" if language == "de" else "%Y-%m-%d %H:%M")
