"""Everything the Telegram bot says, in German and English (one catalogue, no text in the logic)."""

from __future__ import annotations

from warner.core import Action, Language

SEVERITY: dict[Language, dict[str, str]] = {
    "de": {"critical": "🔴 KRITISCH", "warning": "🟠 WARNUNG", "info": "🔵 INFO"},
    "en": {"critical": "🔴 CRITICAL", "warning": "🟠 WARNING", "info": "🔵 INFO"},
}

# The severity inside a sentence or a list line (/incidents), not as a headline.
SEVERITY_WORD: dict[Language, dict[str, str]] = {
    "de": {"critical": "🔴 kritisch", "warning": "🟠 Warnung", "info": "🔵 Info"},
    "en": {"critical": "🔴 critical", "warning": "🟠 warning", "info": "🔵 info"},
}

WEEKDAYS: dict[Language, tuple[str, ...]] = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# (singular, plural) as they follow a number; German plurals in the dative ("in 3 Tagen").
UNITS: dict[Language, dict[str, tuple[str, str]]] = {
    "de": {
        "mention": ("Erwähnung", "Erwähnungen"),
        "second": ("Sekunde", "Sekunden"),
        "minute": ("Minute", "Minuten"),
        "hour": ("Stunde", "Stunden"),
        "day": ("Tag", "Tagen"),
    },
    "en": {
        "mention": ("mention", "mentions"),
        "second": ("second", "seconds"),
        "minute": ("minute", "minutes"),
        "hour": ("hour", "hours"),
        "day": ("day", "days"),
    },
}

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

# The command menu Telegram shows next to the text field (setMyCommands), in the order shown.
COMMANDS: dict[Language, tuple[tuple[str, str], ...]] = {
    "de": (
        ("oncall", "Wer hat Bereitschaft, bis wann"),
        ("incidents", "Letzte Vorfälle und ihr Stand"),
        ("ack", "Vorfall übernehmen: /ack <ID>"),
        ("test", "Testalarm an mich über alle meine Kanäle"),
        ("login", "Anmeldelink für die Web-Konsole"),
        ("help", "Was der Bot kann"),
    ),
    "en": (
        ("oncall", "Who is on call, until when"),
        ("incidents", "Recent incidents and their state"),
        ("ack", "Acknowledge an incident: /ack <id>"),
        ("test", "Test page to me through all my channels"),
        ("login", "Sign-in link for the web console"),
        ("help", "What the bot does"),
    ),
}

