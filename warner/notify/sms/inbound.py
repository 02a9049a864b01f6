"""Replies to SMS pages: "OK 482193" from the paged person's phone acknowledges the incident.

Two webhooks; each is mounted only with its authentication (``SmsConfig`` refuses a config
that would leave one open), and both parse, check and delegate:

- ``POST /sms/twilio`` — Twilio's form webhook (``From``, ``Body``). ``X-Twilio-Signature``
  must be the base64 HMAC-SHA1 of the public URL (``twilio_url``, as entered at Twilio —
  behind a proxy the request's own URL differs) plus the sorted parameters. Answers TwiML.
- ``POST /sms/reply`` — any other gateway: JSON ``{"from": "+49…", "text": "OK 482193"}``
  with ``Authorization: Bearer <token>``. Answers JSON.

Codes are personal (they only work from the number they were issued to), single-use and
retired with their page (``ack_codes.py``). A sender number with ``MAX_WRONG`` wrong codes is
locked out for a while, the right code included (``lockout.py``). A client (gateway, proxy)
with ``MAX_WRONG`` wrong codes is locked only for wrong codes: the right code for the sender's
number still acknowledges, so strangers cannot lock the on-call person out through the shared
gateway address. Every wrong code — unknown, expired, someone else's, from a number nobody
has — gets one and the same answer (403 "refused", or 429 "locked" while the client is
locked), so the answers list neither live codes nor on-call numbers. Only the person a code
was issued to hears about it: "acknowledged", or that the incident is already acknowledged or
resolved. Twilio texts back only a 200's TwiML, so refusals (4xx) reach nobody and the page
keeps escalating — the safe side.

Header values reach us decoded with ``surrogateescape`` (undecodable bytes become lone
surrogates); secrets are compared as SHA-256 digests of their ``surrogatepass`` UTF-8 bytes,
as ``warner/ingest/auth.py`` does, so such bytes are a wrong secret, not a server error.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from xml.sax.saxutils import escape

import orjson
import structlog
from aiohttp import web

from warner.core import Language
from warner.notify.base import IncidentActions
from warner.notify.sms.ack_codes import AckCodes
from warner.notify.sms.lockout import Attempt, ReplyLockout
from warner.notify.sms.text import to_gsm7
from warner.notify.twilio_signature import twilio_signature
from warner.secret_digest import same_secret
from warner.store.failures import Locked

if TYPE_CHECKING:
    from warner.incidents.lifecycle import IncidentResponder, Response, Transition

log = structlog.get_logger(__name__)

TWILIO_PATH = "/sms/twilio"
REPLY_PATH = "/sms/reply"
_REPLY = re.compile(r"^\s*(?:(?:ok|ack|ja|yes)[\s:.,-]*)?(\d{6,8})\s*[.!]?\s*$", re.IGNORECASE)

# What a sender hears before anything shows that the number and code belong together: one
# text for everybody, in both languages, so it cannot hint at whose number it is.
REFUSED = "Code falsch oder abgelaufen / wrong or expired code."
LOCKED = "Zu viele falsche Codes, bitte spaeter erneut / too many wrong codes, try again later."
UNPARSEABLE = "Nicht verstanden / not understood. Antwort / reply: OK 123456"
BAD_REQUEST = 'expected JSON {"from": "+49...", "text": "OK 123456"}'

# What the person a code was issued to hears, in their language (GSM-7, one SMS).
MESSAGES: dict[Language, dict[str, str]] = {
    "de": {
        "acked": "OK: {incident} uebernommen.",
        "already_acknowledged": "Vorfall {incident} ist bereits uebernommen ({line}).",
        "already_resolved": "Vorfall {incident} ist bereits erledigt ({line}).",
        "code_expired": "Code fuer {incident} gilt nicht mehr. Bitte den Code aus der letzten SMS senden.",
        "unknown_incident": "Vorfall {incident} nicht gefunden.",
        "forbidden": "Keine Berechtigung fuer {incident}.",
    },
    "en": {
        "acked": "OK: {incident} acknowledged.",
        "already_acknowledged": "Incident {incident} is already acknowledged ({line}).",
        "already_resolved": "Incident {incident} is already resolved ({line}).",
        "code_expired": "The code for {incident} is no longer valid. Please send the code from the latest SMS.",
        "unknown_incident": "Incident {incident} not found.",
        "forbidden": "Not allowed to act on {incident}.",
    },
}

# The incident's response and its state line in a language ("Erledigt von Ben, 21:04").
StatusOf = Callable[[str, Language], Awaitable["tuple[Response, str] | None"]]


@dataclass(frozen=True, slots=True)
class SmsInbound:
    """What the reply handlers need, built once. A route is mounted only if its secret is set."""

    codes: AckCodes
    actions: IncidentActions
    person_for_phone: Callable[[str], str | None]  # E.164 number -> person id from config
    lockout: ReplyLockout
    status_of: StatusOf
    language_of: Callable[[str], Language] = lambda _person: "de"
    twilio_auth_token: str | None = None  # mounts /sms/twilio (signature always checked)
    twilio_url: str | None = None  # the public URL Twilio signs; required with twilio_auth_token
    reply_token: str | None = None  # mounts /sms/reply (bearer token always checked)

    def __post_init__(self) -> None:
        if self.twilio_auth_token is not None and not self.twilio_url:
            raise ValueError("the Twilio reply route needs twilio_url: the URL Twilio signs")
        if not (self.twilio_auth_token or self.reply_token):
            raise ValueError("no authenticated SMS reply route: set a Twilio auth token or a reply token")


INBOUND = web.AppKey("sms_inbound", SmsInbound)


class Redeems(Protocol):
    """What redeeming a code needs: ``SmsInbound``, and the key presses of calls (``notify/voice/inbound.py``)."""

    @property
    def codes(self) -> AckCodes: ...
    @property
    def actions(self) -> IncidentActions: ...
    @property
    def person_for_phone(self) -> Callable[[str], str | None]: ...
    @property
    def lockout(self) -> ReplyLockout: ...
    @property
    def status_of(self) -> StatusOf: ...
    @property
    def language_of(self) -> Callable[[str], Language]: ...


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of a reply: HTTP status, a reason for machines and logs, a text for people."""

    status: int
    reason: str
    message: str
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


