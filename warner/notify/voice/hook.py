"""Calls through a generic HTTP hook: any telephony system (an Asterisk AGI, a PBX's API, a
provider warner has no adapter for) behind one small JSON contract.

warner POSTs ``{"to", "text", "language", "prompt", "callback_url", "code", "ring_timeout"}``
with ``Authorization: Bearer <token>``; the hook places the call, speaks ``text`` and
``prompt`` in ``language`` (BCP 47), and answers when the call is over or was answered:
``{"status": "answered" | "no-answer" | "busy" | "failed"}``. A key press goes to
``callback_url`` (``POST /voice/press``, see ``inbound.py``) with ``code``. The request may take
as long as the phone rings: its timeout is ``ring_timeout + answer_grace``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from warner.core import BERLIN, Recipient
from warner.notify.base import Delivery, Page
from warner.notify.voice.calls import CallChannel
from warner.notify.voice.config import PRESS_PATH, VoiceConfig
from warner.notify.voice.texts import TTS_LANGUAGE, words

UNANSWERED = frozenset({"no-answer", "busy", "failed"})


class HttpVoiceChannel(CallChannel):
    """One POST per call; the hook's answer is the outcome."""

    def __init__(
        self, config: VoiceConfig, *, name: str = "call", labels: Mapping[str, str] | None = None, tz: tzinfo = BERLIN
    ) -> None:
        """Reads the token now: a missing variable fails at start, not at 3 a.m."""
        ring = config.ring_timeout.total_seconds()
        super().__init__(name=name, timeout=ring + config.answer_grace.total_seconds(), labels=labels, tz=tz)
        assert config.http is not None
        self._url = config.http.url
        self._headers = {"Authorization": f"Bearer {config.http.token()}"}
        self._callback_url = config.url_of(PRESS_PATH)
        self._ring = round(ring)

    async def send(self, page: Page) -> Delivery:
        refused = self.refusal(page)
        if refused is not None:
            return refused
        assert page.recipient.phone
        w = words(page.recipient.language)
        return await self._call(page.recipient, self.text(page), w["prompt"], page.ack_code)

    async def send_test(self, recipient: Recipient, text: str) -> Delivery:
        """A test call: says that it is a test; no prompt, no code."""
        if not recipient.phone:
            return Delivery(self.name, "", False, 0.0, error=f"{recipient.id} has no phone number", permanent=True)
        return await self._call(recipient, words(recipient.language)["test"].format(name=recipient.name), "", "")

    async def _call(self, recipient: Recipient, text: str, prompt: str, code: str) -> Delivery:
        phone = recipient.phone or ""
        started = time.perf_counter()
        body: dict[str, Any] = {
            "to": phone,
            "text": text,
            "language": TTS_LANGUAGE[recipient.language],
            "prompt": prompt,
            "callback_url": self._callback_url if code else "",
            "code": code,
            "ring_timeout": self._ring,
        }
        answer = await self.request("POST", self._url, json=body, headers=self._headers)
        if isinstance(answer, str):
            return self.failed(phone, started, answer)
        status, headers, text_body = answer
        if not 200 <= status < 300:
            return self.http_failure(phone, started, status, headers, text_body)
        try:
            data = json.loads(text_body)
        except ValueError:
            data = None
        outcome = data.get("status") if isinstance(data, dict) else None
        if outcome == "answered":
            ref = data.get("id") if isinstance(data, dict) else None
            latency = time.perf_counter() - started
            return Delivery(self.name, phone, ok=True, latency_s=latency, message_ref=str(ref) if ref else None)
        if outcome in UNANSWERED:
            return self.failed(phone, started, f"call {outcome}", permanent=True)
        return self.failed(phone, started, f"hook answered no call status: {text_body.strip()[:100]}", permanent=True)
