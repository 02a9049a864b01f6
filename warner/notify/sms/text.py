"""The SMS text of a page: one GSM-7 segment (160 characters) in the recipient's language.

A single segment is what every carrier delivers intact and cheaply; a non-GSM character
(an emoji in a brand name, a "ł") would switch the whole message to UCS-2 and cut the limit
to 70. So text is transliterated to GSM-7 first, and when it is still too long the brand
label and then the figures are shortened — never the incident id or the ack code, which are
what the person needs to act.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, tzinfo

from warner.core import BERLIN, Language
from warner.notify.base import Page

SMS_LIMIT = 160

# GSM 03.38 default alphabet (ESC 0x1B excluded) and its extension table (2 septets each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Characters outside GSM-7 that have an obvious stand-in (NFKD handles most accents).
_TRANSLITERATE = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
    "œ": "oe", "Œ": "OE", "ı": "i", "ç": "Ç",
    "„": '"', "“": '"', "”": '"', "«": '"', "»": '"', "‚": "'", "‘": "'", "’": "'", "´": "'", "`": "'",
    "–": "-", "—": "-", "‑": "-", "…": "...", "•": "-", "·": ".", "×": "x",
    "\u00a0": " ", "\u202f": " ", "\t": " ",
}  # fmt: skip

CATALOGUE: dict[Language, dict[str, str]] = {
    "de": {
        "info": "INFO", "warning": "WARNUNG", "critical": "KRITISCH",
        "new": "", "update": "UPDATE ", "escalation": "ESKALATION ", "reminder": "ERINNERUNG ",
        "acknowledged": "UEBERNOMMEN", "resolved": "ERLEDIGT",
        "figures": "{mentions} Erwaehnungen seit {since}, sonst {usual}, {negative}% negativ",
        "almost_none": "fast keine",
        "reply": "Antwort OK {code} = uebernehmen",
    },
    "en": {
        "info": "INFO", "warning": "WARNING", "critical": "CRITICAL",
        "new": "", "update": "UPDATE ", "escalation": "ESCALATION ", "reminder": "REMINDER ",
        "acknowledged": "ACKNOWLEDGED", "resolved": "RESOLVED",
        "figures": "{mentions} mentions since {since}, usually {usual}, {negative}% negative",
        "almost_none": "almost none",
        "reply": "Reply OK {code} = acknowledge",
    },
}  # fmt: skip


def gsm7_length(text: str) -> int | None:
    """Septets ``text`` needs in GSM-7 (extension characters count 2); None if it cannot be GSM-7."""
    n = 0
    for ch in text:
        if ch in GSM7_BASIC:
            n += 1
        elif ch in GSM7_EXTENSION:
            n += 2
        else:
            return None
    return n


def to_gsm7(text: str) -> str:
    """Replace or transliterate what GSM-7 lacks ("ł"→"l", "…"→"..."); drop the rest (emoji)."""
    out: list[str] = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
        elif ch in _TRANSLITERATE:
            out.append(_TRANSLITERATE[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append("".join(c for c in base if c in GSM7_BASIC or c in GSM7_EXTENSION))
    return " ".join("".join(out).split())


def truncate_gsm7(text: str, budget: int) -> str:
    """The longest prefix of GSM-7 ``text`` within ``budget`` septets (never half an escape)."""
    n = 0
    for i, ch in enumerate(text):
        n += 2 if ch in GSM7_EXTENSION else 1
        if n > budget:
            return text[:i].rstrip()
    return text


def sms_text(page: Page, *, label: str | None = None, tz: tzinfo = BERLIN) -> str:
    """The page as at most 160 GSM-7 characters, always with the incident id and the ack code.

    e.g. ``warner KRITISCH kesselberg:12 Brauerei Kesselberg: 184 Erwaehnungen seit 19:50,
    sonst 4,2, 70% negativ. Antwort OK 482193 = uebernehmen`` — counts a person can check, not
    a ratio against a baseline near zero ("480x normal"). Acknowledged and resolved pages carry the state
    line instead of figures and no reply instruction: there is nothing left to acknowledge.
    """
    words = CATALOGUE.get(page.recipient.language, CATALOGUE["de"])
    incident = page.incident
    closing = page.kind in ("acknowledged", "resolved")
    status = words[page.kind] if closing else words[page.kind] + words[incident.severity]
    head = to_gsm7(f"warner {status} {incident.id}")
    name = to_gsm7(label or incident.brand)
    if closing:
        body = to_gsm7(page.state_line or "")
        tail = ""
    else:
        since = datetime.fromtimestamp(incident.started_at, UTC).astimezone(tz).strftime("%H:%M")
        body = to_gsm7(
            words["figures"].format(
                mentions=incident.mentions,
                usual=_usual(incident.expected, page.recipient.language) or words["almost_none"],
                negative=round(incident.negative_share * 100),
                since=since,
            )
        )
        if page.state_line:
            body = f"{body}. {to_gsm7(page.state_line)}"
        tail = ". " + to_gsm7(words["reply"].format(code=page.ack_code))
    return _fit(head, name, body, tail)


def _fit(head: str, name: str, body: str, tail: str) -> str:
    """``head name: body tail`` within the limit, shortening the name first, then the body."""

    def join(n: str, b: str) -> str:
        text = head + (f" {n}" if n else "")
        return text + (f": {b}" if b else "") + tail

    text = join(name, body)
    excess = _septets(text) - SMS_LIMIT
    if excess <= 0:
        return text
    short_name = truncate_gsm7(name, max(_septets(name) - excess, 0))
    if len(short_name) < 3:
        short_name = ""
    text = join(short_name, body)
    excess = _septets(text) - SMS_LIMIT
    if excess > 0:
        body = truncate_gsm7(body, max(_septets(body) - excess, 0))
        text = join(short_name, body)
    if _septets(text) > SMS_LIMIT:  # only an absurdly long id could get here: keep id and code
        text = truncate_gsm7(head + tail, SMS_LIMIT)
    return text


def _septets(text: str) -> int:
    length = gsm7_length(text)
    assert length is not None, "text must be GSM-7 here"
    return length


def _usual(expected: float, language: Language) -> str | None:
    """What was expected over the incident so far: '4,2', '51' (de); None when almost nothing."""
    if expected < 0.05:
        return None
    text = f"{expected:.1f}".removesuffix(".0") if expected < 10 else str(round(expected))
    return text.replace(".", ",") if language == "de" else text
