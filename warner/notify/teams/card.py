"""An announcement as a Microsoft Teams message: an Adaptive Card 1.4 inside the Workflows envelope.

The envelope (``{"type": "message", "attachments": [...]}``) is what the Workflows trigger
"When a Teams webhook request is received" expects and posts as the card. TextBlock and
FactSet render a Markdown subset, so only warner's own words and config names go there; the
posts are untrusted text and go into ``TextRun``s, which render no Markdown (a post cannot
smuggle in a link or bold text).
"""

from __future__ import annotations

from typing import Any

from warner.notify.announcement import Announcement

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
_COLOUR = {"critical": "Attention", "warning": "Warning", "info": "Accent"}


def message(card: dict[str, Any]) -> dict[str, Any]:
    """The Workflows webhook body carrying one Adaptive Card."""
    return {"type": "message", "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}]}


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An Adaptive Card 1.4 of ``body`` elements, full width in Teams."""
    content: dict[str, Any] = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": VERSION, "body": body}
    if actions:
        content["actions"] = actions
    content["msteams"] = {"width": "Full"}
    return content


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def fact_set(facts: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]}


def plain_text(text: str, **style: Any) -> dict[str, Any]:
    """Untrusted text, shown as written (a TextRun renders no Markdown)."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def incident_card(a: Announcement) -> dict[str, Any]:
    """The card of one page: headline, what happened, the figures, the top posts, the console link."""
    body = [
        text_block(a.headline, size="Large", weight="Bolder", color=_COLOUR.get(a.severity, "Default")),
        text_block(a.subject, spacing="None", weight="Bolder" if a.closing else "Default"),
    ]
    if a.facts:
        body.append(fact_set(a.facts))
    if a.posts:
        body.append(text_block(a.posts_title, weight="Bolder", separator=True))
        for post in a.posts:
            body.append(plain_text(post.text))
            byline = " · ".join(p for p in (post.author, post.reach) if p)
            style: dict[str, Any] = {"isSubtle": True, "size": "Small"}
            if post.url:
                style["selectAction"] = {"type": "Action.OpenUrl", "url": post.url}
            body.append(plain_text(byline, **style) | {"spacing": "None"})
    actions = [open_url(a.console_label, a.console_url)] if a.console_url else None
    return card(body, actions)
