"""One incident: header and figures, the storm as a chart, its mentions, its timeline, and the actions.

``GET /incidents/{brand:number}`` shows it; ``POST …/act`` (``action`` = ack, resolve,
false_alarm, snooze) acts exactly like a Telegram button — through the responder, which
enforces who may do what, stops the escalation and edits the sent alerts — and ``POST …/note``
adds a note to the timeline. Both redirect back (303) with the answer, signed with the
session's CSRF token so that a link cannot put words on the page.

The chart works on bucket counts and the mentions list on the brand's recent mentions (what
the detect stage keeps: hours deep, a few thousand at most), so the page renders in
milliseconds however loud the storm was (``bench/web_render.py``).

Why ~640 lines: most of it is words, not logic — the page's German and English texts (~190
lines) and the wording of each kind of timeline entry (detector, response, delivery,
escalation, draft, note). They change together with the template; the chart's drawing,
the part that could stand alone, lives in ``warner/web/chart.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast, get_args
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web
from markupsafe import Markup

from warner.core import Action, Language
from warner.detect.counters import BucketCounter
from warner.detect.detector import BrandDetector, Detector
from warner.incidents.lifecycle import Response
from warner.scoring.lexicon import LexiconScorer
from warner.store import keys
from warner.web import chart
from warner.web.base import CONTEXT, current_session, incident_of, language_of, not_found, render
from warner.web.texts import add_texts, local_time, number, text

if TYPE_CHECKING:
    from warner.incidents.model import Incident, TopMention
    from warner.web.base import WebContext

PER_PAGE = 50
BEFORE_S = 3600  # the chart starts an hour before the incident
MAX_CHART_S = 7 * 86400  # and shows at most a week
NOTE_MAX = 2000
ACTIONS: tuple[Action, ...] = ("ack", "resolve", "false_alarm", "snooze")
BAND_SD = 2.0  # the normal band: expected ± this many standard deviations of the learnt baseline

add_texts(
    {
        "incident_back": {"de": "Alle Vorfälle", "en": "All incidents"},
        "incident_title": {"de": "{brand}, Vorfall {number}", "en": "{brand}, incident {number}"},
        "incident_severity_info": {"de": "Info", "en": "Info"},
        "incident_severity_warning": {"de": "Warnung", "en": "Warning"},
        "incident_severity_critical": {"de": "Kritisch", "en": "Critical"},
        "incident_figures": {"de": "Kennzahlen", "en": "Figures"},
        "incident_severity": {"de": "Schwere", "en": "Severity"},
        "incident_status": {"de": "Status", "en": "Status"},
        "incident_status_open": {"de": "läuft", "en": "ongoing"},
        "incident_status_subsiding": {"de": "klingt ab", "en": "subsiding"},
        "incident_status_closed": {"de": "vorbei", "en": "over"},
        "incident_response": {"de": "Reaktion", "en": "Response"},
        "incident_started": {"de": "Beginn", "en": "Started"},
        "incident_ended": {"de": "Ende", "en": "Ended"},
        "incident_mentions_vs": {"de": "Erwähnungen / erwartet", "en": "Mentions / expected"},
        "incident_mentions_value": {
            "de": "{mentions} / {expected} ({ratio}× normal)",
            "en": "{mentions} / {expected} ({ratio}× normal)",
        },
        "incident_negatives": {"de": "Negativ", "en": "Negative"},
        "incident_share": {"de": "{n} ({share} %)", "en": "{n} ({share}%)"},
        "incident_toxic": {"de": "Beleidigend", "en": "Offensive"},
        "incident_reach": {"de": "Reichweite", "en": "Reach"},
        "incident_peak": {"de": "Spitze", "en": "Peak"},
        "incident_peak_value": {"de": "{count} pro Intervall um {at}", "en": "{count} per bucket at {at}"},
        "incident_actions": {"de": "Handeln", "en": "Act"},
        "incident_act_ack": {"de": "Übernehmen", "en": "Acknowledge"},
        "incident_act_resolve": {"de": "Erledigt", "en": "Resolve"},
        "incident_act_false_alarm": {"de": "Fehlalarm", "en": "False alarm"},
        "incident_act_snooze": {"de": "Stumm schalten", "en": "Snooze"},
        "incident_drafts": {"de": "Antwortentwürfe", "en": "Reply drafts"},
        "incident_bad_action": {"de": "Unbekannte Aktion.", "en": "Unknown action."},
        "incident_not_allowed": {
            "de": "Das dürfen Sie bei diesem Vorfall nicht.",
            "en": "You may not do that for this incident.",
        },
        "incident_storm": {"de": "Verlauf", "en": "The storm"},
        "incident_chart_title": {
            "de": "Erwähnungen je {minutes} min, {start} bis {end}",
            "en": "Mentions per {minutes} min, {start} to {end}",
        },
        "incident_chart_desc": {
            "de": "{mentions} Erwähnungen; höchstens {peak} in einem Intervall um {peak_at}. {normal} "
            "Rote Linie: Anteil negativer Erwähnungen (rechte Achse). {markers}",
            "en": "{mentions} mentions; at most {peak} in one bucket at {peak_at}. {normal} "
            "Red line: share of negative mentions (right axis). {markers}",
        },
        "incident_normal_baseline": {
            "de": "Graues Band: üblicher Bereich zu dieser Stunde (erwarteter Wert ± 2 Standardabweichungen des "
            "gelernten Normalverlaufs der Marke), gestrichelte Linie: erwarteter Wert.",
            "en": "Grey band: the usual range at this hour (expected value ± 2 standard deviations of the brand's "
            "learnt baseline), dashed line: the expected value.",
        },
        "incident_normal_spread": {
            "de": "Gestrichelte Linie: der erwartete Wert des Vorfalls ({expected} Erwähnungen), gleichmäßig auf "
            "seine Intervalle verteilt (kein gelernter Normalverlauf lesbar).",
            "en": "Dashed line: the incident's expected value ({expected} mentions) spread evenly over its buckets "
            "(no learnt baseline readable).",
        },
        "incident_no_markers": {"de": "Noch niemand alarmiert.", "en": "Nobody paged yet."},
        "incident_legend_mentions": {"de": "Erwähnungen", "en": "Mentions"},
        "incident_legend_normal": {"de": "Normalbereich / erwartet", "en": "Normal range / expected"},
        "incident_legend_negative": {"de": "Anteil negativ", "en": "Negative share"},
        "incident_marker_paged": {"de": "Alarmiert", "en": "Paged"},
        "incident_marker_escalated": {"de": "Eskaliert", "en": "Escalated"},
        "incident_marker_acknowledged": {"de": "Übernommen", "en": "Acknowledged"},
        "incident_marker_resolved": {"de": "Beendet", "en": "Resolved"},
        "incident_chart_data": {"de": "Daten des Diagramms als Tabelle", "en": "Chart data as a table"},
        "incident_bucket": {"de": "Intervall ab", "en": "Bucket from"},
        "incident_expected": {"de": "Erwartet", "en": "Expected"},
        "incident_mentions": {"de": "Erwähnungen", "en": "Mentions"},
        "incident_sort": {"de": "Sortierung", "en": "Order"},
        "incident_sort_new": {"de": "Neueste zuerst", "en": "Newest first"},
        "incident_sort_loud": {"de": "Reichweite zuerst", "en": "Loudest first"},
        "incident_listed": {
            "de": "{listed} Erwähnungen gelistet ({counted} gezählt; warner hält die Beiträge der letzten "
            "Stunden vor, gezählt wird alles).",
            "en": "{listed} mentions listed ({counted} counted; warner keeps the posts of the last hours, "
            "it counts all of them).",
        },
        "incident_author": {"de": "Autor", "en": "Author"},
        "incident_language": {"de": "Sprache", "en": "Language"},
        "incident_sentiment": {"de": "Stimmung", "en": "Sentiment"},
        "incident_post": {"de": "Beitrag", "en": "Post"},
        "incident_time": {"de": "Zeit", "en": "Time"},
        "incident_open_post": {"de": "öffnen", "en": "open"},
        "incident_lang_de": {"de": "Deutsch", "en": "German"},
        "incident_lang_en": {"de": "Englisch", "en": "English"},
        "incident_lang_other": {"de": "andere", "en": "other"},
        "incident_sentiment_negative": {"de": "negativ", "en": "negative"},
        "incident_sentiment_positive": {"de": "positiv", "en": "positive"},
        "incident_sentiment_neutral": {"de": "neutral", "en": "neutral"},
        "incident_unknown": {"de": "unbekannt", "en": "unknown"},
        "incident_no_mentions": {"de": "Keine Beiträge vorgehalten.", "en": "No posts kept."},
        "incident_pages": {"de": "Seiten der Erwähnungen", "en": "Pages of mentions"},
        "incident_page_of": {"de": "Seite {page} von {pages}", "en": "Page {page} of {pages}"},
        "incident_prev": {"de": "Vorherige Seite", "en": "Previous page"},
        "incident_next": {"de": "Nächste Seite", "en": "Next page"},
        "incident_timeline": {"de": "Ablauf", "en": "Timeline"},
        "incident_timeline_empty": {"de": "Noch nichts geschehen.", "en": "Nothing has happened yet."},
        "incident_by_via": {"de": "{who} · über {via}", "en": "{who} · via {via}"},
        "incident_note": {"de": "Notiz für den Ablauf", "en": "Note for the timeline"},
        "incident_note_add": {"de": "Notiz hinzufügen", "en": "Add note"},
        "incident_note_added": {"de": "Notiz hinzugefügt.", "en": "Note added."},
        "incident_note_empty": {"de": "Die Notiz ist leer.", "en": "The note is empty."},
        "incident_note_too_long": {
            "de": "Die Notiz ist zu lang (höchstens {n} Zeichen).",
            "en": "The note is too long (at most {n} characters).",
        },
        # The timeline, entry by entry.
        "incident_via_telegram": {"de": "Telegram", "en": "Telegram"},
        "incident_via_sms": {"de": "SMS", "en": "SMS"},
        "incident_via_web": {"de": "die Konsole", "en": "the console"},
        "incident_via_detector": {"de": "die Erkennung", "en": "the detector"},
        "incident_via_policy": {"de": "die Eskalationsregel", "en": "the escalation policy"},
        "incident_via_system": {"de": "warner", "en": "warner"},
        "incident_via_voice": {"de": "Anruf", "en": "phone call"},
        "incident_via_email": {"de": "E-Mail", "en": "email"},
        "incident_via_call": {"de": "Anruf", "en": "phone call"},
        "incident_via_teams": {"de": "Microsoft Teams", "en": "Microsoft Teams"},
        "incident_via_slack": {"de": "Slack", "en": "Slack"},
        "incident_via_console": {"de": "das Terminal", "en": "the terminal"},
        "incident_ev_opened": {
            "de": "Vorfall eröffnet: {severity}, {mentions} Erwähnungen (erwartet {expected})",
            "en": "Incident opened: {severity}, {mentions} mentions (expected {expected})",
        },
        "incident_ev_escalated": {
            "de": "Schwere gestiegen auf {severity}, {mentions} Erwähnungen",
            "en": "Severity rose to {severity}, {mentions} mentions",
        },
        "incident_ev_subsiding": {"de": "Klingt ab ({mentions} Erwähnungen)", "en": "Subsiding ({mentions} mentions)"},
        "incident_ev_closed": {"de": "Vorbei ({mentions} Erwähnungen)", "en": "Over ({mentions} mentions)"},
        "incident_ev_reopened": {"de": "Wieder aufgeflammt", "en": "Flared up again"},
        "incident_resp_acknowledged": {"de": "Übernommen", "en": "Acknowledged"},
        "incident_resp_snoozed": {"de": "Stumm bis {until}", "en": "Snoozed until {until}"},
        "incident_resp_resolved": {"de": "Als erledigt markiert", "en": "Marked resolved"},
        "incident_resp_false_alarm": {"de": "Als Fehlalarm markiert", "en": "Marked as false alarm"},
        "incident_resp_open": {"de": "Wieder offen", "en": "Open again"},
        "incident_page_new": {"de": "Alarm", "en": "Alert"},
        "incident_page_update": {"de": "Aktualisierung", "en": "Update"},
        "incident_page_escalation": {"de": "Eskalation", "en": "Escalation"},
        "incident_page_reminder": {"de": "Erinnerung", "en": "Reminder"},
        "incident_page_acknowledged": {"de": "Meldung „übernommen“", "en": "“Acknowledged” notice"},
        "incident_page_resolved": {"de": "Meldung „erledigt“", "en": "“Resolved” notice"},
        "incident_delivery_ok": {
            "de": "{page} an {to} über {channel}: zugestellt",
            "en": "{page} to {to} via {channel}: delivered",
        },
        "incident_delivery_failed": {
            "de": "{page} an {to} über {channel}: fehlgeschlagen ({error})",
            "en": "{page} to {to} via {channel}: failed ({error})",
        },
        "incident_delivery_edit": {"de": " (bearbeitet)", "en": " (edited)"},
        "incident_esc_started": {"de": "Eskalation gestartet ({policy})", "en": "Escalation started ({policy})"},
        "incident_esc_stopped": {"de": "Eskalation beendet ({reason})", "en": "Escalation stopped ({reason})"},
        "incident_esc_paused": {"de": "Eskalation pausiert", "en": "Escalation paused"},
        "incident_esc_resumed": {"de": "Eskalation fortgesetzt", "en": "Escalation resumed"},
        "incident_esc_no_route": {
            "de": "Niemand alarmiert: nur für den Wochenbericht",
            "en": "Nobody paged: for the digest only",
        },
        "incident_esc_flapping": {
            "de": "Flackert ({reopens}× wieder offen): nur Aktualisierungen",
            "en": "Flapping (reopened {reopens}×): updates only",
        },
        "incident_esc_other": {"de": "Eskalation: {event}", "en": "Escalation: {event}"},
        "incident_draft_chosen": {"de": "Antwortentwurf gewählt: {what}", "en": "Reply draft chosen: {what}"},
        "incident_draft_other": {"de": "Antwortentwurf ({kind}): {what}", "en": "Reply draft ({kind}): {what}"},
        "incident_entry_other": {"de": "{kind}", "en": "{kind}"},
        "incident_reply_posted": {
            "de": "Antwort gepostet auf {platform}: „{text}“",
            "en": "Reply posted on {platform}: “{text}”",
        },
    }
)


@dataclass(frozen=True, slots=True)
class Entry:
    """A timeline entry as shown: when, what, who, via what."""

    at: float
    when: str
    iso: str
    what: str
    who: str
    via: str
    kind: str
    note: bool = False


def add_routes(app: web.Application) -> None:
    app.router.add_get("/incidents/{id}", show)
    app.router.add_post("/incidents/{id}/act", act)
    app.router.add_post("/incidents/{id}/note", note)


# -- the page ----------------------------------------------------------------------------------


async def show(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    lang = language_of(request)
    incident = await incident_of(request)
    if incident is None:
        return not_found(request)
    tz = ZoneInfo(ctx.config.escalation.time_zone)
    response = await ctx.lifecycle.get(incident.id)
    timeline = await ctx.incidents.timeline(incident.brand, incident.number)
    now = ctx.clock.now()
    width = int(ctx.config.bucket.total_seconds())
    end = incident.ended_at + width if incident.ended_at is not None else max(now, incident.updated_at + width)
    end = min(end, incident.started_at + MAX_CHART_S)

    def when(at: float, with_date: bool = False) -> str:
        return local_time(at, tz, lang, with_date=with_date)

    entries = [_entry(e, lang, ctx, when) for e in timeline]
    entries.sort(key=lambda e: e.at)
    markers = _markers(timeline, response, width, lang, ctx, when)
    svg, table = await _chart(ctx, incident, end, markers, lang, when)
    sort = "loud" if request.query.get("sort") == "loud" else "new"
    mentions, listed, page, pages = await _mentions(ctx, incident, end, sort, request.query.get("page", "1"))
    languages = _languages(mentions)
    brand = ctx.config.brand(incident.brand)
    answer = _verified_answer(request)
    return render(
        request,
        "incident.html",
        incident=incident,
        brand_label=brand.label if brand else incident.brand,
        title=text(lang, "incident_title", brand=brand.label if brand else incident.brand, number=incident.number),
        severity=text(lang, f"incident_severity_{incident.severity}"),
        status_text=text(lang, f"incident_status_{incident.status}"),
        response_line=ctx.responder.describe(response or Response(incident.id, "open", incident.started_at), lang),
        started=when(incident.started_at, True),
        started_iso=_iso(incident.started_at),
        ended=when(incident.ended_at, True) if incident.ended_at is not None else None,
        ratio=f"{incident.volume_ratio:.1f}",
        expected=number(incident.expected, lang),
        negative_share=f"{incident.negative_share * 100:.0f}",
        peak_at=when(incident.peak_at) if incident.peak_at else "–",
        number=lambda n: number(n, lang),
        chart_svg=Markup(svg),
        chart_table=table,
        markers=markers,
        mentions=[_mention_row(m, code, lang, when) for m, code in zip(mentions, languages, strict=True)],
        listed=listed,
        sort=sort,
        page=page,
        pages=pages,
        page_link=lambda p, s=sort: f"?{urlencode({'sort': s, 'page': p})}",
        entries=entries,
        actions=ACTIONS,
        answer=answer,
        note_max=NOTE_MAX,
    )


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


# -- the chart ---------------------------------------------------------------------------------


async def _chart(
    ctx: WebContext,
    incident: Incident,
    end: float,
    markers: list[chart.Marker],
    lang: Language,
    when: Any,
) -> tuple[str, list[dict[str, str]]]:
    width = int(ctx.config.bucket.total_seconds())
    start = incident.started_at - BEFORE_S
    start -= start % width
    counter = BucketCounter(ctx.redis, ctx.config.bucket, ctx.config.retention.buckets)
    counted = {c.start: c for c in await counter.read(incident.brand, start, int(end))}
    starts = range(start, int(end), width)
    normal = await _normal(ctx, incident.brand, starts)
    if normal is None:  # no learnt baseline: the incident's expected total, spread over its buckets
        inside = max(1, math.ceil(((incident.ended_at or incident.updated_at) - incident.started_at) / width) + 1)
        spread = incident.expected / inside
        normal = [(spread, None, None)] * len(starts)
        normal_words = text(lang, "incident_normal_spread", expected=number(incident.expected, lang))
    else:
        normal_words = text(lang, "incident_normal_baseline")
    points = []
    for t, (mu, low, high) in zip(starts, normal, strict=True):
        c = counted.get(t)
        points.append(chart.Point(t, c.mentions if c else 0, c.negatives if c else 0, mu, low, high))
    shown, shown_width = chart.downsample(points, width)
    peak = max(shown, key=lambda p: p.mentions, default=None)
    marker_words = "; ".join(m.label for m in markers) or text(lang, "incident_no_markers")
    labels = chart.Labels(
        title=text(
            lang,
            "incident_chart_title",
            minutes=number(shown_width / 60, lang),
            start=when(start, True),
            end=when(end, True),
        ),
        description=text(
            lang,
            "incident_chart_desc",
            mentions=number(sum(p.mentions for p in points), lang),
            peak=peak.mentions if peak else 0,
            peak_at=when(peak.start) if peak else "–",
            normal=normal_words,
            markers=marker_words + ".",
        ),
    )
    svg = chart.storm_chart(shown, shown_width, markers, labels, when)
    # The data behind it, at most ~48 rows: the chart's buckets summed further.
    rows, row_width = chart.downsample(shown, shown_width, 48)
    table = [
        {
            "at": when(p.start),
            "mentions": number(p.mentions, lang),
            "negative": f"{p.negatives / p.mentions:.0%}" if p.mentions else "–",
            "expected": number(p.expected, lang) if p.expected is not None else "–",
        }
        for p in rows
        if p.mentions or p.expected
    ]
    return svg, table


async def _normal(ctx: WebContext, brand: str, starts: range) -> list[tuple[float, float | None, float | None]] | None:
    """Expected count and normal range per bucket from the detector's learnt baseline, if readable."""
    raw = await ctx.redis.get(keys.detector(brand))
    if not raw:
        return None
    try:
        state = BrandDetector.from_dict(orjson.loads(raw))
    except (ValueError, TypeError, KeyError):
        return None
    detector = Detector(ctx.config.detect, ctx.config.bucket)
    base, s = state.baseline, detector.baseline_settings
    out: list[tuple[float, float | None, float | None]] = []
    slots: dict[int, tuple[float, float | None, float | None]] = {}
    for t in starts:
        hour = t - t % 3600
        if hour not in slots:
            mu = base.expected(detector.slot(t), detector.hours, s)
            sd = base.sd(mu, s)
            slots[hour] = (mu, max(0.0, mu - BAND_SD * sd), mu + BAND_SD * sd)
        out.append(slots[hour])
    return out


