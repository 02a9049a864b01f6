"""What ``warner digest --format telegram`` prints: the messages each recipient would get, nothing sent.

The command used to deliver for real to every recipient the moment it was run to "see the
Telegram version". Printing is harmless, so it is the default; ``--send`` delivers. The
preview shows exactly what would go out — the chart's caption and the text as the HTML
Telegram receives — once per language, with the people who would get it.
"""

from __future__ import annotations

from warner.core import Language
from warner.digest.config import DigestSettings
from warner.digest.model import WeekFigures
from warner.digest.report import caption, telegram_text
from warner.digest.weekly import recipients


def telegram_preview(config: DigestSettings, figures: WeekFigures, chart_png: bytes | None, language: Language) -> str:
    """The preview text; without configured recipients, the messages in ``language``."""
    names = {p.telegram_id: p.id for p in config.oncall.people if p.telegram_id is not None}
    to = recipients(config)
    by_language: dict[Language, list[str]] = {}
    for chat_id, lang in to:
        by_language.setdefault(lang, []).append(f"{names.get(chat_id, '?')} ({chat_id})")
    if to and config.notify.telegram is not None:
        head = (
            f"Telegram messages of the digest of {figures.week}: not sent "
            f"(add --send to deliver them to {len(to)} recipient{'s' if len(to) != 1 else ''})."
        )
    else:
        head = (
            f"Telegram messages of the digest of {figures.week}: nobody to send them to "
            "(needs notify.telegram and digest.recipients with a telegram_id in oncall.people)."
        )
        by_language = {language: []}
    parts = [head]
    for lang, people in by_language.items():
        parts.append(f"\n=== {lang}{': ' + ', '.join(people) if people else ''} ===")
        if chart_png is not None:
            parts.append(f"[photo digest-{figures.week}.png, {len(chart_png) // 1024} KB] caption:")
            parts.append(caption(figures, lang))
            parts.append("")
        parts.append("[message]")
        parts.append(telegram_text(figures, lang))
    return "\n".join(parts)
