"""SMS channels: a generic HTTP gateway and a Twilio-compatible REST adapter.

Both send one request per page and report what happened as a ``Delivery``; neither retries
nor raises for remote failures (retry, backoff and failover live in ``notify/delivery.py``).
The verdicts are the same for both: 2xx delivered; 429, 5xx, timeouts and connection errors
transient (with the gateway's ``Retry-After`` when it sent one); any other 4xx permanent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from warner.core import BERLIN, Recipient
from warner.notify.base import Delivery, Page
from warner.notify.http_session import LazySession
from warner.notify.http_verdict import is_transient, retry_after
from warner.notify.sms.config import HttpGatewayConfig, SmsConfig, TwilioConfig, template_environment
from warner.notify.sms.text import sms_text

_ERROR_BODY_CHARS = 200


class _SmsChannel:
    """What both adapters share: the text, one lazily created session, timing and verdicts."""

    name: str

    def __init__(
        self,
        *,
        name: str,
        timeout: float,
        labels: Mapping[str, str] | None = None,
        tz: tzinfo = BERLIN,
    ) -> None:
        self.name = name
        self._labels = dict(labels or {})
        self._tz = tz
        self._http = LazySession(timeout)

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.phone)

    def text(self, page: Page) -> str:
        return sms_text(page, label=self._labels.get(page.incident.brand), tz=self._tz)

    async def close(self) -> None:
        await self._http.close()

    async def _request(self, target: str, method: str, url: str, **kwargs: Any) -> Delivery:
        started = time.perf_counter()
        try:
            async with self._http.get().request(method, url, **kwargs) as response:
                body = await response.text(errors="replace")
                latency = time.perf_counter() - started
                return self._verdict(target, response.status, response.headers, body, latency)
        except TimeoutError:
            return self._failed(target, started, "timeout")
        except aiohttp.ClientError as exc:
            return self._failed(target, started, f"{type(exc).__name__}: {exc}")

    def _verdict(self, target: str, status: int, headers: Mapping[str, str], body: str, latency: float) -> Delivery:
        if 200 <= status < 300:
            return Delivery(self.name, target, ok=True, latency_s=latency, message_ref=self._message_ref(body))
        error = f"HTTP {status}: {body.strip()[:_ERROR_BODY_CHARS]}"
        transient = is_transient(status)
        return Delivery(
            self.name,
            target,
            ok=False,
            latency_s=latency,
            error=error,
            retry_after=retry_after(headers.get("Retry-After")) if transient else None,
            permanent=not transient,
        )

    def _failed(self, target: str, started: float, error: str) -> Delivery:
        return Delivery(self.name, target, ok=False, latency_s=time.perf_counter() - started, error=error)

    def _message_ref(self, body: str) -> str | None:
        return None

    def _unreachable(self, recipient: Recipient) -> Delivery:
        return Delivery(
            self.name, "", ok=False, latency_s=0.0, error=f"{recipient.id} has no phone number", permanent=True
        )


class HttpSmsChannel(_SmsChannel):
    """Any gateway that sends an SMS per HTTP request; the request is described in config."""

    def __init__(
        self,
        config: HttpGatewayConfig,
        *,
        name: str = "sms",
        timeout: float = 10.0,
        labels: Mapping[str, str] | None = None,
        tz: tzinfo = BERLIN,
    ) -> None:
        """Reads the gateway's secrets now: a missing variable fails at start, not at 3 a.m."""
        super().__init__(name=name, timeout=timeout, labels=labels, tz=tz)
        self._config = config
        self._template = template_environment().from_string(config.template())
        credentials = config.credentials()
        self._headers = dict(config.headers)
        if isinstance(credentials, tuple):
            self._headers["Authorization"] = aiohttp.encode_basic_auth(*credentials)
        elif isinstance(credentials, str):
            self._headers["Authorization"] = f"Bearer {credentials}"

    async def send(self, page: Page) -> Delivery:
        phone = page.recipient.phone
        if not phone:
            return self._unreachable(page.recipient)
        rendered = self._template.render(to=phone, text=self.text(page), sender=self._config.sender)
        headers = dict(self._headers)
        if self._config.method == "GET":
            separator = "&" if "?" in self._config.url else "?"
            return await self._request(phone, "GET", self._config.url + separator + rendered, headers=headers)
        if self._config.content_type == "json":
            headers.setdefault("Content-Type", "application/json")
        else:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return await self._request(
            phone, self._config.method, self._config.url, data=rendered.encode(), headers=headers
        )

    def _message_ref(self, body: str) -> str | None:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if isinstance(data, dict):
            ref = data.get("id") or data.get("message_id")
            return str(ref) if ref is not None else None
        return None


class TwilioSmsChannel(_SmsChannel):
    """Twilio's Messages API (or a compatible one at ``base_url``): one form POST per page."""

    def __init__(
        self,
        config: TwilioConfig,
        *,
        name: str = "sms",
        timeout: float = 10.0,
        labels: Mapping[str, str] | None = None,
        tz: tzinfo = BERLIN,
    ) -> None:
        super().__init__(name=name, timeout=timeout, labels=labels, tz=tz)
        self._config = config
        self._headers = {"Authorization": aiohttp.encode_basic_auth(config.account_sid, config.auth_token())}
        self._url = f"{config.base_url.rstrip('/')}/2010-04-01/Accounts/{config.account_sid}/Messages.json"

    async def send(self, page: Page) -> Delivery:
        phone = page.recipient.phone
        if not phone:
            return self._unreachable(page.recipient)
        form = {"To": phone, "From": self._config.from_number, "Body": self.text(page)}
        return await self._request(phone, "POST", self._url, data=form, headers=self._headers)

    def _message_ref(self, body: str) -> str | None:
        try:
            sid = json.loads(body).get("sid")
        except (ValueError, AttributeError):
            return None
        return str(sid) if sid else None


def sms_channel(
    config: SmsConfig, *, name: str = "sms", labels: Mapping[str, str] | None = None
) -> HttpSmsChannel | TwilioSmsChannel:
    """The channel the config asks for; raises ``MissingSecretError`` naming an unset variable."""
    timeout = config.timeout.total_seconds()
    tz = ZoneInfo(config.time_zone)
    if config.provider == "twilio":
        assert config.twilio is not None
        return TwilioSmsChannel(config.twilio, name=name, timeout=timeout, labels=labels, tz=tz)
    assert config.http is not None
    return HttpSmsChannel(config.http, name=name, timeout=timeout, labels=labels, tz=tz)

