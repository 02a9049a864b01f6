"""What a team-chat announcement says, in German or English, as plain data both chat cards are drawn from.

Teams (Adaptive Card) and Slack (Block Kit) show the same things — severity and brand, the
kind of page, the figures a responder checks first, the posts driving the storm, the state
line once somebody acted, a link to the console — so the words live here once and each
channel only lays them out. Acknowledged and resolved pages are short: the state line is
the news, the figures were in the first message (webhooks cannot edit it).

Post texts, authors and brand labels are untrusted; this module keeps them as plain strings
(shortened, whitespace collapsed) and each layout decides how to escape them for its markup.
A post's URL is kept only when it is an ``https`` URL without characters either markup treats
specially.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from urllib.parse import quote

from warner.core import BERLIN, Language
from warner.notify.base import Page

POST_CHARS = 280
_SAFE_URL = re.compile(r"^https://[^\s<>|\"'()\[\]{}`]+$")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

SEVERITY_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵"}

WORDS: dict[Language, dict[str, str]] = {
    "de": {
        "critical": "KRITISCH", "warning": "WARNUNG", "info": "INFO",
        "new": "Neuer Vorfall {id}", "update": "Aktualisiert: Vorfall {id}",
        "escalation": "Eskalation (Stufe {level}): Vorfall {id}",
        "reminder": "Erinnerung: Vorfall {id} ist noch nicht übernommen",
        "acknowledged": "Vorfall {id}: übernommen", "resolved": "Vorfall {id}: erledigt",
        "mentions": "Erwähnungen", "mentions_value": "{mentions} (sonst {usual})",
        "almost_none": "fast keine", "negative": "Negativ", "since": "Seit", "state": "Status",
        "top_posts": "Beiträge mit der größten Reichweite", "reach": "Reichweite {reach}",
        "open_post": "Beitrag öffnen", "open_console": "In der Konsole öffnen", "acknowledge": "Übernehmen",
    },
    "en": {
        "critical": "CRITICAL", "warning": "WARNING", "info": "INFO",
        "new": "New incident {id}", "update": "Updated: incident {id}",
        "escalation": "Escalation (level {level}): incident {id}",
        "reminder": "Reminder: incident {id} is not acknowledged yet",
        "acknowledged": "Incident {id}: acknowledged", "resolved": "Incident {id}: resolved",
        "mentions": "Mentions", "mentions_value": "{mentions} (usually {usual})",
        "almost_none": "almost none", "negative": "Negative", "since": "Since", "state": "State",
        "top_posts": "Posts with the widest reach", "reach": "reach {reach}",
        "open_post": "Open post", "open_console": "Open in the console", "acknowledge": "Acknowledge",
    },
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Post:
    """One of the posts driving the storm, as the announcement shows it."""

    text: str
    author: str | None
    reach: str  # "Reichweite 12.000"
    url: str | None  # https only, safe in Markdown and mrkdwn links


@dataclass(frozen=True, slots=True)
class Announcement:
    headline: str  # "🔴 KRITISCH · Brauerei Kesselberg"
    subject: str  # "Neuer Vorfall kesselberg:12"
    facts: tuple[tuple[str, str], ...]  # (title, value), in display order
    posts: tuple[Post, ...]
    posts_title: str
    post_label: str  # "Beitrag öffnen"
    console_url: str | None  # the incident's page in the web console
    console_label: str
    ack_label: str
    closing: bool  # acknowledged or resolved: nothing left to acknowledge
    state_line: str | None  # "Übernommen von Anna, 21:04"
    severity: str
    incident_id: str

    @property
    def fallback(self) -> str:
        """One line for notifications and clients that cannot show the card."""
        return f"{self.headline}: {self.subject}" + (f" — {self.state_line}" if self.state_line else "")


def announcement(
    page: Page, *, label: str | None = None, console_url: str | None = None, tz: tzinfo = BERLIN, top_posts: int = 3
) -> Announcement:
    """The announcement of ``page`` in its recipient's language (German unless the recipient reads English)."""
    lang: Language = page.recipient.language if page.recipient.language in WORDS else "de"
    words = WORDS[lang]
    incident = page.incident
    closing = page.kind in ("acknowledged", "resolved")
    facts: list[tuple[str, str]] = []
    if not closing:
        usual = _decimal(incident.expected, lang) if incident.expected >= 0.05 else words["almost_none"]
        facts += [
            (words["mentions"], words["mentions_value"].format(mentions=_int(incident.mentions, lang), usual=usual)),
            (words["negative"], _percent(incident.negative_share, lang)),
            (words["since"], _moment(incident.started_at, tz, lang)),
        ]
    if page.state_line:
        facts.append((words["state"], page.state_line))
    posts = () if closing else tuple(_post(t.text, t.author, t.reach, t.url, lang) for t in incident.top[:top_posts])
    return Announcement(
        headline=f"{SEVERITY_ICON.get(incident.severity, '')} {words[incident.severity]} · {label or incident.brand}",
        subject=words[page.kind].format(id=incident.id, level=page.escalation_level + 1),
        facts=tuple(facts),
        posts=posts,
        posts_title=words["top_posts"],
        post_label=words["open_post"],
        console_url=incident_url(console_url, incident.id),
        console_label=words["open_console"],
        ack_label=words["acknowledge"],
        closing=closing,
        state_line=page.state_line,
        severity=incident.severity,
        incident_id=incident.id,
    )


def incident_url(console_url: str | None, incident_id: str) -> str | None:
    """The console's page of the incident (``GET /incidents/{id}``), or None without a public console URL."""
    if not console_url:
        return None
    return f"{console_url.rstrip('/')}/incidents/{quote(incident_id, safe=':')}"


def safe_url(url: str | None) -> str | None:
    """``url`` if it is https and safe inside Markdown and mrkdwn links; None otherwise."""
    return url if url and _SAFE_URL.match(url) else None


def shorten(text: str, limit: int = POST_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _post(text: str, author: str | None, reach: int, url: str | None, lang: Language) -> Post:
    return Post(
        text=shorten(text),
        author=shorten(author, 80) if author else None,
        reach=WORDS[lang]["reach"].format(reach=_int(reach, lang)),
        url=safe_url(url),
    )


def _int(value: int, lang: Language) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "de" else text


def _decimal(value: float, lang: Language) -> str:
    text = f"{value:.1f}".removesuffix(".0") if value < 10 else _int(round(value), lang)
    return text.replace(".", ",") if lang == "de" and value < 10 else text


def _percent(share: float, lang: Language) -> str:
    number = round(share * 100)
    return f"{number} %" if lang == "de" else f"{number}%"


def _moment(epoch: int, tz: tzinfo, lang: Language) -> str:
    when = datetime.fromtimestamp(epoch, UTC).astimezone(tz)
    if lang == "de":
        return f"{when:%d.%m.}, {when:%H:%M}"
    return f"{when.day} {_MONTHS_EN[when.month - 1]}, {when:%H:%M}"
