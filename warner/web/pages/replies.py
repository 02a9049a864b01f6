"""Replies to an incident (issue 21): the ranked drafts, an editor with length counters, copy, mark as posted.

``GET /incidents/{id}/replies`` shows the three drafts the playbooks rank best for the incident's
mentions (as the bot's draft buttons do), each with why it was chosen; "use this draft" loads one
into the editor (``?draft=KEY`` without JavaScript). The counts per platform come from
``warner/web/lengths.py`` and are recounted live by ``static/editor.js``.

``POST /incidents/{id}/replies/posted`` records in the incident's timeline which draft the text
started from (``kind: draft``, as a draft chosen in Telegram, so the weekly digest counts the
playbook) and who posted what where (``kind: reply_posted``).

A draft's key is ``PLAYBOOK.PURPOSE``: stable while the ranking moves as mentions come in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from warner.core import Language
from warner.respond.render import Draft, Responder
from warner.respond.schema import PURPOSE_LABELS, PURPOSES
from warner.web import lengths
from warner.web.base import CONTEXT, WebContext, current_session, incident_of, language_of, not_found, render
from warner.web.texts import add_texts, text

if TYPE_CHECKING:
    from multidict import MultiDictProxy

    from warner.incidents.model import Incident

log = structlog.get_logger(__name__)

PLATFORMS: tuple[str, ...] = ("x", "bluesky", "mastodon", "instagram", "facebook", "website", "other")
BRANDED = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon", "instagram": "Instagram", "facebook": "Facebook"}
COUNTERS: tuple[tuple[str, str], ...] = (("x", "X"), ("bluesky", "Bluesky"), ("mastodon", "Mastodon"), ("sms", "SMS"))
MAX_TEXT = 10_000
MAX_URL = 2_000

add_texts(
    {
        "replies_title": {"de": "Antworten – {id}", "en": "Replies – {id}"},
        "replies_heading": {"de": "Antworten für {brand}", "en": "Replies for {brand}"},
        "replies_back": {"de": "Zurück zum Vorfall {id}", "en": "Back to incident {id}"},
        "replies_drafts": {"de": "Vorgeschlagene Entwürfe", "en": "Suggested drafts"},
        "replies_drafts_hint": {
            "de": "Die passendsten Entwürfe aus den Playbooks, der beste zuerst.",
            "en": "The best-fitting drafts from the playbooks, best first.",
        },
        "replies_to_editor": {"de": "Zum Textfeld", "en": "To the editor"},
        "replies_reason": {"de": "Warum:", "en": "Why:"},
        "replies_use": {"de": "Diesen Entwurf verwenden", "en": "Use this draft"},
        "replies_short": {"de": "Kurzfassung", "en": "Short version"},
        "replies_use_short": {"de": "Kurzfassung verwenden", "en": "Use the short version"},
        "replies_too_long_for": {"de": "Zu lang für: {platforms}", "en": "Too long for: {platforms}"},
        "replies_no_drafts": {
            "de": "Keine Entwürfe: die Playbooks liefern für diesen Vorfall nichts. Schreiben Sie den Text selbst.",
            "en": "No drafts: the playbooks give nothing for this incident. Write the text yourself.",
        },
        "replies_chosen_before": {"de": "früher gewählt", "en": "chosen earlier"},
        "replies_editor": {"de": "Text bearbeiten", "en": "Edit the text"},
        "replies_editor_label": {"de": "Antworttext", "en": "Reply text"},
        "replies_editor_hint": {
            "de": "Die Zähler zeigen die Länge je Plattform, rot heißt zu lang. Links zählen auf X und Mastodon "
            "23 Zeichen, Emoji auf X 2.",
            "en": "The counters show the length per platform; red means too long. Links count 23 characters on X "
            "and Mastodon, an emoji counts 2 on X.",
        },
        "replies_lengths": {"de": "Länge je Plattform", "en": "Length per platform"},
        "replies_length_fits": {"de": "Passt auf jede Plattform.", "en": "Fits every platform."},
        "replies_copy": {"de": "Text kopieren", "en": "Copy the text"},
        "replies_copied": {"de": "Kopiert.", "en": "Copied."},
        "replies_copy_manual": {
            "de": "Der Text ist markiert: jetzt mit Strg+C (⌘+C) kopieren.",
            "en": "The text is selected: copy it with Ctrl+C (⌘+C).",
        },
        "replies_checklist": {"de": "Checkliste", "en": "Checklist"},
        "replies_checklist_empty": {
            "de": "Wählen Sie einen Entwurf, um seine Checkliste zu sehen.",
            "en": "Choose a draft to see its checklist.",
        },
        "replies_mark": {"de": "Als gepostet markieren", "en": "Mark as posted"},
        "replies_mark_hint": {
            "de": "Hält im Verlauf des Vorfalls fest, wer was wo gepostet hat – so postet niemand doppelt.",
            "en": "Records in the incident's timeline who posted what where, so nobody posts twice.",
        },
        "replies_platform": {"de": "Plattform", "en": "Platform"},
        "replies_choose_platform": {"de": "– bitte wählen –", "en": "– please choose –"},
        "replies_platform_website": {"de": "Webseite", "en": "Website"},
        "replies_platform_other": {"de": "Andere", "en": "Other"},
        "replies_url": {"de": "Link zum Beitrag (optional)", "en": "Link to the post (optional)"},
        "replies_posted": {
            "de": "Als gepostet auf {platform} festgehalten; es steht im Verlauf des Vorfalls.",
            "en": "Recorded as posted on {platform}; it is in the incident's timeline.",
        },
        "replies_posted_before": {"de": "Schon gepostet", "en": "Posted already"},
        "replies_posted_entry": {"de": "{platform}, {when}, von {who}", "en": "{platform}, {when}, by {who}"},
        "replies_view_post": {"de": "Beitrag ansehen", "en": "View the post"},
        "replies_error_text": {
            "de": "Der Text ist leer oder länger als 10 000 Zeichen.",
            "en": "The text is empty or longer than 10,000 characters.",
        },
        "replies_error_platform": {"de": "Bitte eine Plattform wählen.", "en": "Please choose a platform."},
        "replies_error_url": {
            "de": "Der Link muss mit https:// oder http:// beginnen (höchstens 2000 Zeichen).",
            "en": "The link must start with https:// or http:// (2000 characters at most).",
        },
    }
)


@dataclass(frozen=True, slots=True)
class Card:
    """A draft as the page shows it."""

    key: str
    draft: Draft
    purpose: str  # what a responder calls the purpose, in their language

    @property
    def too_long_for(self) -> str:
        """The platforms the draft's text is too long for, counted as the editor counts ("X, SMS")."""
        if self.draft.purpose == "private":  # a direct message: no public post's limit
            return ""
        counted = lengths.counts(self.draft.text)
        return ", ".join(name for key, name in COUNTERS if counted[key].over)


