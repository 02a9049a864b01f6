"""Reply drafts on Telegram: the list behind the alert's Drafts button, and a chosen draft ready to copy.

The playbook engine (elsewhere) ranks and renders the drafts; the bot only shows them. A
chosen draft's text goes inside ``<pre>`` so the client offers a copy button and the text
arrives exactly as rendered (HTML-escaped, never interpreted). Every message stays under
Telegram's 4096 characters by splitting between blocks — never inside a tag.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from warner.core import Language
from warner.notify.telegram.render import MAX_MESSAGE, shorten

TOP_DRAFTS = 3
TITLE_CHARS = 120
REASON_CHARS = 300
LINE_CHARS = 1000  # one checklist item or warning
_PRE = "<pre></pre>"


@dataclass(frozen=True, slots=True)
class DraftOption:
    """One suggested reply in the drafts list; ``key`` (1–3 of ``[A-Za-z0-9_-]``) goes into the button."""

    key: str  # e.g. "0", "1", "2"
    title: str  # e.g. "Haltestatement · Produktmangel"
    reason: str  # why it fits, e.g. "Treffer: rückruf, glassplitter"


@dataclass(frozen=True, slots=True)
class ChosenDraft:
    """The draft a person picked, rendered for this incident, with what to check before posting it."""

    text: str  # the public reply, exactly as it should be posted
    short_text: str | None = None  # a short variant (e.g. for X), if the playbook has one
    checklist: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. "länger als 280 Zeichen (312)"


TEXT: dict[Language, dict[str, str]] = {
    "de": {
        "list": "📝 <b>Entwürfe</b> für Vorfall <code>{incident_id}</code>:",
        "list_hint": (
            "Tippe auf einen Entwurf, um den Text zum Kopieren zu bekommen. Deine Wahl wird im Vorfall vermerkt."
        ),
        "none": (
            "📝 Für Vorfall <code>{incident_id}</code> passt kein Entwurf aus den Playbooks. Bitte selbst formulieren."
        ),
        "chosen": "📝 <b>Entwurf</b> für Vorfall <code>{incident_id}</code> – Text zum Kopieren:",
        "short": "<b>Kurzfassung:</b>",
        "checklist": "<b>Vor dem Posten prüfen:</b>",
        "warnings": "⚠️ <b>Hinweise:</b>",
        "sent": "Entwurf gesendet.",
    },
    "en": {
        "list": "📝 <b>Drafts</b> for incident <code>{incident_id}</code>:",
        "list_hint": "Tap a draft to get its text to copy. Your choice is recorded in the incident.",
        "none": "📝 No playbook draft fits incident <code>{incident_id}</code>. Please write your own reply.",
        "chosen": "📝 <b>Draft</b> for incident <code>{incident_id}</code> – text to copy:",
        "short": "<b>Short version:</b>",
        "checklist": "<b>Check before posting:</b>",
        "warnings": "⚠️ <b>Warnings:</b>",
        "sent": "Draft sent.",
    },
}


def text(language: Language, key: str, **values: str) -> str:
    """The catalogue entry ``key`` in ``language``; values are escaped (the entries are HTML)."""
    return TEXT[language][key].format(**{k: _escape(v) for k, v in values.items()})


def render_list(incident_id: str, options: list[DraftOption], language: Language) -> str:
    """The drafts list as HTML: numbered titles with the reason each one fits (the first ``TOP_DRAFTS``)."""
    if not options:
        return text(language, "none", incident_id=incident_id)
    lines = [text(language, "list", incident_id=incident_id), ""]
    for n, option in enumerate(options[:TOP_DRAFTS], 1):
        lines.append(f"{n}. <b>{_escape(shorten(option.title, TITLE_CHARS))}</b>")
        lines.append(f"    {_escape(shorten(option.reason, REASON_CHARS))}")
    lines += ["", text(language, "list_hint")]
    return "\n".join(lines)


def render_chosen(incident_id: str, draft: ChosenDraft, language: Language, limit: int = MAX_MESSAGE) -> list[str]:
    """The chosen draft as one or more HTML messages of at most ``limit`` characters each."""
    units: list[tuple[str, str]] = []  # (separator before it, HTML that is complete in itself)
    units += _copyable(text(language, "chosen", incident_id=incident_id), draft.text, "", limit)
    if draft.short_text:
        units += _copyable(text(language, "short"), draft.short_text, "\n\n", limit)
    units += _numbered(text(language, "checklist"), [f"{n}." for n in range(1, len(draft.checklist) + 1)],
                       draft.checklist)  # fmt: skip
    units += _numbered(text(language, "warnings"), ["•"] * len(draft.warnings), draft.warnings)
    messages: list[str] = []
    for separator, unit in units:
        if messages and len(messages[-1]) + len(separator) + len(unit) <= limit:
            messages[-1] += separator + unit
        else:
            messages.append(unit)
    return messages


def _copyable(label: str, raw: str, separator: str, limit: int) -> list[tuple[str, str]]:
    """``label`` and ``raw`` in ``<pre>``; split into several ``<pre>`` only if one would not fit in a message."""
    room = limit - len(label) - 1 - len(_PRE)
    chunks = _split_escaped(raw, room)
    units = [(separator, f"{label}\n<pre>{chunks[0]}</pre>")]
    return units + [("\n", f"<pre>{chunk}</pre>") for chunk in chunks[1:]]


def _split_escaped(raw: str, room: int) -> list[str]:
    """``raw`` HTML-escaped, in pieces of at most ``room`` characters, cut after whitespace where possible."""
    escaped = [_escape(c) for c in raw]
    chunks, start = [], 0
    while True:
        end, size = start, 0
        while end < len(raw) and size + len(escaped[end]) <= room:
            size += len(escaped[end])
            end += 1
        if end < len(raw):
            cut = max(raw.rfind(" ", start, end), raw.rfind("\n", start, end))
            if cut > start + (end - start) // 2:
                end = cut + 1
        chunks.append("".join(escaped[start:end]))
        if end >= len(raw):
            return chunks
        start = end


def _numbered(heading: str, marks: list[str], items: list[str]) -> list[tuple[str, str]]:
    """A heading and one line per item; the heading travels with the first item."""
    lines = [f"{mark} {_escape(shorten(item, LINE_CHARS))}" for mark, item in zip(marks, items, strict=True)]
    if not lines:
        return []
    return [("\n\n", f"{heading}\n{lines[0]}"), *[("\n", line) for line in lines[1:]]]


def _escape(raw: str) -> str:
    return html.escape(raw, quote=False)
