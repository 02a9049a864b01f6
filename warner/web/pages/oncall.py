"""Who is on call, the brands at a glance, and the weekly digests kept: what a responder checks beside incidents.

- ``/oncall``: per schedule, who is on call now and until when, who comes next, the shifts of the
  next 7 days (overrides marked as such), the public holidays of the next 14 days, and whether it
  is off-hours now. The answers are the roster's (``oncall/schedule.py``), as ``warner oncall who``
  and the bot's /oncall give them; times in each schedule's zone.
- ``/brands``: per configured brand, the last 24 h's mentions against the daily mean of the last
  7 days, the negative share, the open incident, and the last 24 h hour by hour as a sparkline
  (``web/sparkline.py``), from the bucket counters the worker writes.
- ``/digests``: the reports the weekly digest saved (``digest/report.py``: ``digest-<week>.html``,
  ``.md``, ``.png`` in ``digest.out_dir``, default ``<data dir>/digests``), newest first;
  ``/digests/<week>`` serves the saved HTML as it is, under a CSP that admits its own ``<style>``
  block by hash and nothing else. A week is checked against ``YYYY-Www`` before any path is built.

Why ~440 lines in one module: the three pages are the on-call entry of the navigation (``/brands`` is
reached from ``/oncall`` only, ``/digests`` is the weekly look back at both), and a quarter of the
lines is their text table in German and English; each handler is a few lines over small pure functions.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from warner.config.common import WEEKDAYS
from warner.core import Language
from warner.detect.counters import BucketCounter, BucketCounts
from warner.notify.telegram.render import format_day
from warner.oncall.config import Person, Schedule
from warner.oncall.schedule import Roster, Shift
from warner.web.base import CONTEXT, WebContext, language_of, render
from warner.web.sparkline import sparkline
from warner.web.texts import add_texts, number, text
from warner.weeks import parse_week

SHIFT_DAYS = 7  # the shifts shown ahead
HOLIDAY_DAYS = 14  # the public holidays shown ahead
MEAN_DAYS = 7  # /brands compares the last 24 h with the daily mean of this many days
HOURS = 24
WEEK = re.compile(r"[0-9]{4}-W[0-9]{2}")  # ASCII digits only: \d would admit any script's digits
REPORT = re.compile(r"digest-([0-9]{4}-W[0-9]{2})\.html")
STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)
NONE = "'none'"
DAY_NAMES: dict[Language, tuple[str, ...]] = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

add_texts(
    {
        "oncall_title": {"de": "Bereitschaft", "en": "On call"},
        "oncall_now": {"de": "Jetzt: {time}", "en": "Now: {time}"},
        "oncall_working": {"de": "Geschäftszeit", "en": "Working hours"},
        "oncall_off_holiday": {
            "de": "Außerhalb der Geschäftszeit: Feiertag ({holiday})",
            "en": "Off-hours: public holiday ({holiday})",
        },
        "oncall_off_weekend": {"de": "Außerhalb der Geschäftszeit: Wochenende", "en": "Off-hours: weekend"},
        "oncall_off_night": {"de": "Außerhalb der Geschäftszeit: Nacht", "en": "Off-hours: night"},
        "oncall_holiday_working": {
            "de": "Feiertag {holiday} (hier ein Arbeitstag)",
            "en": "Public holiday {holiday} (a working day here)",
        },
        "oncall_none": {
            "de": "Kein Bereitschaftsplan eingerichtet (oncall.schedules in der Konfiguration).",
            "en": "No on-call schedule set up (oncall.schedules in the config).",
        },
        "oncall_zone": {"de": "Zeiten in {zone}", "en": "Times in {zone}"},
        "oncall_current": {"de": "Jetzt in Bereitschaft", "en": "On call now"},
        "oncall_until": {"de": "bis {time}", "en": "until {time}"},
        "oncall_nobody": {"de": "Niemand", "en": "Nobody"},
        "oncall_next": {"de": "Als Nächstes", "en": "Next"},
        "oncall_from": {"de": "ab {time}", "en": "from {time}"},
        "oncall_nobody_ahead": {
            "de": "Niemand in den nächsten {days} Tagen",
            "en": "Nobody in the next {days} days",
        },
        "oncall_shifts": {"de": "Schichten der nächsten {days} Tage", "en": "Shifts in the next {days} days"},
        "oncall_person": {"de": "Person", "en": "Person"},
        "oncall_start": {"de": "Von", "en": "From"},
        "oncall_end": {"de": "Bis", "en": "Until"},
        "oncall_source": {"de": "Grundlage", "en": "Source"},
        "oncall_layer": {"de": "Ebene {layer}", "en": "Layer {layer}"},
        "oncall_override": {"de": "Vertretung", "en": "Override"},
        "oncall_override_reason": {"de": "Vertretung: {reason}", "en": "Override: {reason}"},
        "oncall_holiday": {"de": "Feiertag", "en": "Public holiday"},
        "oncall_holidays": {
            "de": "Feiertage der nächsten {days} Tage ({state})",
            "en": "Public holidays in the next {days} days ({state})",
        },
        "oncall_nationwide": {"de": "bundesweit", "en": "nationwide"},
        "oncall_holidays_none": {"de": "Keine.", "en": "None."},
        "oncall_quiet": {"de": "Ruhezeit: nur kritische Alarme", "en": "Quiet hours: critical pages only"},
        "oncall_unreachable": {
            "de": "Nicht erreichbar: weder Telegram noch Telefon noch E-Mail eingetragen",
            "en": "Unreachable: neither Telegram nor phone nor e-mail set up",
        },
        "oncall_reach": {"de": "Erreichbar über: {channels}", "en": "Reached by: {channels}"},
        "oncall_channel_quiet": {"de": "{channel} (Ruhezeit {range})", "en": "{channel} (quiet {range})"},
        "oncall_channel_telegram": {"de": "Telegram", "en": "Telegram"},
        "oncall_channel_sms": {"de": "SMS", "en": "SMS"},
        "oncall_channel_call": {"de": "Anruf", "en": "phone call"},
        "oncall_channel_email": {"de": "E-Mail", "en": "e-mail"},
        "oncall_channel_console": {"de": "Terminal", "en": "terminal"},
        "oncall_brands_link": {"de": "Marken im Überblick", "en": "Brands at a glance"},
        "brands_title": {"de": "Marken im Überblick", "en": "Brands at a glance"},
        "brands_caption": {
            "de": "Erwähnungen der letzten 24 Stunden je Marke, Stand {time}",
            "en": "Mentions in the last 24 hours per brand, as of {time}",
        },
        "brands_brand": {"de": "Marke", "en": "Brand"},
        "brands_day": {"de": "Letzte 24 h", "en": "Last 24 h"},
        "brands_mean": {"de": "Tagesmittel ({days} Tage)", "en": "Daily mean ({days} days)"},
        "brands_negative": {"de": "Negativ-Anteil (24 h)", "en": "Negative share (24 h)"},
        "brands_incident": {"de": "Offener Vorfall", "en": "Open incident"},
        "brands_curve": {"de": "Verlauf 24 h", "en": "Last 24 h"},
        "brands_no_incident": {"de": "keiner", "en": "none"},
        "brands_none": {"de": "Keine Marken konfiguriert (brands).", "en": "No brands configured (brands)."},
        "brands_spark": {
            "de": "Erwähnungen je Stunde in den letzten 24 Stunden, älteste zuerst: {values}. "
            "Summe {total}, Höchstwert {peak}.",
            "en": "Mentions per hour in the last 24 hours, oldest first: {values}. Total {total}, peak {peak}.",
        },
        "brands_back": {"de": "Zur Bereitschaft", "en": "Back to on call"},
        "digests_title": {"de": "Wochenberichte", "en": "Weekly digests"},
        "digests_week": {"de": "KW {number}/{year}", "en": "Week {number} of {year}"},
        "digests_period": {"de": "{first} bis {last}", "en": "{first} to {last}"},
        "digests_chart": {"de": "Diagramm (PNG)", "en": "Chart (PNG)"},
        "digests_markdown": {"de": "Markdown", "en": "Markdown"},
        "digests_where": {"de": "Gespeichert in {directory}", "en": "Saved in {directory}"},
        "digests_none": {
            "de": "Noch kein Wochenbericht gespeichert.",
            "en": "No weekly digest saved yet.",
        },
        "digests_next": {
            "de": "warner verschickt und speichert ihn jede Woche am {weekday} um {at} ({zone}) über die letzte "
            "vollständige Woche.",
            "en": "warner sends and saves it every {weekday} at {at} ({zone}), about the last complete week.",
        },
        "digests_off": {
            "de": "Der wöchentliche Versand ist ausgeschaltet (digest.enabled).",
            "en": "The weekly digest is switched off (digest.enabled).",
        },
        "digests_howto": {
            "de": "Sofort einen erstellen, auf dem Server: `warner digest --send` (verschickt und speichert) "
            "oder `warner digest --format html` (speichert nur).",
            "en": "To make one now, on the server: `warner digest --send` (sends and saves) "
            "or `warner digest --format html` (saves only).",
        },
    }
)


def add_routes(app: web.Application) -> None:
    """/oncall, /brands (linked from /oncall), /digests and one saved digest's report, chart and Markdown."""
    app.router.add_get("/oncall", oncall_page)
    app.router.add_get("/brands", brands_page)
    app.router.add_get("/digests", digests_page)
    app.router.add_get("/digests/{week}", digest_report)
    app.router.add_get("/digests/{week}/chart.png", digest_chart)
    app.router.add_get("/digests/{week}/report.md", digest_markdown)


