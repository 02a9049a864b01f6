"""The alert as a Telegram HTML message: what a phone at night needs to see first.

Mention texts, authors and links are untrusted (anyone can post them): every piece of
user text is escaped, links are only ``http(s)``, and the message stays under Telegram's
4096-character limit by shortening mention texts before the HTML is assembled (an HTML
message cut afterwards would break).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from warner.core import BERLIN, Language
from warner.incidents.model import Incident, TopMention
from warner.notify.base import Page
from warner.notify.telegram import texts

MAX_MESSAGE = 4096
BUCKET_S = 60.0  # the default counting bucket (config.bucket); an incident spans at least one bucket
MENTION_CHARS = 220
TOP_MENTIONS = 3
_SPACE = re.compile(r"\s+")
_HREF = re.compile(r'href="([^"]*)"')  # safe: safe_url leaves no '"' in a link
_ID_END = "</code>"  # the incident id is the last <code> element; the state line follows it


def render_page(
    page: Page, brand_names: Mapping[str, str] | None = None, tz: ZoneInfo = BERLIN, bucket_s: float = BUCKET_S
) -> str:
    """The HTML text for ``page`` in its recipient's language; ``bucket_s`` is the counting bucket (config.bucket)."""
    lang = page.recipient.language
    brand = (brand_names or {}).get(page.incident.brand, page.incident.brand)
    for limit in (MENTION_CHARS, 80, 0):
        message = _render(page, brand, lang, tz, limit, bucket_s)
        if len(message) <= MAX_MESSAGE:
            return message
    return message[:MAX_MESSAGE]  # unreachable with sane brand names and state lines


def with_state_line(message_html: str, state_line: str) -> str:
    """``message_html`` (as rendered, or Telegram's ``text_html`` of it) with its state line replaced."""
    message_html = _HREF.sub(_escape_href, message_html)  # text_html leaves '&' in links unescaped
    head, found, _ = message_html.rpartition(_ID_END)
    base = head + found if found else message_html
    return f"{base}\n\n{_escape(state_line)}"


def _render(page: Page, brand: str, lang: Language, tz: ZoneInfo, mention_chars: int, bucket_s: float) -> str:
    incident = page.incident
    lines = [f"<b>{texts.SEVERITY[lang][incident.severity]} · {_escape(brand)}</b>"]
    if page.kind == "escalation":
        lines.append(texts.text(lang, "escalation", level=page.escalation_level))
    elif page.kind == "reminder":
        lines.append(texts.text(lang, "reminder"))
    lines += ["", *_figures(incident, lang, tz, bucket_s)]
    if mention_chars and incident.top:
        lines += ["", texts.text(lang, "top")]
        lines += [_mention(n, m, lang, mention_chars) for n, m in enumerate(incident.top[:TOP_MENTIONS], 1)]
    lines += ["", f"{texts.text(lang, 'incident')} <code>{_escape(incident.id)}</code>"]
    message = "\n".join(lines)
    if page.state_line:
        message = with_state_line(message, page.state_line)
    return message


def _figures(incident: Incident, lang: Language, tz: ZoneInfo, bucket_s: float) -> list[str]:
    started = datetime.fromtimestamp(incident.started_at, tz)
    figures = [
        volume_line(incident, lang, bucket_s),
        texts.text(lang, "negative", share=round(incident.negative_share * 100)),
        texts.text(lang, "since", time=f"{started:%H:%M}", date=format_day(started, lang)),
    ]
    if incident.status == "subsiding":
        figures.append(texts.text(lang, "subsiding"))
    elif incident.status == "closed" and incident.ended_at:
        figures.append(texts.text(lang, "closed", time=f"{datetime.fromtimestamp(incident.ended_at, tz):%H:%M}"))
    return figures


