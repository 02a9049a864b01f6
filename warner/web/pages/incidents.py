"""``/incidents``: the incidents, newest first, filtered by state, week and brand; kept live by ``/events``.

One row per incident: its state (the detector's open/subsiding/closed and the people's
response), severity, brand, when it started (local time of ``escalation.time_zone``), mentions
against the expected, the negative share, and who acknowledged it when. ``?fragment=1`` answers
only the table body, which ``static/live.js`` fetches again whenever an event arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web

from warner.incidents.lifecycle import FINAL, Response
from warner.incidents.model import Incident
from warner.web import events
from warner.web.base import CONTEXT, language_of, render
from warner.web.texts import add_texts, local_time
from warner.weeks import parse_week, week_of

if TYPE_CHECKING:
    from warner.incidents.lifecycle import IncidentLifecycle
    from warner.incidents.store import IncidentStore

SCAN = 500  # newest incidents looked at; the filters pick from these

StateFilter = Literal["open", "all"]
WeekFilter = Literal["this", "all"]

add_texts(
    {
        "incidents_title": {"de": "Vorfälle", "en": "Incidents"},
        "incidents_filters": {"de": "Filter", "en": "Filters"},
        "incidents_filter_state": {"de": "Status", "en": "State"},
        "incidents_filter_state_open": {"de": "nur offene", "en": "open only"},
        "incidents_filter_state_all": {"de": "alle", "en": "all"},
        "incidents_filter_week": {"de": "Zeitraum", "en": "Period"},
        "incidents_filter_week_this": {"de": "diese Woche", "en": "this week"},
        "incidents_filter_week_all": {"de": "alle Wochen", "en": "all weeks"},
        "incidents_filter_brand": {"de": "Marke", "en": "Brand"},
        "incidents_filter_brand_all": {"de": "alle Marken", "en": "all brands"},
        "incidents_apply": {"de": "Anzeigen", "en": "Show"},
        "incidents_caption": {
            "de": "Vorfälle, neueste zuerst; die Liste aktualisiert sich selbst.",
            "en": "Incidents, newest first; the list updates itself.",
        },
        "incidents_col_state": {"de": "Status", "en": "State"},
        "incidents_col_severity": {"de": "Schwere", "en": "Severity"},
        "incidents_col_brand": {"de": "Marke", "en": "Brand"},
        "incidents_col_started": {"de": "Beginn", "en": "Started"},
        "incidents_col_mentions": {"de": "Erwähnungen / erwartet", "en": "Mentions / expected"},
        "incidents_col_negative": {"de": "Negativ", "en": "Negative"},
        "incidents_col_acknowledged": {"de": "Übernommen", "en": "Acknowledged"},
        "incidents_none": {"de": "Keine Vorfälle für diese Auswahl.", "en": "No incidents for this selection."},
        "incidents_status_open": {"de": "offen", "en": "open"},
        "incidents_status_subsiding": {"de": "abklingend", "en": "subsiding"},
        "incidents_status_closed": {"de": "beendet", "en": "closed"},
        "incidents_response_open": {"de": "nicht übernommen", "en": "not acknowledged"},
        "incidents_response_acknowledged": {"de": "übernommen", "en": "acknowledged"},
        "incidents_response_snoozed": {"de": "stummgeschaltet", "en": "snoozed"},
        "incidents_response_resolved": {"de": "erledigt", "en": "resolved"},
        "incidents_response_false_alarm": {"de": "Fehlalarm", "en": "false alarm"},
        "incidents_severity_info": {"de": "Info", "en": "info"},
        "incidents_severity_warning": {"de": "Warnung", "en": "warning"},
        "incidents_severity_critical": {"de": "kritisch", "en": "critical"},
        "incidents_ratio": {"de": "{ratio}× normal", "en": "{ratio}× normal"},
        "incidents_acknowledged_by": {"de": "{who}, {at}", "en": "{who}, {at}"},
        "incidents_nobody": {"de": "–", "en": "–"},
        "incidents_live_updated": {
            "de": "Liste aktualisiert: Vorfall {id} hat sich geändert.",
            "en": "List updated: incident {id} changed.",
        },
        "incidents_live_resync": {"de": "Liste aktualisiert.", "en": "List updated."},
    }
)


@dataclass(frozen=True, slots=True)
class Filters:
    state: StateFilter = "all"
    week: WeekFilter = "all"
    brand: str = ""  # "" = every brand

    def query(self) -> str:
        """The query string that shows this selection (the fragment's URL uses the same)."""
        parts = [f"state={self.state}", f"week={self.week}"]
        if self.brand:
            parts.append(f"brand={self.brand}")
        return "&".join(parts)


def filters_from(query: dict[str, str], brands: set[str]) -> Filters:
    """The filters of a query string; an unknown value falls back to showing all."""
    state = query.get("state", "all")
    week = query.get("week", "all")
    brand = query.get("brand", "")
    return Filters(
        state="open" if state == "open" else "all",
        week="this" if week == "this" else "all",
        brand=brand if brand in brands else "",
    )


def still_open(incident: Incident, response: Response | None) -> bool:
    """Open for a responder: the storm has not ended and nobody resolved it or called it a false alarm."""
    return incident.status != "closed" and (response is None or response.state not in FINAL)


@dataclass(frozen=True, slots=True)
class Row:
    """One incident as the list shows it."""

    incident: Incident
    response: Response | None


async def incident_rows(
    incidents: IncidentStore,
    lifecycle: IncidentLifecycle,
    filters: Filters,
    *,
    now: float,
    time_zone: str,
    limit: int = SCAN,
) -> list[Row]:
    """The incidents ``filters`` select, newest first, each with its response (None: nobody was paged yet)."""
    found = await incidents.recent(limit=limit)
    if filters.brand:
        found = [i for i in found if i.brand == filters.brand]
    if filters.week == "this":
        start, end = parse_week(week_of(now, time_zone), time_zone)
        found = [i for i in found if start <= i.started_at < end]
    responses = {r.incident_id: r for r in await lifecycle.responses([i.id for i in found])}
    rows = [Row(i, responses.get(i.id)) for i in found]
    if filters.state == "open":
        rows = [r for r in rows if still_open(r.incident, r.response)]
    return rows


async def incidents_page(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    config = ctx.config
    brands = {b.name: b.label for b in config.brands}
    filters = filters_from(dict(request.query), set(brands))
    time_zone = config.escalation.time_zone
    zone = ZoneInfo(time_zone)
    language = language_of(request)
    rows = await incident_rows(ctx.incidents, ctx.lifecycle, filters, now=ctx.clock.now(), time_zone=time_zone)

    def name(person_id: str | None) -> str:
        if person_id is None:
            return "?"
        person = ctx.directory.recipient_or_none(person_id)
        return person.name if person else person_id

    shown = [
        {
            "id": r.incident.id,
            "incident": r.incident,
            "response": r.response.state if r.response else None,
            "brand": brands.get(r.incident.brand, r.incident.brand),
            "started_iso": datetime.fromtimestamp(r.incident.started_at, zone).isoformat(),
            "started": local_time(r.incident.started_at, zone, language),
            "expected": f"{r.incident.expected:.0f}",
            "ratio": f"{r.incident.volume_ratio:.1f}",
            "negative": f"{r.incident.negative_share:.0%}",
            "acknowledged_by": name(r.response.acknowledged_by)
            if r.response and r.response.acknowledged_by
            else None,
            "acknowledged_at": local_time(r.response.acknowledged_at, zone, language)
            if r.response and r.response.acknowledged_at
            else None,
        }
        for r in rows
    ]
    values: dict[str, Any] = {"rows": shown, "filters": filters}
    if request.query.get("fragment") == "1":
        return render(request, "incidents_rows.html", **values)
    return render(
        request,
        "incidents.html",
        brands=sorted(brands.items(), key=lambda b: b[1].lower()),
        time_zone=time_zone,
        **values,
    )


def add_routes(app: web.Application) -> None:
    """``/incidents`` and the event stream that keeps it (and every other page) live."""
    app.router.add_get("/incidents", incidents_page)
    events.add_routes(app, app[CONTEXT].listeners)