class Drafting:
    """The playbooks for this console's config, loaded at the first replies page."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self._responder: Responder | None = None

    @property
    def responder(self) -> Responder:
        if self._responder is None:
            self._responder = Responder.from_config(self.ctx.config)
        return self._responder


DRAFTING = web.AppKey("replies_drafting", Drafting)


def draft_key(draft: Draft) -> str:
    return f"{draft.playbook_id}.{draft.purpose}"


def platform_name(platform: str, language: Language) -> str:
    return BRANDED.get(platform) or text(language, f"replies_platform_{platform}")


def _field(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


class Drafts:
    """The ranked drafts of one incident now, and any draft by key."""

    def __init__(
        self, responder: Responder, incident: Incident, mentions: list[str], language: Language, now: datetime
    ) -> None:
        self.responder = responder
        self.incident = incident
        self.mentions = mentions
        self.language = language
        self.now = now
        ranked = responder.rank_drafts(incident, mentions, language, now, top=3)
        labels = PURPOSE_LABELS.get(language, PURPOSE_LABELS["de"])
        self.cards = [Card(draft_key(d), d, labels[d.purpose]) for d in ranked]

    @classmethod
    async def of(cls, request: web.Request, incident: Incident) -> Drafts:
        ctx = request.app[CONTEXT]
        mentions = await ctx.incidents.texts_to_answer(incident)
        now = datetime.fromtimestamp(ctx.clock.now(), UTC)
        return cls(request.app[DRAFTING].responder, incident, mentions, language_of(request), now)

    def card(self, key: str) -> Card | None:
        """The card ``key``: one of the ranked, else that playbook's draft rendered now (the ranking moved)."""
        for card in self.cards:
            if card.key == key:
                return card
        playbook_id, _, purpose = key.rpartition(".")
        playbook = self.responder.playbooks.get(playbook_id)
        if playbook is None or purpose not in PURPOSES:
            return None
        wanted = next(p for p in PURPOSES if p == purpose)
        variables = self.responder.variables(
            self.incident.brand, self.language, self.now, self.incident, len(self.mentions)
        )
        reason = text(self.language, "replies_chosen_before")
        draft = self.responder.render(playbook, wanted, self.language, self.now, variables, reason)
        if draft is None:
            return None
        return Card(key, draft, PURPOSE_LABELS.get(self.language, PURPOSE_LABELS["de"])[wanted])