def _mention(n: int, mention: TopMention, lang: Language, chars: int) -> str:
    quoted = _escape(shorten(mention.text, chars))
    quote = f"„{quoted}“" if lang == "de" else f"“{quoted}”"
    details = [_escape(mention.author)] if mention.author else []
    details.append(texts.text(lang, "reach", reach=format_reach(mention.reach, lang)))
    url = safe_url(mention.url)
    if url:
        details.append(f'<a href="{html.escape(url, quote=True)}">{texts.text(lang, "link")}</a>')
    return f"{n}. {quote}\n    {' · '.join(details)}"


def safe_url(url: str | None) -> str | None:
    """An http(s) link with quotes, brackets, spaces and non-ASCII percent-encoded, or None."""
    if not url or not re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return None
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")


def _escape_href(match: re.Match[str]) -> str:
    return f'href="{html.escape(html.unescape(match.group(1)), quote=True)}"'


def shorten(text: str, chars: int) -> str:
    """One line of at most ``chars`` characters, cut at a word boundary where possible."""
    flat = _SPACE.sub(" ", text).strip()
    if len(flat) <= chars:
        return flat
    cut = flat[: chars - 1]
    if " " in cut[chars // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" .,;:") + "…"


def volume_line(incident: Incident, lang: Language, bucket_s: float = BUCKET_S) -> str:
    """How loud, in figures a person reads at a glance: '48 Erwähnungen in 1 Minute, sonst etwa 0,2'.

    A ratio against a baseline below one mention ("48× so viele … (48 statt 0)") says nothing
    a reader can check; the count, the time it took and what is usual in that time do.
    """
    mentions = texts.counted(lang, "mention", incident.mentions, format_int(incident.mentions, lang))
    span = format_span(incident.updated_at - incident.started_at + bucket_s, lang)
    usual = format_usual(incident.expected, lang)
    if usual is None:
        return texts.text(lang, "volume_none", mentions=mentions, span=span)
    return texts.text(lang, "volume", mentions=mentions, span=span, usual=usual)


def format_span(seconds: float, lang: Language) -> str:
    """A duration as people say it: '1 Minute', '25 Minuten', '2,5 Stunden', '3 Tagen' (de) or '2.5 hours' (en)."""
    if seconds < 60:
        n = max(round(seconds), 1)
        return texts.counted(lang, "second", n, str(n))
    minutes = round(seconds / 60)
    if minutes < 120:
        return texts.counted(lang, "minute", minutes, str(minutes))
    hours = seconds / 3600
    if hours < 48:
        return texts.counted(lang, "hour", hours, _decimal(hours, lang))
    days = seconds / 86400
    return texts.counted(lang, "day", days, _decimal(days, lang))


def format_usual(expected: float, lang: Language) -> str | None:
    """What the baseline expected, readable: '0,2', '3', '51', '1.200' (de); None when it is almost nothing."""
    if expected < 0.05:
        return None
    if expected < 10:
        return _decimal(expected, lang)
    return format_int(round(expected), lang)


def _decimal(value: float, lang: Language) -> str:
    """One decimal, none when it is zero: 0.24 -> '0,2', 3.02 -> '3' (de); '0.2', '3' (en)."""
    plain = f"{value:.1f}".removesuffix(".0")
    return plain.replace(".", ",") if lang == "de" else plain


def format_int(value: int, lang: Language) -> str:
    """1382 -> '1.382' (de) or '1,382' (en)."""
    plain = f"{value:,}"
    return plain.replace(",", ".") if lang == "de" else plain


def format_reach(reach: int, lang: Language) -> str:
    """Followers as people say them: '12.300', '1,2 Mio.' (de) or '12,300', '1.2M' (en)."""
    if reach >= 1_000_000:
        millions = f"{reach / 1_000_000:.1f}".removesuffix(".0")
        return f"{millions.replace('.', ',')} Mio." if lang == "de" else f"{millions}M"
    return format_int(reach, lang)


def format_day(when: datetime, lang: Language) -> str:
    """'Sa 21.11.' (de) or 'Sat 21 Nov' (en)."""
    weekday = texts.WEEKDAYS[lang][when.weekday()]
    if lang == "de":
        return f"{weekday} {when:%d.%m.}"
    return f"{weekday} {when.day} {texts.MONTHS_EN[when.month - 1]}"


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
