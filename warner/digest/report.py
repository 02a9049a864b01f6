"""The digest as words: a Markdown and an HTML report (Jinja2 templates) and the Telegram texts.

Every output is built from one ``view`` of the figures (numbers already formatted in the
reader's language), so the report, the Telegram message and the caption never disagree.
Brand labels, mention terms, incident ids and playbook names are untrusted text: the
templates run sandboxed with StrictUndefined, HTML is autoescaped, Markdown escapes
its own specials, and the Telegram HTML is escaped piece by piece.
"""

from __future__ import annotations

import base64
import html
import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from warner.core import Language
from warner.digest import texts
from warner.digest.model import BrandWeek, Percentiles, WeekFigures
from warner.digest.texts import shorten_term

TEMPLATES = Path(__file__).parent / "templates"
MAX_MESSAGE = 4096  # Telegram's limit for a text message
MAX_CAPTION = 1024  # and for a photo's caption
TELEGRAM_TERMS = 5
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def render_markdown(
    figures: WeekFigures, language: Language = "de", brand_labels: Mapping[str, str] | None = None
) -> str:
    """The report as Markdown (for a file or a wiki)."""
    return _environment(html=False).get_template("digest.md.j2").render(view(figures, language, brand_labels))


def render_html(
    figures: WeekFigures,
    language: Language = "de",
    chart_png: bytes | None = None,
    brand_labels: Mapping[str, str] | None = None,
) -> str:
    """The report as one self-contained HTML page (chart embedded as a data URI, no external resources)."""
    chart = f"data:image/png;base64,{base64.b64encode(chart_png).decode('ascii')}" if chart_png else None
    return (
        _environment(html=True)
        .get_template("digest.html.j2")
        .render(view(figures, language, brand_labels), chart=chart)
    )


def save_reports(
    figures: WeekFigures, directory: Path, chart_png: bytes | None, *, language: Language = "de"
) -> dict[str, Path]:
    """Write digest-<week>.md, .html and (with a chart) .png under ``directory``; return them by suffix."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{figures.week}"
    contents: dict[str, bytes] = {
        "md": render_markdown(figures, language).encode(),
        "html": render_html(figures, language, chart_png).encode(),
    }
    if chart_png is not None:
        contents["png"] = chart_png
    written = {}
    for suffix, data in contents.items():
        path = directory / f"{stem}.{suffix}"
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data)
        os.replace(partial, path)  # a reader never sees half a report
        written[suffix] = path
    return written


def telegram_text(figures: WeekFigures, language: Language = "de") -> str:
    """The digest as a Telegram HTML message of at most 4096 characters."""
    v = view(figures, language)
    brands = _by_importance(v["brands"])
    for terms in (TELEGRAM_TERMS, 3, 0):
        for shown in range(len(brands), -1, -1):
            message = _telegram(v, brands, shown, terms, language)
            if len(message) <= MAX_MESSAGE:
                return message
    return _telegram(v, [], 0, 0, language)  # with no brands the message is a few hundred characters


def caption(figures: WeekFigures, language: Language = "de") -> str:
    """The photo's caption (Telegram HTML, at most 1024 characters): the week at a glance."""
    v = view(figures, language)
    brands = _by_importance(v["brands"])
    head = [f"<b>📊 {_e(v['title'])}</b>", _e(v["period"]), "", _incident_line(v, language)]
    for shown in range(len(brands), -1, -1):
        lines = [*head, *(_brand_glance(b, language) for b in brands[:shown])]
        if shown < len(brands):
            lines.append(
                _e(texts.text(language, "more_brands", count=texts.plural(language, "brand", len(brands) - shown)))
            )
        message = "\n".join(lines)
        if len(message) <= MAX_CAPTION:
            return message
    return "\n".join(head)[:MAX_CAPTION]  # unreachable: the head is far below the limit