async def _page(
    request: web.Request,
    incident: Incident,
    *,
    key: str = "",
    variant: str = "text",
    editor_text: str | None = None,
    status: int = 200,
    error: str = "",
    platform: str = "",
    url: str = "",
) -> web.Response:
    ctx = request.app[CONTEXT]
    language = language_of(request)
    drafts = await Drafts.of(request, incident)
    chosen = drafts.card(key) if key else None
    if chosen is None or (variant == "short" and not chosen.draft.short_text):
        variant = "text"
    if editor_text is None:
        editor_text = ""
        if chosen is not None:
            editor_text = (chosen.draft.short_text or "") if variant == "short" else chosen.draft.text
    brand = ctx.config.brand(incident.brand)
    posted = request.query.get("posted", "")
    return render(
        request,
        "replies.html",
        status=status,
        incident=incident,
        incident_path=quote(incident.id, safe=":"),
        brand_label=brand.label if brand else incident.brand,
        cards=drafts.cards,
        chosen=chosen,
        variant=variant,
        editor_text=editor_text,
        counts=lengths.counts(editor_text),
        counters=COUNTERS,
        platforms=[(p, platform_name(p, language)) for p in PLATFORMS],
        platform=platform,
        url=url,
        error=error,
        posted=platform_name(posted, language) if posted in PLATFORMS else "",
        posted_before=await _posted_before(ctx, incident, language),
    )


async def _posted_before(ctx: WebContext, incident: Incident, language: Language) -> list[dict[str, str]]:
    """What responders marked as posted for this incident, newest first."""
    zone = ZoneInfo(ctx.config.respond.time_zone)
    out = []
    for entry in reversed(await ctx.incidents.timeline(incident.brand, incident.number)):
        if entry.get("kind") != "reply_posted":
            continue
        who = str(entry.get("by", ""))
        person = ctx.directory.recipient_or_none(who)
        at = datetime.fromtimestamp(float(entry.get("at", 0)), zone)
        out.append(
            {
                "summary": text(
                    language,
                    "replies_posted_entry",
                    platform=platform_name(str(entry.get("platform", "other")), language),
                    when=at.strftime("%d.%m. %H:%M") if language == "de" else at.strftime("%b %d, %H:%M"),
                    who=person.name if person else who,
                ),
                "text": str(entry.get("text", "")),
                "url": str(entry.get("url") or ""),
            }
        )
    return out


async def replies(request: web.Request) -> web.StreamResponse:
    incident = await incident_of(request)
    if incident is None:
        return not_found(request)
    return await _page(request, incident, key=request.query.get("draft", ""), variant=request.query.get("variant", ""))


async def mark_posted(request: web.Request) -> web.StreamResponse:
    """Who posted which text where (and from which draft), into the incident's timeline; back to the page."""
    ctx = request.app[CONTEXT]
    incident = await incident_of(request)
    if incident is None:
        return not_found(request)
    language = language_of(request)
    form = await request.post()
    body = (_field(form, "editor_text") or _field(form, "text")).strip()
    platform = _field(form, "platform")
    url = _field(form, "url").strip()
    key = _field(form, "draft")
    variant = "short" if _field(form, "variant") == "short" else "text"
    error = ""
    if platform not in PLATFORMS:
        error = text(language, "replies_error_platform")
    elif not body or len(body) > MAX_TEXT:
        error = text(language, "replies_error_text")
    elif url and (not url.startswith(("https://", "http://")) or len(url) > MAX_URL or any(c.isspace() for c in url)):
        error = text(language, "replies_error_url")
    if error:
        return await _page(
            request, incident, key=key, variant=variant, editor_text=body[:MAX_TEXT], status=400, error=error,
            platform=platform, url=url[:MAX_URL],
        )  # fmt: skip
    person = current_session(request).person
    now = ctx.clock.now()
    started_from = key if _known_draft(request, key) else None
    if started_from is not None:
        playbook_id, _, purpose = started_from.rpartition(".")
        await ctx.incidents.note(
            incident.id,
            {
                "kind": "draft",
                "at": now,
                "by": person,
                "via": "web",
                "playbook": playbook_id,
                "purpose": purpose,
                "draft": started_from,
                "variant": variant,
            },
        )
    await ctx.incidents.note(
        incident.id,
        {
            "kind": "reply_posted",
            "at": now,
            "by": person,
            "via": "web",
            "platform": platform,
            "text": body,
            "url": url or None,
            "draft": started_from,
        },
    )
    log.info("web_reply_posted", incident_id=incident.id, person=person, platform=platform, draft=started_from)
    raise web.HTTPSeeOther(f"/incidents/{quote(incident.id, safe=':')}/replies?posted={platform}#posted")


def _known_draft(request: web.Request, key: str) -> bool:
    """``PLAYBOOK.PURPOSE`` of a playbook this console knows."""
    playbook_id, _, purpose = key.rpartition(".")
    return purpose in PURPOSES and request.app[DRAFTING].responder.playbooks.get(playbook_id) is not None


def add_routes(app: web.Application) -> None:
    """``/incidents/{id}/replies`` and its mark-as-posted action."""
    app[DRAFTING] = Drafting(app[CONTEXT])
    app.router.add_get("/incidents/{id}/replies", replies)
    app.router.add_post("/incidents/{id}/replies/posted", mark_posted)
