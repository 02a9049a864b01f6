"""Key presses during a call: "1" acknowledges the incident, through a signed or token-guarded route.

- ``POST /voice/twilio/gather?code=…`` — Twilio's ``<Gather>`` action. ``X-Twilio-Signature``
  must be the signature of the public URL of this route *with its query string* (so the code
  is covered) plus the posted parameters; ``To`` is the called person's number. Answers TwiML.
- ``POST /voice/press`` — the generic hook: JSON ``{"code", "to", "digits"}`` with
  ``Authorization: Bearer <token>``. Answers JSON like ``/sms/reply``.

The code is redeemed exactly as an SMS reply's (``sms/inbound.acknowledge``): personal (it
works only for the number it was issued to), single-use, behind the same lockout, with the
same refusals (403 "refused", 429 "locked"). The person hears "Übernommen. Danke." in their
language, or what became of the incident meanwhile. Another key, or none, repeats the prompt
without touching the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orjson
import structlog
from aiohttp import web

from warner.core import Language
from warner.notify.base import IncidentActions
from warner.notify.sms.ack_codes import AckCodes
from warner.notify.sms.inbound import (
    Answer,
    StatusOf,
    acknowledge,
    json_response,
    normalise_phone,
    retry_after_header,
)
from warner.notify.sms.lockout import ReplyLockout
from warner.notify.twilio_signature import twilio_signature
from warner.notify.voice.config import GATHER_PATH, PRESS_PATH
from warner.notify.voice.texts import WORDS, answer
from warner.notify.voice.twiml import gather_action, prompt_again_twiml, spoken_twiml
from warner.secret_digest import same_secret

log = structlog.get_logger(__name__)

ACK_KEY = "1"
BAD_REQUEST = 'expected JSON {"code": "123456", "to": "+49...", "digits": "1"}'
REPEAT = " / ".join(WORDS[lang]["prompt"] for lang in ("de", "en"))


@dataclass(frozen=True, slots=True)
class VoiceInbound:
    """What the key-press handlers need, built once. A route is mounted only with its secret."""

    codes: AckCodes
    actions: IncidentActions
    person_for_phone: Callable[[str], str | None]  # E.164 number -> person id from config
    lockout: ReplyLockout
    status_of: StatusOf
    language_of: Callable[[str], Language] = lambda _person: "de"
    twilio_auth_token: str | None = None  # mounts /voice/twilio/gather (signature always checked)
    gather_url: str | None = None  # the public URL of the gather route (without the query)
    press_token: str | None = None  # mounts /voice/press (bearer token always checked)

    def __post_init__(self) -> None:
        if self.twilio_auth_token is not None and not self.gather_url:
            raise ValueError("the Twilio key-press route needs gather_url: the URL Twilio signs")
        if not (self.twilio_auth_token or self.press_token):
            raise ValueError("no authenticated key-press route: set a Twilio auth token or a press token")

    def language_for(self, phone: str) -> Language:
        person = self.person_for_phone(normalise_phone(phone))
        return self.language_of(person) if person is not None else "de"


VOICE_INBOUND = web.AppKey("voice_inbound", VoiceInbound)


async def twilio_gather(request: web.Request) -> web.Response:
    """Twilio's ``<Gather>`` action: the pressed key of a call (signed)."""
    ctx = request.app[VOICE_INBOUND]
    if ctx.twilio_auth_token is None or ctx.gather_url is None:  # never mounted like this; refuse anyway
        return web.Response(status=403, text="invalid X-Twilio-Signature")
    try:
        form = await request.post()
    except ValueError:
        return web.Response(status=400, text="unreadable form")
    query = request.rel_url.raw_query_string
    signed_url = ctx.gather_url + (f"?{query}" if query else "")
    expected = twilio_signature(ctx.twilio_auth_token, signed_url, form)  # type: ignore[arg-type]  # Twilio posts a url-encoded form: str values only
    if not same_secret(expected, request.headers.get("X-Twilio-Signature", "")):
        log.warning("call_key_refused", reason="bad_signature", via="twilio", client=request.remote)
        return web.Response(status=403, text="invalid X-Twilio-Signature")
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    to, code = params.get("To", ""), request.query.get("code", "")
    language = ctx.language_for(to)
    if params.get("Digits", "") != ACK_KEY:
        return _twiml(prompt_again_twiml(language, gather_action(ctx.gather_url, code)))
    result = await acknowledge(ctx, to, code, request.remote or "", via="call")
    _log(result, "twilio", request)
    if result.status in (200, 409):  # the code's own person, on the phone: say what happened
        return _twiml(spoken_twiml(answer(result.reason, language), language))
    return web.Response(status=result.status, text=result.message, headers=retry_after_header(result))


async def generic_press(request: web.Request) -> web.Response:
    """The generic hook's key press: JSON ``{"code", "to", "digits"}`` with a bearer token."""
    ctx = request.app[VOICE_INBOUND]
    if ctx.press_token is None or not same_secret(f"Bearer {ctx.press_token}", request.headers.get("Authorization")):
        return json_response(401, {"ok": False, "reason": "unauthorized", "message": "missing or wrong bearer token"})
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("code", "to", "digits")):
        return json_response(400, {"ok": False, "reason": "bad_request", "message": BAD_REQUEST})
    if body["digits"] != ACK_KEY:  # nothing is checked: the hook says its prompt again
        return json_response(200, {"ok": False, "reason": "repeat", "message": REPEAT})
    result = await acknowledge(ctx, body["to"], body["code"], request.remote or "", via="call")
    _log(result, "generic", request)
    message = result.message
    if result.status in (200, 409):
        message = answer(result.reason, ctx.language_for(body["to"]))
    reply = {"ok": result.ok, "reason": result.reason, "message": message}
    return json_response(result.status, reply, retry_after_header(result))


def _log(result: Answer, via: str, request: web.Request) -> None:
    if result.status in (400, 403, 404, 429):
        log.warning("call_key_refused", reason=result.reason, via=via, client=request.remote)
    elif result.ok:
        log.info("call_key_acked", via=via)


def _twiml(body: str) -> web.Response:
    return web.Response(text=body, content_type="application/xml")


def add_voice_routes(app: web.Application, inbound: VoiceInbound) -> None:
    """Mount the key-press routes ``inbound`` has a secret for on an existing app (the API's)."""
    app[VOICE_INBOUND] = inbound
    if inbound.twilio_auth_token is not None:
        app.router.add_post(GATHER_PATH, twilio_gather)
    if inbound.press_token is not None:
        app.router.add_post(PRESS_PATH, generic_press)


def create_app(inbound: VoiceInbound) -> web.Application:
    """An application serving only the key-press routes."""
    app = web.Application()
    add_voice_routes(app, inbound)
    return app
