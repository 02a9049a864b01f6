"""A channel that prints pages to a terminal: for ``warner demo`` and for development.

It reaches everyone and never fails, so a demo or a development setup shows every page
that would have gone out, with who would have received it and the figures it carries.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping

from rich.console import Console
from rich.markup import escape

from warner.core import Recipient
from warner.notify.base import Delivery, Page

_STYLE = {"info": "cyan", "warning": "yellow", "critical": "bold red"}


class ConsoleChannel:
    """Prints one compact line per page on an injected rich ``Console``."""

    def __init__(self, console: Console, *, name: str = "console", labels: Mapping[str, str] | None = None) -> None:
        self.name = name
        self._console = console
        self._labels = dict(labels or {})
        self._refs = itertools.count(1)

    def can_reach(self, recipient: Recipient) -> bool:
        return True

    async def send(self, page: Page) -> Delivery:
        started = time.perf_counter()
        self._console.print(self.line(page), highlight=False)
        ref = f"{self.name}-{next(self._refs)}"
        return Delivery(self.name, page.recipient.id, ok=True, latency_s=time.perf_counter() - started, message_ref=ref)

    async def send_test(self, recipient: Recipient, text: str) -> Delivery:
        """A test page (``oncall/test_page.py``): the text, marked as such, with who it is for."""
        started = time.perf_counter()
        flat = " · ".join(part.strip() for part in text.splitlines() if part.strip())
        who = f"{escape(recipient.name)} ({escape(recipient.id)})"
        self._console.print(f"[dim]\\[test page → {who}][/dim] {escape(flat)}", highlight=False)
        ref = f"{self.name}-{next(self._refs)}"
        return Delivery(self.name, recipient.id, ok=True, latency_s=time.perf_counter() - started, message_ref=ref)

    def line(self, page: Page) -> str:
        """``[page new → Anna (anna)] CRITICAL kesselberg:12 Brauerei Kesselberg: 27.0x normal, …``"""
        i = page.incident
        label = self._labels.get(i.brand, i.brand)
        style = _STYLE.get(i.severity, "white")
        escalation = f" level {page.escalation_level}" if page.escalation_level else ""
        parts = [
            (
                f"[dim]\\[page {page.kind}{escalation} → {escape(page.recipient.name)}"
                f" ({escape(page.recipient.id)})][/dim]"
            ),
            f"[{style}]{i.severity.upper()}[/{style}] {escape(i.id)} {escape(label)}:",
            f"{i.mentions} mentions, {i.volume_ratio:.1f}x normal, {i.negative_share:.0%} negative, reach {i.reach}",
            f"· ack {escape(page.ack_code)}",
        ]
        if page.state_line:
            parts.append(f"· {escape(page.state_line)}")
        return " ".join(parts)

    async def close(self) -> None:
        return None