def normalise_phone(number: str) -> str:
    """'+49 151 1234-5678' or '004915112345678' → '+4915112345678'."""
    digits = re.sub(r"[^\d+]", "", number.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    return digits


def parse_reply(text: str) -> str | None:
    """The ack code in "OK 482193", "ack 482193" or "482193"; None for anything else."""
    match = _REPLY.match(text or "")
    return match.group(1) if match else None


async def acknowledge(ctx: Redeems, sender: str, text: str, client: str, *, via: str = "sms") -> Answer:
    """Check the reply's code for the sender's person and ack the incident it names.

    ``via``: the channel the answer came over (``call`` for a key press), as the timeline shows it.
    """
    phone = normalise_phone(sender)
    code = parse_reply(text)
    if code is None:
        return Answer(400, "unparseable", UNPARSEABLE)
    attempt = await ctx.lockout.reserve(phone, client)
    if isinstance(attempt, Locked):  # the number is locked: nothing from it is checked
        return _locked(attempt)
    person = ctx.person_for_phone(phone)
    claim = await ctx.codes.claim(code, person)
    if claim.outcome == "wrong" or person is None or claim.incident_id is None:
        await attempt.wrong()  # counts against the number, whatever the client's state
        if attempt.client_locked is not None:  # the answer a locked client gets: no oracle
            return _locked(attempt.client_locked)
        return Answer(403, "refused", REFUSED)
    await attempt.right()
    lang = ctx.language_of(person)
    if claim.outcome == "closed":
        return await _already(ctx, claim.incident_id, person, lang)
    return await _ack(ctx, claim.incident_id, person, lang, attempt, via)


def _locked(locked: Locked) -> Answer:
    return Answer(429, "locked", LOCKED, retry_after=locked.retry_after)


async def _ack(
    ctx: Redeems, incident_id: str, person: str, lang: Language, attempt: Attempt, via: str = "sms"
) -> Answer:
    """The code was live and the person's own: acknowledge, and retire the incident's codes."""
    words = MESSAGES[lang]
    try:
        await ctx.actions.act(incident_id, "ack", person, via=via)
    except LookupError:
        await ctx.codes.retire(incident_id, "unknown_incident")
        return Answer(404, "unknown_incident", words["unknown_incident"].format(incident=incident_id))
    except PermissionError:
        return Answer(403, "forbidden", words["forbidden"].format(incident=incident_id))
    await ctx.codes.retire(incident_id, "acknowledged")  # the page is over, for everybody it went to
    status = await ctx.status_of(incident_id, lang)
    if status is not None and (status[0].state != "acknowledged" or status[0].acknowledged_by != person):
        return await _already(ctx, incident_id, person, lang, status)  # someone was quicker
    log.info("sms_reply_acked", incident_id=incident_id, person=person, sender=attempt.sender_hint, via=via)
    return Answer(200, "acked", words["acked"].format(incident=incident_id))


async def _already(
    ctx: Redeems,
    incident_id: str,
    person: str,
    lang: Language,
    status: tuple[Response, str] | None = None,
) -> Answer:
    """The person's code is used up or retired: say what became of the incident."""
    status = status or await ctx.status_of(incident_id, lang)
    state = status[0].state if status else None
    line = to_gsm7(status[1]) if status else ""
    if state == "acknowledged":
        reason = "already_acknowledged"
    elif state in ("resolved", "false_alarm"):
        reason = "already_resolved"
    else:
        reason = "code_expired"  # open again or snoozed: a newer page carries a new code
    log.info("sms_reply_closed", incident_id=incident_id, person=person, reason=reason)
    return Answer(409, reason, MESSAGES[lang][reason].format(incident=incident_id, line=line))


def twiml(message: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(message)}</Message></Response>'


async def twilio_reply(request: web.Request) -> web.Response:
    """Twilio's incoming-message webhook (signed)."""
    ctx = request.app[INBOUND]
    if ctx.twilio_auth_token is None or ctx.twilio_url is None:  # never mounted like this; refuse anyway
        return web.Response(status=403, text="invalid X-Twilio-Signature")
    try:
        form = await request.post()
    except ValueError:  # undecodable bytes (UnicodeDecodeError) or a broken multipart body
        log.warning("sms_reply_refused", reason="unreadable_form", via="twilio", client=request.remote)
        return web.Response(status=400, text="unreadable form")
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    expected = twilio_signature(ctx.twilio_auth_token, ctx.twilio_url, form)  # type: ignore[arg-type]  # Twilio posts a url-encoded form: str values only
    presented = request.headers.get("X-Twilio-Signature", "")
    if not same_secret(expected, presented):
        log.warning("sms_reply_refused", reason="bad_signature", via="twilio", client=request.remote)
        return web.Response(status=403, text="invalid X-Twilio-Signature")
    answer = await acknowledge(ctx, params.get("From", ""), params.get("Body", ""), request.remote or "")
    _log_refusal(answer, "twilio", request)
    if answer.status in (200, 409):  # the person a code belongs to: Twilio texts this back
        return web.Response(text=twiml(answer.message), content_type="application/xml")
    return web.Response(status=answer.status, text=answer.message, headers=retry_after_header(answer))


async def generic_reply(request: web.Request) -> web.Response:
    """A generic gateway's reply webhook: JSON ``{"from": ..., "text": ...}`` with a bearer token."""
    ctx = request.app[INBOUND]
    presented = request.headers.get("Authorization", "")
    if ctx.reply_token is None or not same_secret(f"Bearer {ctx.reply_token}", presented):
        return json_response(401, {"ok": False, "reason": "unauthorized", "message": "missing or wrong bearer token"})
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("from"), str) or not isinstance(body.get("text"), str):
        return json_response(400, {"ok": False, "reason": "bad_request", "message": BAD_REQUEST})
    answer = await acknowledge(ctx, body["from"], body["text"], request.remote or "")
    _log_refusal(answer, "generic", request)
    body = {"ok": answer.ok, "reason": answer.reason, "message": answer.message}
    return json_response(answer.status, body, retry_after_header(answer))




