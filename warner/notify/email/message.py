"""A page as a mail: subject, a plain-text and an HTML part, and the headers that thread it.

Mail clients group a conversation by ``References``/``In-Reply-To``. The first mail about an
incident (the ``new`` page) gets a Message-ID derived from the incident alone
(``thread_id``); every later mail about it — update, reminder, escalation, acknowledged,
resolved — gets its own id and refers to that one, so they land under the first mail. Each
person's copy of the first mail has the same id; they sit in different mailboxes, and a
retried first mail is recognised as the same mail.

Brand labels, mention texts, authors and links are untrusted: both parts are rendered by a
sandboxed Jinja2, the HTML one autoescaped, links only ``http(s)``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from warner.core import BERLIN, Language
from warner.incidents.model import Incident, TopMention
from warner.notify.base import Page
from warner.notify.email import texts
from warner.notify.telegram import texts as telegram_texts
from warner.notify.telegram.render import format_day, format_int, format_reach, safe_url, shorten, volume_line

TEMPLATES = Path(__file__).parent / "templates"
TOP_MENTIONS = 3
MENTION_CHARS = 300
SUBJECT_BRAND_CHARS = 60
_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
MAIL_POLICY = policy.default.clone(max_line_length=998)
"""Headers unfolded up to SMTP's line limit: Python's folder leaves a double space where it folds
between a word and an encoded word ("Kesselberg  – 410"), which clients then show."""
CTE = "quoted-printable"  # 7-bit safe through any relay, still readable in the raw mail
COLOURS = {"critical": "#b71c1c", "warning": "#e65100", "info": "#1565c0"}


@dataclass(frozen=True, slots=True)
class Sender:
    """Who page mails come from, and what they link to."""

    address: str
    name: str = "warner"
    console_url: str | None = None  # the console's base URL; None = no link
    sms_replies: bool = False  # an SMS reply with the ack code acknowledges (notify.sms.inbound)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()


def thread_id(incident: Incident, domain: str) -> str:
    """The Message-ID of the first mail about ``incident``; its start time tells apart a reused number."""
    brand = _ATEXT.sub("-", incident.brand).strip("-") or "brand"
    return f"<warner.{brand}.{incident.number}.{incident.started_at}@{domain}>"


def message_id(domain: str) -> str:
    return f"<warner.{secrets.token_hex(12)}@{domain}>"


def incident_link(console_url: str | None, incident: Incident) -> str | None:
    """The console's incident page (``GET /incidents/{id}``), or None without a console."""
    if not console_url:
        return None
    return f"{console_url.rstrip('/')}/incidents/{quote(incident.id, safe=':')}"


def page_mail(
    page: Page, sender: Sender, *, label: str | None = None, tz: tzinfo = BERLIN, bucket_s: float = 60.0
) -> EmailMessage:
    """The mail for ``page`` to its recipient, in their language; the recipient must have an address."""
    assert page.recipient.email, "only for recipients with an e-mail address"
    view = page_view(page, sender, label=label, tz=tz, bucket_s=bucket_s)
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = view["subject"]
    message["From"] = Address(sender.name, addr_spec=sender.address)
    message["To"] = Address(page.recipient.name, addr_spec=page.recipient.email)
    message["Date"] = format_datetime(datetime.now(UTC))
    root = thread_id(page.incident, sender.domain)
    if page.kind == "new":
        message["Message-ID"] = root
    else:
        message["Message-ID"] = message_id(sender.domain)
        message["In-Reply-To"] = root
        references = [root] + ([page.message_ref] if page.message_ref and page.message_ref != root else [])
        message["References"] = " ".join(references)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to warner
    if page.incident.severity == "critical" and page.kind not in ("acknowledged", "resolved"):
        message["Importance"] = "high"
        message["X-Priority"] = "1"
    message.set_content(_environment(html=False).get_template("page.txt.j2").render(view), cte=CTE)
    html = _environment(html=True).get_template("page.html.j2").render(view)
    message.add_alternative(html, subtype="html", cte=CTE)
    message["Content-Language"] = page.recipient.language  # after the content: set_content drops Content-*
    return message


