"""An announcement as a Slack message: Block Kit blocks and a plain ``text`` for notifications.

Slack parses ``mrkdwn`` for links and mentions (``<!channel>`` would ping everybody), so every
value placed in mrkdwn has ``&``, ``<`` and ``>`` escaped as Slack asks; the posts are untrusted
and go into ``plain_text``, which Slack shows as written. Slack's limits are kept: a header of
150 characters, a button label of 75, at most 10 fields per section.
"""

from __future__ import annotations

from typing import Any

from warner.notify.announcement import Announcement, shorten

ACK_ACTION = "warner_ack"  # action_id of the acknowledge button; its value is the incident id
CONSOLE_ACTION = "warner_console"
HEADER_CHARS = 150
BUTTON_CHARS = 75
MAX_FIELDS = 10


def escape(text: str) -> str:
    """Text as literal mrkdwn: the three characters Slack reads as control characters, escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": shorten(text, HEADER_CHARS), "emoji": True}}


def section(text: str, fields: list[tuple[str, str]] | tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """A section of mrkdwn ``text`` (escaped here) with ``*title*\\nvalue`` fields."""
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": escape(text)}}
    if fields:
        block["fields"] = [
            {"type": "mrkdwn", "text": f"*{escape(title)}*\n{escape(value)}"} for title, value in fields[:MAX_FIELDS]
        ]
    return block


def plain_section(text: str) -> dict[str, Any]:
    """Untrusted text, shown as written."""
    return {"type": "section", "text": {"type": "plain_text", "text": shorten(text, 3000), "emoji": False}}


def context(*parts: str) -> dict[str, Any]:
    """A line of small print; ``parts`` are mrkdwn and must already be escaped."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": part} for part in parts]}


def link_button(label: str, url: str, action_id: str) -> dict[str, Any]:
    return {"type": "button", "text": _label(label), "url": url, "action_id": action_id}


def incident_message(a: Announcement, *, ack_button: bool = False) -> dict[str, Any]:
    """The message of one page; ``ack_button`` adds "Übernehmen" (signed interactions configured)."""
    blocks = [header(a.headline), section(f"*{a.subject}*" if a.closing else a.subject, a.facts)]
    for post in a.posts:
        blocks.append(plain_section(post.text))
        byline = [escape(p) for p in (post.author, post.reach) if p]
        if post.url:
            byline.append(f"<{post.url}|{escape(a.post_label)}>")
        blocks.append(context(" · ".join(byline)))
    blocks.append(context(f"warner · {escape(a.incident_id)}"))
    buttons = []
    if a.console_url:
        buttons.append(link_button(a.console_label, a.console_url, CONSOLE_ACTION))
    if ack_button and not a.closing:
        buttons.append({
            "type": "button", "text": _label(a.ack_label), "style": "primary",
            "action_id": ACK_ACTION, "value": a.incident_id,
        })  # fmt: skip
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": escape(a.fallback), "blocks": blocks}


def _label(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, BUTTON_CHARS), "emoji": True}
