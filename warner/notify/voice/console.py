"""Calls printed on the terminal, for ``warner demo``: what the phone would say, and "answered".

No provider, no token, no callback: the demo shows the escalation ending with a call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import tzinfo

from rich.console import Console
from rich.markup import escape

from warner.core import BERLIN, Recipient
from warner.notify.base import Delivery, Page
from warner.notify.voice.calls import NOT_RINGING_FOR
from warner.notify.voice.texts import spoken_page, words


class ConsoleVoiceChannel:
    """Prints "☎ Anruf bei Ben (+49…): „…“ — Drücken Sie 1 …" and reports the call answered."""

    def __init__(
        self, console: Console, *, name: str = "call", labels: Mapping[str, str] | None = None, tz: tzinfo = BERLIN
    ) -> None:
        self.name = name
        self._console = console
        self._labels = dict(labels or {})
        self._tz = tz

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.phone)

    async def send(self, page: Page) -> Delivery:
        phone = page.recipient.phone or ""
        if page.kind in NOT_RINGING_FOR:
            error = f"no call for a page of kind {page.kind}"
            return Delivery(self.name, phone, False, 0.0, error=error, permanent=True)
        text = spoken_page(page, label=self._labels.get(page.incident.brand), tz=self._tz)
        return self._print(page.recipient, text, words(page.recipient.language)["prompt"])

    async def send_test(self, recipient: Recipient, text: str) -> Delivery:
        return self._print(recipient, words(recipient.language)["test"].format(name=recipient.name), "")

    def _print(self, recipient: Recipient, text: str, prompt: str) -> Delivery:
        started = time.perf_counter()
        line = words(recipient.language)["console"].format(
            name=recipient.name, phone=recipient.phone or "-", text=text, prompt=prompt
        )
        self._console.print(f"[bold magenta]{escape(line.rstrip(' —'))}[/bold magenta]", highlight=False)
        return Delivery(self.name, recipient.phone or "", ok=True, latency_s=time.perf_counter() - started)

    async def close(self) -> None:
        return None
