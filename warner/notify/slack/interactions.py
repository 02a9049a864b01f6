"""Slack's "Übernehmen"/"Acknowledge" button: a signed interaction callback that acknowledges the incident.

``POST /slack/interactions`` is Slack's Interactivity Request URL; it is mounted only with
``notify.slack.signing_secret_env``. Every request must carry Slack's v0 signature:
``X-Slack-Signature`` = ``v0=`` + hex HMAC-SHA256 of ``v0:{X-Slack-Request-Timestamp}:{raw body}``
with the app's signing secret, compared in constant time (``secret_digest.same_secret``); a
timestamp more than five minutes from now is refused, so a captured request cannot be replayed
later. Refusals of the signature are 401 and nothing is looked at.

A signed press names a Slack user; ``oncall.people[].slack_user_id`` says which person that is.
An unknown user is told politely that their Slack account is not linked, and nothing changes.
A known one acknowledges through the same ``IncidentActions`` as a Telegram button or an SMS
reply (who may act, stopping the escalation, the state line), ``via="slack"``. The answer goes
back as an ephemeral message to the press's ``response_url`` — only to Slack's own host, so a
signed but odd payload cannot make warner post elsewhere. Every other interaction (the console
link button also sends one) is answered 200 and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import aiohttp
import orjson
import structlog
from aiohttp import web

from warner.core import Language
from warner.notify.base import IncidentActions
from warner.notify.slack.blocks import ACK_ACTION
from warner.secret_digest import same_secret

log = structlog.get_logger(__name__)

INTERACTIONS_PATH = "/slack/interactions"
MAX_AGE_S = 300.0
SLACK_RESPONSE_URL = "https://hooks.slack.com/"

MESSAGES: dict[Language, dict[str, str]] = {
    "de": {
        "acked": "{line}",
        "unknown_incident": "Vorfall {incident} nicht gefunden.",
        "forbidden": "Keine Berechtigung für Vorfall {incident}.",
    },
    "en": {
        "acked": "{line}",
        "unknown_incident": "Incident {incident} not found.",
        "forbidden": "Not allowed to act on incident {incident}.",
    },
}
UNKNOWN_USER = (
    "Dein Slack-Konto ist keiner Person in warner zugeordnet (oncall.people[].slack_user_id): bitte über "
    "Telegram, SMS oder die Konsole übernehmen. / Your Slack account is not linked to a person in warner "
    "(oncall.people[].slack_user_id): please acknowledge via Telegram, SMS or the console."
)


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature of ``body`` sent at ``timestamp``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class SlackInteractions:
    """What the interaction handler needs, built once by the composition (``warner/paging.py``)."""

    signing_secret: str
    actions: IncidentActions
    person_for_slack_user: Callable[[str], str | None]  # Slack user id -> person id from config
    language_of: Callable[[str], Language] = lambda _person: "de"
    now: Callable[[], float] = time.time
    response_url_allowed: Callable[[str], bool] = field(default=lambda url: url.startswith(SLACK_RESPONSE_URL))

    def __post_init__(self) -> None:
        if not self.signing_secret:
            raise ValueError("the Slack interaction route needs the signing secret")


INTERACTIONS = web.AppKey("slack_interactions", SlackInteractions)


def signed(ctx: SlackInteractions, request: web.Request, body: bytes) -> str | None:
    """None when the request is Slack's and fresh; else why it is refused."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    try:
        age = abs(ctx.now() - int(timestamp))
    except ValueError:
        return "no_timestamp"
    if age > MAX_AGE_S:
        return "stale"
    presented = request.headers.get("X-Slack-Signature")
    if not same_secret(slack_signature(ctx.signing_secret, timestamp, body), presented):
        return "bad_signature"
    return None


async def interaction(request: web.Request) -> web.Response:
    """Slack's interaction callback: check the signature, then acknowledge what the button names."""
    ctx = request.app[INTERACTIONS]
    body = await request.read()
    refused = signed(ctx, request, body)
    if refused is not None:
        log.warning("slack_interaction_refused", reason=refused, client=request.remote)
        return web.Response(status=401, text="invalid Slack signature")
    payload = _payload(body)
    if payload is None:
        return web.Response(status=400, text="expected a form with a JSON payload")
    press = _ack_press(payload)
    if press is None:
        return web.Response(status=200)  # another interaction (the console link): nothing to do
    user, incident_id, response_url = press
    person = ctx.person_for_slack_user(user)
    if person is None:
        log.warning("slack_interaction_refused", reason="unknown_user", slack_user=user, incident_id=incident_id)
        await _answer(ctx, response_url, UNKNOWN_USER)
        return web.Response(status=200)
    words = MESSAGES[ctx.language_of(person)]
    try:
        line = await ctx.actions.act(incident_id, "ack", person, via="slack")
    except LookupError:
        text = words["unknown_incident"].format(incident=incident_id)
    except PermissionError:
        text = words["forbidden"].format(incident=incident_id)
    else:
        text = words["acked"].format(line=line)
        log.info("slack_interaction_acked", incident_id=incident_id, person=person)
    await _answer(ctx, response_url, text)
    return web.Response(status=200)


def _payload(body: bytes) -> dict[str, object] | None:
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
        payload = orjson.loads(form["payload"][0])
    except (UnicodeDecodeError, ValueError, KeyError):
        return None
    return payload if isinstance(payload, dict) else None


def _ack_press(payload: dict[str, object]) -> tuple[str, str, str | None] | None:
    """(Slack user id, incident id, response_url) of an acknowledge press; None for anything else."""
    user, actions = payload.get("user"), payload.get("actions")
    if payload.get("type") != "block_actions" or not isinstance(user, dict) or not isinstance(actions, list):
        return None
    user_id = user.get("id")
    for action in actions:
        if isinstance(action, dict) and action.get("action_id") == ACK_ACTION:
            value = action.get("value")
            if isinstance(user_id, str) and isinstance(value, str):
                url = payload.get("response_url")
                return user_id, value, url if isinstance(url, str) else None
    return None


async def _answer(ctx: SlackInteractions, response_url: str | None, text: str) -> None:
    """An ephemeral reply to the person who pressed (best effort: the press itself already counted)."""
    if response_url is None or not ctx.response_url_allowed(response_url):
        return
    body = {"response_type": "ephemeral", "replace_original": False, "text": text}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0)) as http,
            http.post(response_url, json=body) as response,
        ):
            if response.status >= 300:
                log.warning("slack_interaction_answer_failed", status=response.status)
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("slack_interaction_answer_failed", error=type(exc).__name__)


def add_slack_routes(app: web.Application, interactions: SlackInteractions) -> None:
    """Mount ``POST /slack/interactions`` on an existing app (the ingest API's)."""
    app[INTERACTIONS] = interactions
    app.router.add_post(INTERACTIONS_PATH, interaction)


def create_app(interactions: SlackInteractions) -> web.Application:
    """An application serving only the interaction callback."""
    app = web.Application()
    add_slack_routes(app, interactions)
    return app