def view(figures: WeekFigures, language: Language, brand_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The figures formatted for a reader in ``language``: what every output shows."""
    tz = ZoneInfo(figures.time_zone)
    year, _, week = figures.week.partition("-W")
    first = datetime.fromtimestamp(figures.start, tz)
    last = datetime.fromtimestamp(figures.end, tz) - timedelta(days=1)
    labels = {b.brand: b.label for b in figures.brands} | dict(brand_labels or {})
    judged = [i for i in figures.incidents if i.state in ("resolved", "false_alarm")]
    severity_counts = {s: sum(1 for i in figures.incidents if i.severity == s) for s in texts.SEVERITIES}
    no_data = texts.text(language, "no_data")
    return {
        "t": texts.TEXT[language],
        "lang": language,
        "title": texts.text(language, "title", week=week, year=year),
        "period": texts.text(
            language, "period", first=texts.format_date(first, language), last=texts.format_date(last, language)
        ),
        "incident_count": len(figures.incidents),
        "severities": [
            {"icon": texts.SEVERITY_ICON[s], "label": texts.SEVERITY[language][s], "count": n}
            for s, n in severity_counts.items()
            if n
        ],
        "off_hours": figures.off_hours_incidents,
        "mtta": _percentiles(figures.mtta, language),
        "mttr": _percentiles(figures.mttr, language),
        "false_alarms": no_data
        if figures.false_alarm_rate is None
        else texts.text(
            language,
            "false_alarm_rate",
            rate=texts.format_percent(figures.false_alarm_rate, language),
            false=sum(1 for i in judged if i.state == "false_alarm"),
            judged=len(judged),
        ),
        "pages": [
            {
                "channel": texts.CHANNEL[language].get(c, c),
                "sent": figures.pages_by_channel.get(c, 0),
                "failed": figures.failures_by_channel.get(c, 0),
                "failed_text": texts.plural(language, "failed", figures.failures_by_channel.get(c, 0)),
            }
            for c in sorted(set(figures.pages_by_channel) | set(figures.failures_by_channel))
        ],
        "undeliverable": figures.undeliverable,
        "brands": [_brand(b, labels.get(b.brand, b.label), figures, language) for b in figures.brands],
        "incidents": [
            {
                "id": i.id,
                "brand": labels.get(i.brand, i.brand),
                "icon": texts.SEVERITY_ICON.get(i.severity, ""),
                "severity": texts.SEVERITY[language].get(i.severity, i.severity),
                "started": texts.format_moment(datetime.fromtimestamp(i.started_at, tz), language),
                "off_hours": i.off_hours,
                "state": texts.STATE[language].get(i.state, i.state),
                "mtta": texts.format_duration(i.mtta_s, language),
                "mttr": texts.format_duration(i.mttr_s, language),
                "pages": i.pages,
                "playbooks": ", ".join(i.playbooks),
            }
            for i in sorted(figures.incidents, key=lambda i: i.started_at)
        ],
        "playbooks": sorted(figures.playbooks_used.items(), key=lambda item: (-item[1], item[0])),
        "generated": texts.text(language, "generated", tz=figures.time_zone),
    }


def _brand(brand: BrandWeek, label: str, figures: WeekFigures, language: Language) -> dict[str, Any]:
    severities = figures.by_brand_and_severity.get(brand.brand, {})
    return {
        "label": label,
        "mentions": texts.format_int(brand.mentions, language),
        "mentions_raw": brand.mentions,
        "mentions_change": texts.format_change(brand.mentions, brand.previous_mentions, language),
        "previous_mentions": texts.format_int(brand.previous_mentions, language),
        "share": texts.format_percent(brand.negative_share, language),
        "previous_share": texts.format_percent(brand.previous_negative_share, language),
        "share_change": texts.format_points(brand.negative_share, brand.previous_negative_share, language),
        "terms": list(brand.negative_terms),
        "incidents": sum(severities.values()),
        "severities": [f"{texts.SEVERITY_ICON[s]} {severities[s]}" for s in texts.SEVERITIES if s in severities],
    }


def _percentiles(p: Percentiles, language: Language) -> str:
    """'Median 4 min, 90 % innerhalb 9 min (3 Vorfälle)', or 'keine Daten' when nothing was measured."""
    if not p.count or p.median_s is None:
        return texts.text(language, "no_data")
    median = texts.format_duration(p.median_s, language)
    count = texts.plural(language, "incident", p.count)
    if p.count == 1 or p.p90_s is None:
        return texts.text(language, "percentiles_one", median=median, count=count)
    return texts.text(language, "percentiles", median=median, p90=texts.format_duration(p.p90_s, language), count=count)


def _by_importance(brands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Brands with incidents first, then the loudest: what survives when a message must be shortened."""
    return sorted(brands, key=lambda b: (-b["incidents"], -b["mentions_raw"]))


def _telegram(v: dict[str, Any], brands: list[dict[str, Any]], shown: int, terms: int, language: Language) -> str:
    t = v["t"]
    lines = [f"<b>📊 {_e(v['title'])}</b>", _e(v["period"]), "", _incident_line(v, language)]
    if v["incident_count"]:
        lines.append(f"{_e(t['off_hours'])}: {v['off_hours']}")
    lines += [
        f"MTTA: {_e(v['mtta'])}",
        f"MTTR: {_e(v['mttr'])}",
        f"{_e(t['false_alarms'])}: {_e(v['false_alarms'])}",
        f"{_e(t['pages'])}: {_e(_pages(v))}",
    ]
    if v["undeliverable"]:
        lines.append(f"⚠️ {_e(t['undeliverable'])}: {v['undeliverable']}")
    for b in brands[:shown]:
        lines += ["", f"<b>{_e(b['label'])}</b>"]
        lines.append(
            f"{_e(t['mentions'])}: {_e(b['mentions'])} ({_e(b['mentions_change'])}; "
            f"{_e(t['previous'])} {_e(b['previous_mentions'])})"
        )
        change = f", {b['share_change']}" if b["share_change"] else ""
        lines.append(
            f"{_e(t['negative_share'])}: {_e(b['share'])} ({_e(t['previous'])} {_e(b['previous_share'])}{_e(change)})"
        )
        if b["severities"]:
            lines.append(f"{_e(t['incidents'])}: {' · '.join(b['severities'])}")
        if terms and b["terms"]:
            shown_terms = ", ".join(_e(shorten_term(term)) for term, _ in b["terms"][:terms])
            lines.append(f"{_e(t['negative_terms'])}: <i>{shown_terms}</i>")
    if shown < len(brands):
        lines += [
            "",
            _e(texts.text(language, "more_brands", count=texts.plural(language, "brand", len(brands) - shown))),
        ]
    if v["playbooks"]:
        used = ", ".join(f"{_e(name)} ×{count}" for name, count in v["playbooks"][:8])
        more = " …" if len(v["playbooks"]) > 8 else ""
        lines += ["", f"{_e(t['playbooks'])}: {used}{more}"]
    lines += ["", _e(t["report_hint"])]
    return "\n".join(lines)


def _incident_line(v: dict[str, Any], language: Language) -> str:
    t = v["t"]
    if not v["incident_count"]:
        return _e(t["incidents_none"])
    by_severity = " · ".join(f"{s['icon']} {s['count']} {_e(s['label'])}" for s in v["severities"])
    return f"<b>{_e(texts.plural(language, 'incident', v['incident_count']))}</b>: {by_severity}"


def _brand_glance(b: dict[str, Any], language: Language) -> str:
    share = texts.text(language, "chart_summary", mentions=b["mentions"], share=b["share"])
    if b["share"] == texts.text(language, "no_data"):
        share = texts.text(language, "chart_summary_empty", mentions=b["mentions"])
    return f"• {_e(b['label'])}: {_e(share)} ({_e(b['mentions_change'])})"


def _pages(v: dict[str, Any]) -> str:
    if not v["pages"]:
        return "0"
    parts = []
    for p in v["pages"]:
        failed = f" ({p['failed_text']})" if p["failed"] else ""
        parts.append(f"{p['channel']} {p['sent']}{failed}")
    return " · ".join(parts)


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def markdown_escape(text: object) -> str:
    """Untrusted text as literal Markdown: specials backslashed, '<' and '&' as entities, one line."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat.replace("&", "&amp;").replace("<", "&lt;"))


@cache
def _environment(*, html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    filters: dict[str, Callable[..., str]] = {"md": markdown_escape, "term": shorten_term}
    env.filters.update(filters)
    return env
