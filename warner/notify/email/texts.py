"""Everything a page mail says, in German and English (one catalogue, no text in the logic or templates)."""

from __future__ import annotations

from warner.core import Language

SEVERITY: dict[Language, dict[str, str]] = {
    "de": {"critical": "KRITISCH", "warning": "WARNUNG", "info": "INFO"},
    "en": {"critical": "CRITICAL", "warning": "WARNING", "info": "INFO"},
}

WORDS: dict[Language, dict[str, str]] = {
    "de": {
        # subject: "[warner] KRITISCH: Brauerei Kesselberg – 240 Erwähnungen, 78 % negativ"
        "subject": "[warner] {status}: {brand} – {mentions}, {share} % negativ",
        "subject_closing": "[warner] {status}: {brand} ({incident_id})",
        "status_update": "{severity} (Update)",
        "status_escalation": "{severity} (Eskalation Stufe {level})",
        "status_reminder": "{severity} (Erinnerung)",
        "status_acknowledged": "Übernommen",
        "status_resolved": "Erledigt",
        "escalation": "Eskaliert (Stufe {level}): bisher hat niemand übernommen.",
        "reminder": "Erinnerung: noch hat niemand übernommen.",
        "acknowledged": "Dieser Vorfall ist übernommen.",
        "resolved": "Dieser Vorfall ist erledigt.",
        "top": "Lauteste Beiträge",
        "act": "Was tun?",
        "console": "Vorfall in der Konsole öffnen (übernehmen, Antwortentwürfe, erledigen)",
        "sms_reply": "Oder per SMS antworten: OK {code} – übernimmt den Vorfall.",
        "no_reply": "Antworten auf diese Mail erreichen niemanden.",
        "incident": "Vorfall",
        "footer": "Diese Mail hat warner automatisch geschickt, weil Sie für {brand} Bereitschaft haben.",
        "test_subject": "[warner] Testalarm – kein Vorfall",
    },
    "en": {
        "subject": "[warner] {status}: {brand} – {mentions}, {share}% negative",
        "subject_closing": "[warner] {status}: {brand} ({incident_id})",
        "status_update": "{severity} (update)",
        "status_escalation": "{severity} (escalation level {level})",
        "status_reminder": "{severity} (reminder)",
        "status_acknowledged": "Acknowledged",
        "status_resolved": "Resolved",
        "escalation": "Escalated (level {level}): nobody has acknowledged yet.",
        "reminder": "Reminder: nobody has acknowledged yet.",
        "acknowledged": "This incident has been acknowledged.",
        "resolved": "This incident is resolved.",
        "top": "Top posts",
        "act": "What now?",
        "console": "Open the incident in the console (acknowledge, reply drafts, resolve)",
        "sms_reply": "Or reply by SMS: OK {code} – acknowledges the incident.",
        "no_reply": "Replies to this mail reach nobody.",
        "incident": "Incident",
        "footer": "warner sent this mail automatically because you are on call for {brand}.",
        "test_subject": "[warner] Test page – no incident",
    },
}


def text(language: Language, key: str, **values: object) -> str:
    words = WORDS.get(language, WORDS["de"])
    return words[key].format(**values) if values else words[key]
