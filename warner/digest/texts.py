"""Everything the digest says, in German and English, and how it writes numbers, durations and days.

The report templates, the Telegram text and the chart take their words from here, so a
wording is changed in one place. Formatters return "keine Daten"/"no data" for ``None``:
a figure nobody measured is never shown as zero.
"""

from __future__ import annotations

from datetime import datetime

from warner.core import Language

LANGUAGES: tuple[Language, ...] = ("de", "en")

SEVERITIES = ("critical", "warning", "info")
SEVERITY_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
SEVERITY_COLOUR = {"critical": "#c62828", "warning": "#ef8f00", "info": "#1e6fd9"}

WEEKDAYS: dict[Language, tuple[str, ...]] = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

TEXT: dict[Language, dict[str, str]] = {
    "de": {
        "title": "Wochenbericht KW {week}/{year}",
        "period": "{first} bis {last}",
        "no_data": "keine Daten",
        "summary": "Überblick",
        "incidents": "Vorfälle",
        "incidents_none": "Keine Vorfälle in dieser Woche.",
        "off_hours": "davon außerhalb der Geschäftszeit",
        "mtta": "Zeit bis zur Übernahme (MTTA)",
        "mttr": "Zeit bis zur Lösung (MTTR)",
        "percentiles": "Median {median}, 90 % innerhalb {p90} ({count})",
        "percentiles_one": "{median} ({count})",
        "false_alarms": "Fehlalarmquote",
        "false_alarm_rate": "{rate} (bewertet: {judged}, davon Fehlalarm: {false})",
        "pages": "Benachrichtigungen",
        "pages_sent": "zugestellt",
        "undeliverable": "Niemanden erreicht",
        "brands": "Marken",
        "brand": "Marke",
        "mentions": "Erwähnungen",
        "negative_share": "negativer Anteil",
        "previous": "Vorwoche",
        "change_new": "neu",
        "points": "Pp.",
        "negative_terms": "Häufigste Begriffe in negativen Erwähnungen",
        "playbooks": "Verwendete Playbooks",
        "playbooks_none": "Keine Entwürfe aus Playbooks gewählt.",
        "incident": "Vorfall",
        "severity": "Schwere",
        "started": "Beginn",
        "state": "Status",
        "pages_count": "Benachr.",
        "off_hours_mark": "außerhalb der Geschäftszeit",
        "chart": "Erwähnungen pro Stunde und negativer Anteil",
        "chart_alt": "Diagramm: Erwähnungen pro Stunde und negativer Anteil je Marke, Vorfälle markiert",
        "chart_mentions": "Erwähnungen/Stunde",
        "chart_share": "negativer Anteil",
        "chart_no_mentions": "keine Erwähnungen",
        "chart_summary": "{mentions} Erwähnungen, {share} negativ",
        "chart_summary_empty": "{mentions} Erwähnungen",
        "chart_share_sparse": "negativer Anteil erst ab {minimum} Erwähnungen pro Stunde gezeigt",
        "chart_no_brands": "keine Marken – keine Daten",
        "more_brands": "… und {count} (siehe Bericht)",
        "report_hint": "Details und Diagramm im Bericht.",
        "generated": "Erstellt von warner. Zeitzone: {tz}.",
    },
    "en": {
        "title": "Weekly digest {year}-W{week}",
        "period": "{first} to {last}",
        "no_data": "no data",
        "summary": "Summary",
        "incidents": "Incidents",
        "incidents_none": "No incidents this week.",
        "off_hours": "of which off-hours",
        "mtta": "Time to acknowledge (MTTA)",
        "mttr": "Time to resolve (MTTR)",
        "percentiles": "median {median}, 90% within {p90} ({count})",
        "percentiles_one": "{median} ({count})",
        "false_alarms": "False-alarm rate",
        "false_alarm_rate": "{rate} (judged: {judged}, false alarms: {false})",
        "pages": "Pages",
        "pages_sent": "delivered",
        "undeliverable": "Reached nobody",
        "brands": "Brands",
        "brand": "Brand",
        "mentions": "Mentions",
        "negative_share": "negative share",
        "previous": "previous week",
        "change_new": "new",
        "points": "pts",
        "negative_terms": "Top terms in negative mentions",
        "playbooks": "Playbooks used",
        "playbooks_none": "No playbook drafts chosen.",
        "incident": "Incident",
        "severity": "Severity",
        "started": "Started",
        "state": "State",
        "pages_count": "Pages",
        "off_hours_mark": "off-hours",
        "chart": "Mentions per hour and negative share",
        "chart_alt": "Chart: mentions per hour and negative share per brand, incidents marked",
        "chart_mentions": "mentions/hour",
        "chart_share": "negative share",
        "chart_no_mentions": "no mentions",
        "chart_summary": "{mentions} mentions, {share} negative",
        "chart_summary_empty": "{mentions} mentions",
        "chart_share_sparse": "negative share shown only from {minimum} mentions per hour",
        "chart_no_brands": "no brands – no data",
        "more_brands": "… and {count} (see the report)",
        "report_hint": "Details and chart in the report.",
        "generated": "Generated by warner. Time zone: {tz}.",
    },
}

SEVERITY: dict[Language, dict[str, str]] = {
    "de": {"critical": "kritisch", "warning": "Warnung", "info": "Info"},
    "en": {"critical": "critical", "warning": "warning", "info": "info"},
}