def page_view(page: Page, sender: Sender, *, label: str | None, tz: tzinfo, bucket_s: float) -> dict[str, Any]:
    """What both parts show, already worded in the recipient's language."""
    lang = page.recipient.language
    incident = page.incident
    brand = label or incident.brand
    severity = texts.SEVERITY[lang][incident.severity]
    closing = page.kind in ("acknowledged", "resolved")
    notice = {
        "escalation": texts.text(lang, "escalation", level=page.escalation_level),
        "reminder": texts.text(lang, "reminder"),
        "acknowledged": texts.text(lang, "acknowledged"),
        "resolved": texts.text(lang, "resolved"),
    }.get(page.kind)
    return {
        "w": texts.WORDS[lang],
        "lang": lang,
        "subject": subject(page, label=label),
        "severity": severity,
        "colour": COLOURS.get(incident.severity, "#1d1d1f"),
        "brand": brand,
        "headline": f"{severity} · {brand}",
        "notice": notice,
        "figures": _figures(incident, lang, tz, bucket_s),
        "state_line": page.state_line,
        "top": [] if closing else [_mention(m, lang) for m in incident.top[:TOP_MENTIONS]],
        "console_link": incident_link(sender.console_url, incident),
        "sms_code": texts.text(lang, "sms_reply", code=page.ack_code)
        if sender.sms_replies and page.ack_code and page.recipient.phone and not closing
        else None,
        "incident_id": incident.id,
        "footer": texts.text(lang, "footer", brand=brand),
    }


def subject(page: Page, *, label: str | None = None) -> str:
    """'[warner] KRITISCH: Brauerei Kesselberg – 240 Erwähnungen, 78 % negativ' in the recipient's language."""
    lang = page.recipient.language
    incident = page.incident
    brand = shorten(label or incident.brand, SUBJECT_BRAND_CHARS)
    severity = texts.SEVERITY[lang][incident.severity]
    if page.kind in ("acknowledged", "resolved"):
        status = texts.text(lang, f"status_{page.kind}")
        return texts.text(lang, "subject_closing", status=status, brand=brand, incident_id=incident.id)
    status = severity
    if page.kind in ("update", "escalation", "reminder"):
        status = texts.text(lang, f"status_{page.kind}", severity=severity, level=page.escalation_level)
    mentions = telegram_texts.counted(lang, "mention", incident.mentions, format_int(incident.mentions, lang))
    return texts.text(
        lang, "subject", status=status, brand=brand, mentions=mentions, share=round(incident.negative_share * 100)
    )


def _figures(incident: Incident, lang: Language, tz: tzinfo, bucket_s: float) -> list[str]:
    started = datetime.fromtimestamp(incident.started_at, tz)
    lines = [
        volume_line(incident, lang, bucket_s),
        telegram_texts.text(lang, "negative", share=round(incident.negative_share * 100)),
        telegram_texts.text(lang, "since", time=f"{started:%H:%M}", date=format_day(started, lang)),
    ]
    if incident.status == "subsiding":
        lines.append(telegram_texts.text(lang, "subsiding").removeprefix("📉 "))
    elif incident.status == "closed" and incident.ended_at:
        ended = datetime.fromtimestamp(incident.ended_at, tz)
        lines.append(telegram_texts.text(lang, "closed", time=f"{ended:%H:%M}").removeprefix("⏹ "))
    return lines


def _mention(mention: TopMention, lang: Language) -> dict[str, str | None]:
    text = shorten(mention.text, MENTION_CHARS)
    details = [mention.author] if mention.author else []
    details.append(telegram_texts.text(lang, "reach", reach=format_reach(mention.reach, lang)))
    return {
        "quoted": f"„{text}“" if lang == "de" else f"“{text}”",
        "details": " · ".join(details),
        "url": safe_url(mention.url),
        "link": telegram_texts.text(lang, "link"),
    }


@cache
def _environment(*, html: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
