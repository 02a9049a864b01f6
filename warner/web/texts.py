"""Every text of the console, in German (the default) and English: one table, looked up by key."""

from __future__ import annotations

from typing import Any

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
