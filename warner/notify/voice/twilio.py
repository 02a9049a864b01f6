"""Calls through Twilio's Voice API (or a compatible one at ``base_url``).

``POST Calls.json`` places the call with its TwiML inline; Twilio answers at once with the
call's sid, long before anybody picks up. So the channel then reads ``Calls/{sid}.json`` every
``poll_interval`` until the call is answered (``in-progress``, ``completed``: delivered) or
ends unanswered (``busy``, ``no-answer``, ``failed``: permanent, fail over; ``canceled``:
transient). A call with no outcome after ``ring_timeout + answer_grace`` is cancelled and
reported as a transient failure. Status-callback webhooks would save the polling but need
another signed route and a place to park the waiting page; one call per page is few requests.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from datetime import tzinfo

import aiohttp
import structlog

from warner.core import BERLIN, Recipient
from warner.notify.base import Delivery, Page
from warner.notify.http_verdict import is_transient
from warner.notify.sms.lockout import mask_phone
from warner.notify.voice.calls import CallChannel
from warner.notify.voice.config import GATHER_PATH, VoiceConfig
from warner.notify.voice.texts import words
from warner.notify.voice.twiml import call_twiml, gather_action, spoken_twiml

log = structlog.get_logger(__name__)

ANSWERED = frozenset({"in-progress", "completed"})
UNANSWERED = frozenset({"busy", "no-answer", "failed"})  # permanent: the next channel, at once


class TwilioVoiceChannel(CallChannel):
    """One call per page; delivered once the person picks up."""

    def __init__(
        self,
        config: VoiceConfig,
        *,
        name: str = "call",
        labels: Mapping[str, str] | None = None,
        tz: tzinfo = BERLIN,
        ring_timeout: float | None = None,
        poll_interval: float | None = None,
    ) -> None:
        """Reads the auth token now: a missing variable fails at start, not at 3 a.m."""
        super().__init__(name=name, timeout=config.timeout.total_seconds(), labels=labels, tz=tz)
        assert config.twilio is not None
        twilio = config.twilio
        self._from = twilio.from_number
        self._headers = {"Authorization": aiohttp.encode_basic_auth(twilio.account_sid, twilio.auth_token())}
        self._calls = f"{twilio.base_url.rstrip('/')}/2010-04-01/Accounts/{twilio.account_sid}/Calls"
        self._gather_url = config.url_of(GATHER_PATH)
        self._ring = ring_timeout if ring_timeout is not None else config.ring_timeout.total_seconds()
        self._grace = config.answer_grace.total_seconds()
        self._poll = poll_interval if poll_interval is not None else config.poll_interval.total_seconds()

    async def send(self, page: Page) -> Delivery:
        refused = self.refusal(page)
        if refused is not None:
            return refused
        assert page.recipient.phone
        language = page.recipient.language
        twiml = call_twiml(self.text(page), language, gather_action(self._gather_url, page.ack_code))
        return await self._call(page.recipient.phone, twiml, incident_id=page.incident.id)

    async def send_test(self, recipient: Recipient, text: str) -> Delivery:
        """A test call (``warner page --test``): says that it is a test, nothing to press."""
        if not recipient.phone:
            return Delivery(self.name, "", False, 0.0, error=f"{recipient.id} has no phone number", permanent=True)
        spoken = words(recipient.language)["test"].format(name=recipient.name)
        return await self._call(recipient.phone, spoken_twiml(spoken, recipient.language), incident_id=None)

    async def _call(self, phone: str, twiml: str, *, incident_id: str | None) -> Delivery:
        started = time.perf_counter()
        form = {"To": phone, "From": self._from, "Twiml": twiml, "Timeout": str(round(self._ring))}
        answer = await self.request("POST", f"{self._calls}.json", data=form, headers=self._headers)
        if isinstance(answer, str):
            return self.failed(phone, started, answer)
        status, headers, body = answer
        if not 200 <= status < 300:
            return self.http_failure(phone, started, status, headers, body)
        sid = _field(body, "sid")
        if not sid:
            return self.failed(phone, started, f"no call sid in the answer: {body[:100]}")
        log.info("call_placed", incident_id=incident_id, to=mask_phone(phone), call_sid=sid)
        return await self._outcome(phone, sid, started, incident_id)

    async def _outcome(self, phone: str, sid: str, started: float, incident_id: str | None) -> Delivery:
        """Poll the call until it is answered, ends unanswered, or runs past ring timeout and grace."""
        deadline = started + self._ring + self._grace
        last = "queued"
        while time.perf_counter() < deadline:
            await asyncio.sleep(self._poll)
            answer = await self.request("GET", f"{self._calls}/{sid}.json", headers=self._headers)
            if isinstance(answer, str):
                continue  # a lost status read: the call goes on; read again
            status, headers, body = answer
            if not 200 <= status < 300:
                if is_transient(status):
                    continue
                return self.failed(phone, started, f"call status unreadable: HTTP {status}", permanent=True)
            last = _field(body, "status") or last
            if last in ANSWERED:
                latency = time.perf_counter() - started
                log.info("call_answered", incident_id=incident_id, call_sid=sid, after_s=round(latency, 2))
                return Delivery(self.name, phone, ok=True, latency_s=latency, message_ref=sid)
            if last in UNANSWERED or last == "canceled":
                log.info("call_unanswered", incident_id=incident_id, call_sid=sid, status=last)
                return self.failed(phone, started, f"call {last}", permanent=last != "canceled")
        await self._cancel(sid)
        return self.failed(phone, started, f"call still {last} after {self._ring + self._grace:g}s: cancelled")

    async def _cancel(self, sid: str) -> None:
        """Stop a call that outlived its wait, so it cannot ring while the next channel is tried."""
        answer = await self.request(
            "POST", f"{self._calls}/{sid}.json", data={"Status": "canceled"}, headers=self._headers
        )
        if isinstance(answer, str) or not 200 <= answer[0] < 300:
            log.warning("call_cancel_failed", call_sid=sid, error=answer if isinstance(answer, str) else answer[0])


def _field(body: str, name: str) -> str | None:
    try:
        value = json.loads(body).get(name)
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None
