"""Replies to SMS pages: "OK 4821" from the paged person's phone acknowledges the incident.

Two webhooks, both parse, check and delegate (to ``AckCodes`` and ``IncidentActions``):

- ``POST /sms/twilio`` — Twilio's form webhook (``From``, ``Body``); when an auth token is
  configured, ``X-Twilio-Signature`` must be the base64 HMAC-SHA1 of the public URL plus the
  sorted parameters (Twilio's scheme). Answers TwiML.
- ``POST /sms/reply`` — any other gateway: JSON ``{"from": "+49…", "text": "OK 4821"}``,
  optionally behind a bearer token. Answers JSON.

Refusals are 4xx with a message that says what was wrong (unknown number, unknown code, a
code issued to someone else); Twilio does not text a 4xx back, so the person hears nothing
and the page keeps escalating — the safe side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

import orjson
import structlog
from aiohttp import web
from multidict import MultiMapping

from warner.notify.ack_codes import AckCodeNotYours, AckCodes, UnknownAckCode
from warner.notify.base import IncidentActions

log = structlog.get_logger(__name__)

TWILIO_PATH = "/sms/twilio"
REPLY_PATH = "/sms/reply"
_REPLY = re.compile(r"^\s*(?:(?:ok|ack|ja|yes)[\s:.,-]*)?(\d{4,6})\s*[.!]?\s*$", re.IGNORECASE)

MESSAGES = {
    "acked": "OK: {incident} uebernommen.",
    "unparseable": "Nicht verstanden. Antwort z.B. OK 4821",
    "unknown_number": "Diese Nummer ist keiner Person in warner zugeordnet.",
    "unknown_code": "Code {code} unbekannt oder abgelaufen.",
    "not_yours": "Code {code} gehoert nicht zu dieser Nummer.",
    "unknown_incident": "Vorfall {incident} nicht gefunden.",
    "forbidden": "Keine Berechtigung fuer {incident}.",
}


@dataclass(frozen=True, slots=True)
class SmsInbound:
    """What the reply handlers need, built once."""

    codes: AckCodes
    actions: IncidentActions
    person_for_phone: Callable[[str], str | None]  # E.164 number -> person id from config
    twilio_auth_token: str | None = None  # None: no signature check
    twilio_url: str | None = None  # public URL Twilio calls; default: the request's URL
    reply_token: str | None = None  # bearer token for the JSON webhook; None: open


INBOUND = web.AppKey("sms_inbound", SmsInbound)


class _Refused(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str] | MultiMapping[str]) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(token, url + sorted name+value pairs))."""
    payload = url
    for name in sorted(set(params.keys())):
        values = params.getall(name) if isinstance(params, MultiMapping) else [params[name]]
        for value in sorted(values):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def normalise_phone(number: str) -> str:
    """'+49 151 1234-5678' or '004915112345678' → '+4915112345678'."""
    digits = re.sub(r"[^\d+]", "", number.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    return digits


def parse_reply(text: str) -> str | None:
    """The ack code in "OK 4821", "ack 4821" or "4821"; None for anything else."""
    match = _REPLY.match(text or "")
    return match.group(1) if match else None


async def acknowledge(ctx: SmsInbound, sender: str, text: str) -> str:
    """Ack the incident the code names, for the person the number belongs to; the confirmation."""
    phone = normalise_phone(sender)
    code = parse_reply(text)
    if code is None:
        raise _Refused(400, "unparseable", MESSAGES["unparseable"])
    person = ctx.person_for_phone(phone)
    if person is None:
        raise _Refused(403, "unknown_number", MESSAGES["unknown_number"])
    try:
        incident_id = await ctx.codes.resolve(code, person)
    except UnknownAckCode:
        raise _Refused(404, "unknown_code", MESSAGES["unknown_code"].format(code=code)) from None
    except AckCodeNotYours:
        raise _Refused(403, "not_yours", MESSAGES["not_yours"].format(code=code)) from None
    try:
        await ctx.actions.act(incident_id, "ack", person, via="sms")
    except LookupError:
        raise _Refused(404, "unknown_incident", MESSAGES["unknown_incident"].format(incident=incident_id)) from None
    except PermissionError:
        raise _Refused(403, "forbidden", MESSAGES["forbidden"].format(incident=incident_id)) from None
    log.info("sms_reply_acked", incident_id=incident_id, person=person)
    return MESSAGES["acked"].format(incident=incident_id)


def twiml(message: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(message)}</Message></Response>'


async def twilio_reply(request: web.Request) -> web.Response:
    """Twilio's incoming-message webhook."""
    ctx = request.app[INBOUND]
    form = await request.post()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    if ctx.twilio_auth_token is not None:
        url = ctx.twilio_url or str(request.url)
        expected = twilio_signature(ctx.twilio_auth_token, url, form)  # type: ignore[arg-type]
        presented = request.headers.get("X-Twilio-Signature", "")
        if not hmac.compare_digest(expected, presented):
            log.warning("sms_reply_refused", reason="bad_signature", via="twilio")
            return web.Response(status=403, text="invalid X-Twilio-Signature")
    try:
        confirmation = await acknowledge(ctx, params.get("From", ""), params.get("Body", ""))
    except _Refused as refused:
        log.warning("sms_reply_refused", reason=refused.reason, via="twilio")
        return web.Response(status=refused.status, text=refused.message)
    return web.Response(text=twiml(confirmation), content_type="application/xml")


async def generic_reply(request: web.Request) -> web.Response:
    """A generic gateway's reply webhook: JSON ``{"from": ..., "text": ...}``."""
    ctx = request.app[INBOUND]
    if ctx.reply_token is not None:
        presented = request.headers.get("Authorization", "")
        if not hmac.compare_digest(presented.encode(), f"Bearer {ctx.reply_token}".encode()):
            return _json(401, {"error": "missing or wrong bearer token"})
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return _json(400, {"error": 'expected JSON {"from": "+49...", "text": "OK 4821"}'})
    if not isinstance(body, dict) or not isinstance(body.get("from"), str) or not isinstance(body.get("text"), str):
        return _json(400, {"error": 'expected JSON {"from": "+49...", "text": "OK 4821"}'})
    try:
        confirmation = await acknowledge(ctx, body["from"], body["text"])
    except _Refused as refused:
        log.warning("sms_reply_refused", reason=refused.reason, via="generic")
        return _json(refused.status, {"error": refused.message, "reason": refused.reason})
    return _json(200, {"ok": True, "message": confirmation})


def _json(status: int, body: dict) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def add_sms_routes(app: web.Application, inbound: SmsInbound) -> None:
    """Mount both reply webhooks on an existing app (the ingest API's, say)."""
    app[INBOUND] = inbound
    app.router.add_post(TWILIO_PATH, twilio_reply)
    app.router.add_post(REPLY_PATH, generic_reply)


def create_app(inbound: SmsInbound) -> web.Application:
    """An application serving only the reply webhooks."""
    app = web.Application()
    add_sms_routes(app, inbound)
    return app