@dataclass(frozen=True, slots=True)
class Moment:
    """An instant as a page shows it: ``text`` to read, ``iso`` for ``<time datetime>``."""

    text: str
    iso: str


def moment(when: datetime, language: Language) -> Moment:
    """'Fr 25.12. 08:00' (de) or 'Fri 25 Dec 08:00' (en), in ``when``'s own zone."""
    return Moment(f"{format_day(when, language)} {when:%H:%M}", when.isoformat(timespec="minutes"))


# -- /oncall


async def oncall_page(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    language = language_of(request)
    roster = ctx.directory.roster
    now = datetime.fromtimestamp(ctx.clock.now(), ZoneInfo(roster.config.off_hours.time_zone))
    holidays = upcoming_holidays(roster, now, HOLIDAY_DAYS)
    state = roster.config.off_hours.state
    return render(
        request,
        "oncall.html",
        now=moment(now, language),
        zone_now=f"{now:%Z}",
        off_hours=off_hours_status(roster, now, language),
        schedules=[schedule_view(roster, s, now, holidays, language) for s in roster.schedules],
        holidays=[
            {"day": format_day(datetime.combine(day, time()), language), "iso": day.isoformat(), "name": name}
            for day, name in holidays.items()
        ],
        holiday_days=HOLIDAY_DAYS,
        shift_days=SHIFT_DAYS,
        state=state or text(language, "oncall_nationwide"),
    )


def off_hours_status(roster: Roster, now: datetime, language: Language) -> str:
    """Working hours or off-hours and why, as ``warner oncall who`` says it, in the reader's language."""
    reason, holiday = roster.off_hours_reason(now), roster.holiday(now)
    if reason == "holiday":
        return text(language, "oncall_off_holiday", holiday=holiday)
    status = text(language, f"oncall_off_{reason}") if reason else text(language, "oncall_working")
    if holiday:
        status += " · " + text(language, "oncall_holiday_working", holiday=holiday)
    return status


def upcoming_holidays(roster: Roster, now: datetime, days: int) -> dict[date, str]:
    """The public holidays (nationwide and of the configured state) on the next ``days`` local dates, today first."""
    found = {}
    for offset in range(days + 1):
        day = now.date() + timedelta(days=offset)
        name = roster.holiday(datetime.combine(day, time(12), now.tzinfo))
        if name is not None:
            found[day] = name
    return found


def schedule_view(
    roster: Roster, schedule: Schedule, now: datetime, holidays: dict[date, str], language: Language
) -> dict[str, Any]:
    """One schedule: the shift now, the next, and every shift of the next days, each with its holidays."""
    zone = ZoneInfo(schedule.time_zone)
    shifts = roster.shifts(schedule.id, now, now + timedelta(days=SHIFT_DAYS))
    current = roster.shift(schedule.id, now)
    later = [s for s in shifts if s.start > now and (current is None or s.start >= current.end)]
    return {
        "id": schedule.id,
        "label": schedule.label,
        "zone": f"{schedule.time_zone} ({now.astimezone(zone):%Z})",
        "current": shift_view(roster, current, zone, holidays, now, language) if current else None,
        "next": shift_view(roster, later[0], zone, holidays, now, language) if later else None,
        "shifts": [shift_view(roster, s, zone, holidays, now, language) for s in shifts],
    }


def shift_view(
    roster: Roster, shift: Shift, zone: ZoneInfo, holidays: dict[date, str], now: datetime, language: Language
) -> dict[str, Any]:
    if shift.layer is not None:
        source = text(language, "oncall_layer", layer=shift.layer)
    elif shift.reason:
        source = text(language, "oncall_override_reason", reason=shift.reason)
    else:
        source = text(language, "oncall_override")
    start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
    last_day = (end - timedelta(microseconds=1)).date()
    person = shift.person
    return {
        "person": person.name,
        "start": moment(start, language),
        "end": moment(end, language),
        "override": shift.layer is None,
        "source": source,
        "holidays": [name for day, name in sorted(holidays.items()) if start.date() <= day <= last_day],
        "quiet": roster.in_quiet_hours(person, now) if shift.start <= now else False,
        "unreachable": not person.telegram_id and not person.phone and not person.email,
        "reach": reach_line(person, language),
    }


def reach_line(person: Person, language: Language) -> str | None:
    """The person's own channel order as the on-call page shows it (None: the steps decide)."""
    if not person.contact:
        return None
    names = []
    for c in person.contact:
        name = text(language, f"oncall_channel_{c.channel}")
        if c.quiet_hours is not None:
            name = text(language, "oncall_channel_quiet", channel=name, range=str(c.quiet_hours))
        names.append(name)
    return text(language, "oncall_reach", channels=" → ".join(names))


# -- /brands


async def brands_page(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    language = language_of(request)
    now = ctx.clock.now()
    counter = BucketCounter(ctx.redis, ctx.config.bucket, ctx.config.retention.buckets)
    open_incidents = await open_incident_ids(ctx)
    days = mean_days(ctx)
    rows = []
    for brand in ctx.config.brands:
        buckets = await counter.read(brand.name, int(now - days * 86400), int(now))
        row = brand_row(brand.label, buckets, now, days, language)
        rows.append({**row, "incident": open_incidents.get(brand.name)})
    zone = ZoneInfo(ctx.config.oncall.off_hours.time_zone)
    return render(
        request,
        "brands.html",
        rows=rows,
        as_of=moment(datetime.fromtimestamp(now, zone), language),
        days=days,
    )


def mean_days(ctx: WebContext) -> int:
    """Days the daily mean spans: a week, or less when the counters are kept for less."""
    return max(1, min(MEAN_DAYS, int(ctx.config.retention.buckets.total_seconds() // 86400)))


async def open_incident_ids(ctx: WebContext) -> dict[str, str]:
    """The newest incident of each brand that is not closed, by brand."""
    found: dict[str, str] = {}
    for incident in await ctx.incidents.recent(200):
        if incident.status != "closed":
            found.setdefault(incident.brand, incident.id)
    return found


def hourly(buckets: list[BucketCounts], now: float, hours: int = HOURS) -> list[int]:
    """Mentions per hour of the last ``hours`` hours ending at ``now``, oldest first (a bucket by its start)."""
    sums = [0] * hours
    start = now - hours * 3600
    for b in buckets:
        if start <= b.start < now:
            sums[int((b.start - start) // 3600)] += b.mentions
    return sums


def brand_row(label: str, buckets: list[BucketCounts], now: float, days: int, language: Language) -> dict[str, Any]:
    """One brand's row: the last 24 h against the daily mean, the negative share, the sparkline."""
    day = [b for b in buckets if now - 86400 <= b.start < now]
    mentions, negatives = sum(b.mentions for b in day), sum(b.negatives for b in day)
    mean = sum(b.mentions for b in buckets if now - days * 86400 <= b.start < now) / days
    per_hour = hourly(buckets, now)
    words = text(
        language,
        "brands_spark",
        values=", ".join(number(v, language, 0) for v in per_hour),
        total=number(sum(per_hour), language, 0),
        peak=number(max(per_hour), language, 0),
    )
    return {
        "label": label,
        "mentions": number(mentions, language, 0),
        "mean": number(mean, language, 1),
        "ratio": f"{mentions / mean:.1f}×".replace(".", "," if language == "de" else ".") if mean else "",
        "louder": mean > 0 and mentions > 2 * mean,
        "negative": percent(negatives / mentions, language) if mentions else "–",
        "spark": sparkline(per_hour, words),
    }


def percent(share: float, language: Language) -> str:
    return f"{number(share * 100, language, 0)} %" if language == "de" else f"{number(share * 100, language, 0)}%"


# -- /digests


def digest_directory(ctx: WebContext) -> Path:
    return ctx.config.digest.directory(ctx.config.redis.data_dir)


async def digests_page(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    language = language_of(request)
    directory = digest_directory(ctx)
    saved = await asyncio.to_thread(saved_reports, directory)
    digest = ctx.config.digest
    return render(
        request,
        "digests.html",
        weeks=[week_view(week, files, digest.time_zone, language) for week, files in saved.items()],
        directory=str(directory),
        enabled=digest.enabled,
        weekday=DAY_NAMES[language][WEEKDAYS.index(digest.weekday)],
        at=f"{digest.at:%H:%M}",
        zone=digest.time_zone,
    )


def saved_reports(directory: Path) -> dict[str, set[str]]:
    """Week -> the suffixes saved for it ({"html", "md", "png"}), newest week first; only weeks with an HTML report."""
    if not directory.is_dir():
        return {}
    files: dict[str, set[str]] = defaultdict(set)
    for path in directory.iterdir():
        stem, _, suffix = path.name.rpartition(".")
        if stem.startswith("digest-") and WEEK.fullmatch(stem[7:]) and path.is_file():
            files[stem[7:]].add(suffix)
    return {week: files[week] for week in sorted(files, reverse=True) if "html" in files[week]}


def week_view(week: str, files: set[str], time_zone: str, language: Language) -> dict[str, Any]:
    year, _, week_number = week.partition("-W")
    try:
        start, end = parse_week(week, time_zone)
    except ValueError:  # a file named for a week that does not exist ("2026-W54"): listed, without dates
        period = ""
    else:
        zone = ZoneInfo(time_zone)
        first, last = datetime.fromtimestamp(start, zone), datetime.fromtimestamp(end - 1, zone)
        period = text(language, "digests_period", first=f"{first:%d.%m.%Y}", last=f"{last:%d.%m.%Y}")
    return {
        "week": week,
        "title": text(language, "digests_week", number=int(week_number), year=year),
        "period": period,
        "chart": "png" in files,
        "markdown": "md" in files,
    }


def report_path(request: web.Request, suffix: str) -> Path:
    """The saved file of ``/digests/{week}…``, or 404 for a malformed week or a file not saved."""
    week = request.match_info["week"]
    if not WEEK.fullmatch(week):
        raise web.HTTPNotFound()
    path = digest_directory(request.app[CONTEXT]) / f"digest-{week}.{suffix}"
    if not path.is_file():
        raise web.HTTPNotFound()
    return path


async def digest_report(request: web.Request) -> web.Response:
    """The saved HTML as it is. It is one page with its own ``<style>`` and the chart as a data URI; the CSP lets
    exactly that style block in (by its hash) and nothing else: no script, no other origin, no form."""
    body = await asyncio.to_thread(report_path(request, "html").read_bytes)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode()}'" for m in STYLE.finditer(body)
    )
    response = web.Response(body=body, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; img-src 'self' data:; style-src {hashes or NONE}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return response


async def digest_chart(request: web.Request) -> web.Response:
    body = await asyncio.to_thread(report_path(request, "png").read_bytes)
    return web.Response(body=body, content_type="image/png")


async def digest_markdown(request: web.Request) -> web.Response:
    body = await asyncio.to_thread(report_path(request, "md").read_bytes)
    return web.Response(body=body, content_type="text/plain", charset="utf-8")
