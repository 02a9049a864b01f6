"""Everything the Telegram bot says, in German and English (one catalogue, no text in the logic)."""

from __future__ import annotations

from warner.notify.base import Action, Language

SEVERITY: dict[Language, dict[str, str]] = {
    "de": {"critical": "🔴 KRITISCH", "warning": "🟠 WARNUNG", "info": "🔵 INFO"},
    "en": {"critical": "🔴 CRITICAL", "warning": "🟠 WARNING", "info": "🔵 INFO"},
}

WEEKDAYS: dict[Language, tuple[str, ...]] = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

BUTTONS: dict[Language, dict[Action, str]] = {
    "de": {
        "ack": "✅ Übernehmen",
        "drafts": "📝 Entwürfe",
        "resolve": "☑️ Gelöst",
        "false_alarm": "🚫 Fehlalarm",
        "snooze": "🔕 1 h stumm",
    },
    "en": {
        "ack": "✅ Acknowledge",
        "drafts": "📝 Drafts",
        "resolve": "☑️ Resolve",
        "false_alarm": "🚫 False alarm",
        "snooze": "🔕 Snooze 1 h",
    },
}

TEXT: dict[Language, dict[str, str]] = {
    "de": {
        "volume": "{ratio}× so viele Erwähnungen wie üblich ({mentions} statt {expected})",
        "negative": "{share} % negativ",
        "since": "seit {time} ({date})",
        "subsiding": "📉 flaut ab",
        "closed": "⏹ beendet um {time}",
        "escalation": "⏫ Eskaliert (Stufe {level})",
        "reminder": "⏰ Erinnerung: noch hat niemand übernommen",
        "top": "Lauteste Beiträge:",
        "reach": "{reach} Reichweite",
        "link": "Link",
        "incident": "Vorfall",
        "refused_stale": "Dieser Knopf ist abgelaufen. Bitte /incidents verwenden.",
        "refused_forged": "Ungültiger Knopf.",
        "refused_unauthorised": "Du bist nicht berechtigt, hier zu handeln.",
        "unknown_incident": "Unbekannter Vorfall: {incident_id}",
        "ack_usage": "Bitte so: /ack <Vorfall-ID>, z. B. /ack kesselberg:12",
        "help": (
            "warner meldet Shitstorms, sobald sie anfangen.\n\n"
            "/oncall – wer hat gerade Bereitschaft\n"
            "/incidents – offene Vorfälle\n"
            "/ack <ID> – Vorfall übernehmen\n"
            "/help – diese Hilfe\n\n"
            "Die Knöpfe unter einer Meldung: Übernehmen, Entwürfe (Antwortvorschläge), "
            "Gelöst, Fehlalarm, 1 h stumm."
        ),
        "failed": "Das hat nicht geklappt. Bitte gleich noch einmal versuchen.",
    },
    "en": {
        "volume": "{ratio}× the usual number of mentions ({mentions} instead of {expected})",
        "negative": "{share}% negative",
        "since": "since {time} ({date})",
        "subsiding": "📉 subsiding",
        "closed": "⏹ ended at {time}",
        "escalation": "⏫ Escalated (level {level})",
        "reminder": "⏰ Reminder: nobody has acknowledged yet",
        "top": "Top posts:",
        "reach": "reach {reach}",
        "link": "link",
        "incident": "Incident",
        "refused_stale": "This button has expired. Please use /incidents.",
        "refused_forged": "Invalid button.",
        "refused_unauthorised": "You are not allowed to act here.",
        "unknown_incident": "Unknown incident: {incident_id}",
        "ack_usage": "Usage: /ack <incident id>, e.g. /ack kesselberg:12",
        "help": (
            "warner reports brand storms as they start.\n\n"
            "/oncall – who is on call now\n"
            "/incidents – open incidents\n"
            "/ack <id> – acknowledge an incident\n"
            "/help – this help\n\n"
            "The buttons under an alert: Acknowledge, Drafts (suggested replies), "
            "Resolve, False alarm, Snooze 1 h."
        ),
        "failed": "That did not work. Please try again in a moment.",
    },
}


def text(language: Language, key: str, **values: object) -> str:
    """The catalogue entry ``key`` in ``language``, filled in."""
    return TEXT[language][key].format(**values)


def language_of(code: str | None) -> Language:
    """A Telegram client's language_code to ours: English for ``en*``, German otherwise."""
    return "en" if code and code.lower().startswith("en") else "de"