def _log_refusal(answer: Answer, via: str, request: web.Request) -> None:
    if answer.status in (400, 403, 404, 429):
        log.warning("sms_reply_refused", reason=answer.reason, via=via, client=request.remote)


def retry_after_header(answer: Answer) -> dict[str, str] | None:
    """``Retry-After`` for a locked-out sender (SMS replies and key presses alike)."""
    return {"Retry-After": str(answer.retry_after)} if answer.retry_after is not None else None


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


def add_sms_routes(app: web.Application, inbound: SmsInbound) -> None:
    """Mount the reply webhooks ``inbound`` has a secret for on an existing app (the ingest API's)."""
    app[INBOUND] = inbound
    if inbound.twilio_auth_token is not None:
        app.router.add_post(TWILIO_PATH, twilio_reply)
    if inbound.reply_token is not None:
        app.router.add_post(REPLY_PATH, generic_reply)


def create_app(inbound: SmsInbound) -> web.Application:
    """An application serving only the reply webhooks."""
    app = web.Application()
    add_sms_routes(app, inbound)
    return app


def retire_codes_listener(codes: AckCodes) -> Callable[[Transition], Awaitable[None]]:
    """A responder listener: an incident acknowledged or resolved on any channel retires its codes."""

    async def retire(t: Transition) -> None:
        if t.response.state in ("acknowledged", "resolved", "false_alarm"):
            await codes.retire(t.response.incident_id, t.response.state)

    return retire


def status_from(responder: IncidentResponder) -> StatusOf:
    """``StatusOf`` read from the responder's lifecycle, with the state line the bot and pages show."""

    async def status(incident_id: str, lang: Language) -> tuple[Response, str] | None:
        try:
            response = await responder.lifecycle.get(incident_id)
        except ValueError:
            return None
        if response is None:
            return None
        return response, responder.describe(response, lang)

    return status