CHANNEL: dict[Language, dict[str, str]] = {
    "de": {
        "telegram": "Telegram",
        "sms": "SMS",
        "call": "Anruf",
        "email": "E-Mail",
        "teams": "Microsoft Teams",
        "slack": "Slack",
        "console": "Konsole",
    },
    "en": {
        "telegram": "Telegram",
        "sms": "SMS",
        "call": "phone call",
        "email": "e-mail",
        "teams": "Microsoft Teams",
        "slack": "Slack",
        "console": "console",
    },
}

STATE: dict[Language, dict[str, str]] = {
    "de": {
        "open": "offen",
        "acknowledged": "übernommen",
        "snoozed": "stumm",
        "resolved": "gelöst",
        "false_alarm": "Fehlalarm",
    },
    "en": {
        "open": "open",
        "acknowledged": "acknowledged",
        "snoozed": "snoozed",
        "resolved": "resolved",
        "false_alarm": "false alarm",
    },
}


PLURALS: dict[Language, dict[str, tuple[str, str]]] = {
    "de": {
        "incident": ("{n} Vorfall", "{n} Vorfälle"),
        "failed": ("{n} fehlgeschlagener Versuch", "{n} fehlgeschlagene Versuche"),
        "brand": ("{n} weitere Marke", "{n} weitere Marken"),
    },
    "en": {
        "incident": ("{n} incident", "{n} incidents"),
        "failed": ("{n} failed attempt", "{n} failed attempts"),
        "brand": ("{n} more brand", "{n} more brands"),
    },
}


def plural(language: Language, key: str, n: int) -> str:
    """'1 Vorfall', '3 Vorfälle' (one/other is all German and English need)."""
    one, other = PLURALS[language][key]
    return (one if n == 1 else other).format(n=format_int(n, language))


def text(language: Language, key: str, **values: object) -> str:
    """The catalogue entry ``key`` in ``language``, filled in."""
    return TEXT[language][key].format(**values)


def format_int(value: int, language: Language) -> str:
    """1382 -> '1.382' (de) or '1,382' (en)."""
    plain = f"{value:,}"
    return plain.replace(",", ".") if language == "de" else plain


def format_percent(share: float | None, language: Language) -> str:
    """0.183 -> '18 %' (de) or '18%' (en); below 10 % one decimal ('4,5 %'); None -> no data."""
    if share is None:
        return text(language, "no_data")
    value = share * 100
    number = f"{value:.1f}".removesuffix(".0") if 0 < value < 10 else f"{value:.0f}"
    return f"{number.replace('.', ',')} %" if language == "de" else f"{number}%"


def format_duration(seconds: float | None, language: Language) -> str:
    """240 -> '4 min', 4800 -> '1 h 20 min', 45 -> '45 s', 2 days -> '2 Tg. 3 h' / '2 d 3 h'; None -> no data."""
    if seconds is None:
        return text(language, "no_data")
    if seconds < 59.5:
        return f"{max(round(seconds), 0)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    day = "Tg." if language == "de" else "d"
    return f"{days} {day} {hours} h" if hours else f"{days} {day}"


def format_change(current: int, previous: int, language: Language) -> str:
    """The change against the previous week: '↑ +23 %', '↓ −40 %', '→ ±0 %', or 'new' when it was 0."""
    if previous == 0:
        return _arrow(0.0, " %" if language == "de" else "%") if current == 0 else text(language, "change_new")
    return _arrow((current - previous) / previous * 100, " %" if language == "de" else "%")


def format_points(current: float | None, previous: float | None, language: Language) -> str:
    """Change of a share in percentage points: '↑ +9 Pp.' / '↑ +9 pts'; empty when either week has no data."""
    if current is None or previous is None:
        return ""
    return _arrow((current - previous) * 100, f" {text(language, 'points')}")


def _arrow(change: float, unit: str) -> str:
    """'↑ +23 %': an arrow only for a change that shows after rounding."""
    rounded = round(change)
    if rounded == 0:
        return f"→ ±0{unit}"
    return f"↑ +{rounded}{unit}" if rounded > 0 else f"↓ −{-rounded}{unit}"


def format_day(when: datetime, language: Language) -> str:
    """'Mo 16.11.' (de) or 'Mon 16 Nov' (en)."""
    weekday = WEEKDAYS[language][when.weekday()]
    if language == "de":
        return f"{weekday} {when:%d.%m.}"
    return f"{weekday} {when.day} {MONTHS_EN[when.month - 1]}"


def format_date(when: datetime, language: Language) -> str:
    """'16.11.2026' (de) or '16 Nov 2026' (en)."""
    return f"{when:%d.%m.%Y}" if language == "de" else f"{when.day} {MONTHS_EN[when.month - 1]} {when.year}"


def format_moment(when: datetime, language: Language) -> str:
    """'Sa 21.11. 21:04' (de) or 'Sat 21 Nov 21:04' (en)."""
    return f"{format_day(when, language)} {when:%H:%M}"


def language_of(value: str | None) -> Language:
    """'en'/'en-GB' -> 'en', anything else German (the default for a German team)."""
    return "en" if value and value.lower().startswith("en") else "de"


def shorten_term(term: str, chars: int = 40) -> str:
    """Untrusted text (a mention term, a label) on one line, at most ``chars`` characters."""
    flat = " ".join(term.split())
    return flat if len(flat) <= chars else flat[: chars - 1] + "…"