def _markers(
    timeline: list[dict[str, Any]], response: Response | None, width: int, lang: Language, ctx: WebContext, when: Any
) -> list[chart.Marker]:
    """Paged, escalated, acknowledged and resolved moments; one marker per kind and bucket."""
    found: list[chart.Marker] = []
    seen: set[tuple[str, int]] = set()

    def add(at: float, kind: chart.MarkerKind, who: str | None = None, via: str | None = None) -> None:
        if (kind, int(at) // width) in seen:
            return
        seen.add((kind, int(at) // width))
        label = f"{text(lang, f'incident_marker_{kind}')} {when(at)}"
        if who:
            label += f" ({_name(ctx, who)}{', ' + _via(lang, via) if via else ''})"
        found.append(chart.Marker(at, kind, label))

    for e in timeline:
        kind, at = e.get("kind"), e.get("at")
        if not isinstance(at, int | float):
            continue
        if kind == "delivery" and e.get("ok") and not e.get("edit"):
            if e.get("page") in ("new", "reminder"):
                add(at, "paged", e.get("recipient"), e.get("channel"))
            elif e.get("page") == "escalation":
                add(at, "escalated", e.get("recipient"), e.get("channel"))
        elif kind == "escalated":
            add(at, "escalated")
        elif kind == "response" and e.get("state") == "acknowledged":
            add(at, "acknowledged", e.get("by"), e.get("via"))
        elif kind == "response" and e.get("state") in ("resolved", "false_alarm"):
            add(at, "resolved", e.get("by"), e.get("via"))
    if response is not None and response.acknowledged_at and not any(m.kind == "acknowledged" for m in found):
        add(response.acknowledged_at, "acknowledged", response.acknowledged_by, response.acknowledged_via)
    return sorted(found, key=lambda m: m.at)


# -- the mentions ------------------------------------------------------------------------------


async def _mentions(
    ctx: WebContext, incident: Incident, end: float, sort: str, page_arg: str
) -> tuple[list[TopMention], int, int, int]:
    """One page of the incident's mentions kept, newest or loudest first; with the number listed,
    the page and the number of pages."""
    kept = await ctx.incidents.recent_mentions(incident.brand, incident.started_at)
    by_key = {m.key: m for m in kept if m.created_at <= end}
    for m in incident.top:
        by_key.setdefault(m.key, m)
    mentions = list(by_key.values())
    if sort == "loud":
        mentions.sort(key=lambda m: (m.reach, m.created_at), reverse=True)
    else:
        mentions.sort(key=lambda m: (m.created_at, m.reach), reverse=True)
    pages = max(1, math.ceil(len(mentions) / PER_PAGE))
    page = int(page_arg) if page_arg.isdigit() else 1
    page = min(max(page, 1), pages)
    return mentions[(page - 1) * PER_PAGE : page * PER_PAGE], len(mentions), page, pages


def _languages(mentions: list[TopMention]) -> list[str]:
    """Each post's language as the scorer saw it; guessed with the lexicon only for posts kept before the
    detect stage stored it (their cell says so)."""
    unknown = [m.text for m in mentions if m.lang is None]
    guesses = iter(s.lang + "?" for s in LexiconScorer().score(unknown)) if unknown else iter(())
    return [m.lang if m.lang is not None else next(guesses) for m in mentions]


def _mention_row(m: TopMention, guessed: str, lang: Language, when: Any) -> dict[str, Any]:
    url = m.url if m.url and m.url.startswith(("https://", "http://")) else None
    return {
        "author": m.author or text(lang, "incident_unknown"),
        "reach": number(m.reach, lang),
        "language": text(lang, f"incident_lang_{guessed.rstrip('?')}") + (" (?)" if guessed.endswith("?") else ""),
        "sentiment": text(lang, f"incident_sentiment_{m.sentiment}")
        if m.sentiment in ("negative", "positive", "neutral")
        else text(lang, "incident_unknown"),
        "negative": m.sentiment == "negative",
        "text": m.text,
        "url": url,
        "when": when(m.created_at, True),
        "iso": _iso(m.created_at),
    }


# -- the timeline ------------------------------------------------------------------------------


def _name(ctx: WebContext, person: str | None) -> str:
    if not person:
        return "warner"
    recipient = ctx.directory.recipient_or_none(person)
    return recipient.name if recipient else person


def _via(lang: Language, via: Any) -> str:
    key = f"incident_via_{via}"
    try:
        return text(lang, key)
    except KeyError:
        return str(via)


def _entry(e: dict[str, Any], lang: Language, ctx: WebContext, when: Any) -> Entry:
    kind = str(e.get("kind", "?"))
    at = float(e["at"]) if isinstance(e.get("at"), int | float) else 0.0
    who, via = "warner", _via(lang, e.get("via", "system"))
    if kind in ("opened", "escalated", "subsiding", "closed", "reopened"):
        what = text(
            lang,
            f"incident_ev_{kind}",
            severity=text(lang, f"incident_severity_{e.get('severity', 'info')}"),
            mentions=number(e.get("mentions", 0), lang),
            expected=number(e.get("expected", 0), lang),
        )
        via = _via(lang, "detector")
    elif kind == "response":
        state = str(e.get("state", "open"))
        until = when(e["until"]) if isinstance(e.get("until"), int | float) else "?"
        what = text(lang, f"incident_resp_{state}", until=until) if state in _RESPONSE_STATES else state
        who = _name(ctx, e.get("by"))
    elif kind == "delivery":
        page = str(e.get("page", "new"))
        page_words = text(lang, f"incident_page_{page}") if page in _PAGE_KINDS else page
        values = {
            "page": page_words,
            "to": _name(ctx, e.get("recipient")),
            "channel": _via(lang, e.get("channel", "?")),
            "error": e.get("error") or "?",
        }
        what = text(lang, "incident_delivery_ok" if e.get("ok") else "incident_delivery_failed", **values)
        if e.get("edit"):
            what += text(lang, "incident_delivery_edit")
        via = _via(lang, e.get("channel", "?"))
    elif kind == "escalation":
        event = str(e.get("event", "?"))
        if event in ("started", "stopped", "paused", "resumed", "no_route", "flapping"):
            what = text(
                lang,
                f"incident_esc_{event}",
                policy=e.get("policy", "?"),
                reason=e.get("reason", "?"),
                reopens=e.get("reopens", "?"),
            )
        else:
            detail = ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("kind", "event", "at", "by", "via"))
            what = text(lang, "incident_esc_other", event=f"{event} ({detail})" if detail else event)
        who = _name(ctx, e.get("by")) if e.get("by") else "warner"
        if not e.get("via"):
            via = _via(lang, "policy")
    elif kind == "note":
        what, who = str(e.get("text", "")), _name(ctx, e.get("by"))
    elif kind == "reply_posted":
        posted = str(e.get("text", ""))
        posted = posted if len(posted) <= 140 else posted[:139] + "…"
        what = text(lang, "incident_reply_posted", platform=e.get("platform", "?"), text=posted)
        if e.get("url"):
            what += f" ({e['url']})"
        who = _name(ctx, e.get("by"))
    elif kind.startswith("draft"):
        what_bits = [str(e[k]) for k in ("playbook", "purpose", "platform", "title") if e.get(k)]
        what = text(
            lang,
            "incident_draft_chosen" if kind == "draft" else "incident_draft_other",
            what=", ".join(what_bits) or "–",
            kind=kind,
        )
        who = _name(ctx, e.get("by"))
        if not e.get("via"):
            via = _via(lang, "telegram")
    else:
        what = text(lang, "incident_entry_other", kind=kind)
        who = _name(ctx, e.get("by")) if e.get("by") else "warner"
    return Entry(at, when(at, True), _iso(at), what, who, via, kind, note=kind == "note")


_RESPONSE_STATES = ("acknowledged", "snoozed", "resolved", "false_alarm", "open")
_PAGE_KINDS = ("new", "update", "escalation", "reminder", "acknowledged", "resolved")


# -- acting ------------------------------------------------------------------------------------


def _sign(csrf: str, answer: str) -> str:
    return hmac.new(csrf.encode(), answer.encode(), hashlib.sha256).hexdigest()[:32]


def _back(request: web.Request, incident_id: str, answer: str) -> web.HTTPSeeOther:
    """Back to the page, with the answer signed by this session's CSRF token."""
    csrf = current_session(request).csrf
    query = urlencode({"answer": answer, "sig": _sign(csrf, answer)})
    return web.HTTPSeeOther(f"/incidents/{incident_id}?{query}")


def _verified_answer(request: web.Request) -> str | None:
    answer, sig = request.query.get("answer"), request.query.get("sig", "")
    if not answer:
        return None
    return answer if hmac.compare_digest(_sign(current_session(request).csrf, answer), sig) else None


async def act(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    lang = language_of(request)
    incident = await incident_of(request)
    if incident is None:
        return not_found(request)
    form = await request.post()
    action = str(form.get("action", ""))
    if action not in get_args(Action) or action == "drafts":
        return render(request, "error.html", status=400, message=text(lang, "incident_bad_action"))
    person = current_session(request).person
    try:
        answer = await ctx.responder.act(incident.id, cast("Action", action), person, via="web")
    except LookupError:
        return not_found(request)
    except PermissionError:
        return render(request, "error.html", status=403, message=text(lang, "incident_not_allowed"))
    raise _back(request, incident.id, answer)


async def note(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    lang = language_of(request)
    incident = await incident_of(request)
    if incident is None:
        return not_found(request)
    form = await request.post()
    words = str(form.get("text", "")).strip()
    if not words:
        raise _back(request, incident.id, text(lang, "incident_note_empty"))
    if len(words) > NOTE_MAX:
        raise _back(request, incident.id, text(lang, "incident_note_too_long", n=NOTE_MAX))
    entry = {"kind": "note", "at": round(ctx.clock.now(), 3), "by": current_session(request).person, "via": "web"}
    await ctx.incidents.note(incident.id, entry | {"text": words})
    raise _back(request, incident.id, text(lang, "incident_note_added"))