TEXT: dict[Language, dict[str, str]] = {
    "de": {
        "volume": "{mentions} in {span}, sonst etwa {usual}",
        "volume_none": "{mentions} in {span}, sonst fast keine",
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
        "refused_command": "Du bist nicht berechtigt, hier zu handeln. Schick /start: dann siehst du deine "
        "Telegram-ID und wo sie in die Konfiguration gehört.",
        "unknown_incident": "Unbekannter Vorfall: {incident_id}",
        "ack_usage": "Bitte so: /ack <Vorfall-ID>, z. B. /ack kesselberg:12",
        "help": (
            "warner meldet Shitstorms, sobald sie anfangen.\n\n"
            "/oncall – wer hat Bereitschaft, bis wann\n"
            "/incidents – letzte Vorfälle und ihr Stand\n"
            "/ack <ID> – Vorfall übernehmen\n"
            "/test – Testalarm an dich über alle deine Kanäle\n"
            "/login – Anmeldelink für die Web-Konsole (im privaten Chat)\n"
            "/help – diese Hilfe\n\n"
            "Die Knöpfe unter einer Meldung: Übernehmen, Entwürfe (Antwortvorschläge), "
            "Gelöst, Fehlalarm, 1 h stumm."
        ),
        "stranger": (
            "Dieser warner-Bot kennt dich noch nicht.\n\n"
            "Deine Telegram-Nutzer-ID: {user_id}\n"
            "Diese Chat-ID: {chat_id}\n\n"
            "Trag in der warner-Konfiguration ein und starte warner neu:\n"
            "• für dich als Person: oncall.people[].telegram_id: {user_id}\n"
            "{group}"
        ),
        "stranger_group": "• für diese Gruppe: notify.telegram.allowed_chat_ids: [{chat_id}]",
        "stranger_private": (
            "• für eine Gruppe: den Bot in die Gruppe aufnehmen und dort /start senden; "
            "die Gruppen-ID kommt in notify.telegram.allowed_chat_ids"
        ),
        "test_needs_person": (
            "Ein Testalarm geht an eine Person aus oncall.people. Trag dort bei dir "
            "telegram_id: {user_id} ein und starte warner neu."
        ),
        "oncall_title": "Bereitschaft jetzt:",
        "oncall_shift": "{schedule}: {person} bis {until}",
        "oncall_nobody_next": "{schedule}: niemand – als Nächstes {person} ab {start}",
        "oncall_nobody": "{schedule}: niemand in den nächsten {days} Tagen",
        "oncall_none": "Kein Bereitschaftsplan eingerichtet (oncall.schedules).",
        "incidents_title": "Letzte Vorfälle:",
        "incidents_none": "Keine Vorfälle.",
        "failed": "Das hat nicht geklappt. Bitte gleich noch einmal versuchen.",
        "draft_title": "{title} · {purpose}",
        "draft_too_long": "länger als {platform}",
        "login_link": (
            "Dein Anmeldelink für die warner-Web-Konsole:\n{url}\n\n"
            "Er funktioniert nur einmal und nur {valid} lang. Gib ihn nicht weiter: er meldet dich an."
        ),
        "login_private_only": (
            "/login nur im privaten Chat mit mir: der Link meldet dich an und gehört in keine Gruppe. "
            "Schreib mir direkt."
        ),
        "login_no_console": "Die Web-Konsole ist nicht eingerichtet (web.port in der warner-Konfiguration).",
    },
    "en": {
        "volume": "{mentions} in {span}, usually about {usual}",
        "volume_none": "{mentions} in {span}, usually almost none",
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
        "refused_command": "You are not allowed to act here. Send /start to see your Telegram id and where it "
        "goes in the configuration.",
        "unknown_incident": "Unknown incident: {incident_id}",
        "ack_usage": "Usage: /ack <incident id>, e.g. /ack kesselberg:12",
        "help": (
            "warner reports brand storms as they start.\n\n"
            "/oncall – who is on call, until when\n"
            "/incidents – recent incidents and their state\n"
            "/ack <id> – acknowledge an incident\n"
            "/test – a test page to you through all your channels\n"
            "/login – a sign-in link for the web console (in a private chat)\n"
            "/help – this help\n\n"
            "The buttons under an alert: Acknowledge, Drafts (suggested replies), "
            "Resolve, False alarm, Snooze 1 h."
        ),
        "stranger": (
            "This warner bot does not know you yet.\n\n"
            "Your Telegram user id: {user_id}\n"
            "This chat id: {chat_id}\n\n"
            "Add to the warner config and restart warner:\n"
            "• for you as a person: oncall.people[].telegram_id: {user_id}\n"
            "{group}"
        ),
        "stranger_group": "• for this group: notify.telegram.allowed_chat_ids: [{chat_id}]",
        "stranger_private": (
            "• for a group: add the bot to the group and send /start there; "
            "the group's id goes into notify.telegram.allowed_chat_ids"
        ),
        "test_needs_person": (
            "A test page goes to a person in oncall.people. Add telegram_id: {user_id} "
            "to yours there and restart warner."
        ),
        "oncall_title": "On call now:",
        "oncall_shift": "{schedule}: {person} until {until}",
        "oncall_nobody_next": "{schedule}: nobody – next {person} from {start}",
        "oncall_nobody": "{schedule}: nobody in the next {days} days",
        "oncall_none": "No on-call schedule set up (oncall.schedules).",
        "incidents_title": "Recent incidents:",
        "incidents_none": "No incidents.",
        "failed": "That did not work. Please try again in a moment.",
        "draft_title": "{title} · {purpose}",
        "draft_too_long": "longer than {platform}",
        "login_link": (
            "Your sign-in link for the warner web console:\n{url}\n\n"
            "It works once, for {valid}. Do not pass it on: it signs you in."
        ),
        "login_private_only": (
            "/login only works in a private chat with me: the link signs you in and does not belong in a group. "
            "Message me directly."
        ),
        "login_no_console": "The web console is not set up (web.port in the warner config).",
    },
}


def text(language: Language, key: str, **values: object) -> str:
    """The catalogue entry ``key`` in ``language``, filled in."""
    return TEXT[language][key].format(**values)


def counted(language: Language, unit: str, number: float, shown: str) -> str:
    """``shown`` (the number as written) with ``unit`` in singular or plural: '1 Minute', '25 Minuten'."""
    singular, plural = UNITS[language][unit]
    return f"{shown} {singular if number == 1 else plural}"


def language_of(code: str | None) -> Language:
    """A Telegram client's language_code to ours: English for ``en*``, German otherwise."""
    return "en" if code and code.lower().startswith("en") else "de"
