"""The week as a picture: per brand, mentions per hour, the negative share and the incidents.

Drawn with matplotlib's object API (``Figure`` + ``FigureCanvasAgg``), never ``pyplot``:
no global backend or figure state is touched, so a chart can be rendered inside the
running service. The x axis counts real hours since Monday 00:00 local time, so a DST
week (167 or 169 hours) needs no special case; the day ticks sit on local midnights.
"""

from __future__ import annotations

import io
import math
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, MaxNLocator, NullFormatter, PercentFormatter

from warner.core import Language
from warner.digest import texts
from warner.digest.model import BrandWeek, IncidentSummary, WeekFigures
from warner.digest.texts import shorten_term

WIDTH_IN = 8.0
DPI = 150  # 8 in x 150 dpi = 1200 px wide; 10 pt text is ~21 px, legible in a phone's photo viewer
PANEL_IN = 2.5
HEADER_IN = 1.35
LABEL_CHARS = 36  # a longer brand label would run into the panel's summary on the right
LABEL_HOURS_PER_CHAR = 2.0  # an incident id label's width on the x axis (8.5 pt bold, 168 h over ~1060 px)
SHARE_MIN_MENTIONS = 10  # the negative share of an hour with fewer mentions is noise: left as a gap

MENTIONS_COLOUR = "#aab4c3"
SHARE_COLOUR = "#6a1b9a"
WEEKEND_COLOUR = "#f2f2f2"


def render_chart(figures: WeekFigures, path: Path | None = None, *, language: Language = "de") -> bytes:
    """The chart as PNG bytes, 1200 px wide (also written to ``path`` if given)."""
    tz = ZoneInfo(figures.time_zone)
    panels = max(len(figures.brands), 1)
    figure = Figure(figsize=(WIDTH_IN, HEADER_IN + PANEL_IN * panels), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    # layout="constrained" above: the engine is a ConstrainedLayoutEngine (typed as the optional base class)
    cast(ConstrainedLayoutEngine, figure.get_layout_engine()).set(h_pad=0.06, hspace=0.04)
    axes = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    hours = (figures.end - figures.start) / 3600
    for ax in axes:
        _week_axis(ax, figures, tz, hours, language)
    if figures.brands:
        for ax, brand in zip(axes, figures.brands, strict=True):
            incidents = [i for i in figures.incidents if i.brand == brand.brand]
            _brand_panel(ax, brand, incidents, figures.start, hours, language)
    else:
        axes[0].set_yticks([])
        axes[0].text(
            0.5,
            0.5,
            texts.text(language, "chart_no_brands"),
            transform=axes[0].transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color="#555555",
        )
    _header(figure, figures, tz, language, legend=bool(figures.brands))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    png = buffer.getvalue()
    if path is not None:
        path.write_bytes(png)
    return png


def _header(figure: Figure, figures: WeekFigures, tz: ZoneInfo, language: Language, *, legend: bool) -> None:
    year, _, week = figures.week.partition("-W")
    first = datetime.fromtimestamp(figures.start, tz)
    last = datetime.fromtimestamp(figures.end, tz) - timedelta(days=1)
    period = texts.text(
        language, "period", first=texts.format_date(first, language), last=texts.format_date(last, language)
    )
    title = f"{texts.text(language, 'title', week=week, year=year)} · {period}"
    figure.suptitle(f"{title}\n{texts.text(language, 'chart')}", fontsize=11.5, fontweight="bold")
    if not legend:
        return
    handles = [
        Patch(color=MENTIONS_COLOUR, label=texts.text(language, "chart_mentions")),
        Line2D([], [], color=SHARE_COLOUR, linewidth=2, label=texts.text(language, "chart_share")),
        *(
            Patch(color=texts.SEVERITY_COLOUR[s], alpha=0.8, label=texts.SEVERITY[language][s])
            for s in texts.SEVERITIES
        ),
    ]
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=5,
        fontsize=8.5,
        frameon=False,
        handlelength=1.4,
        columnspacing=1.2,
    )


def _week_axis(ax: Axes, figures: WeekFigures, tz: ZoneInfo, hours: float, language: Language) -> None:
    """Days as grid lines at local midnight, labelled at noon; weekends shaded."""
    first = datetime.fromtimestamp(figures.start, tz).date()
    midnights, noons, labels = [], [], []
    for n in range(8):
        day = first + timedelta(days=n)
        midnight = datetime.combine(day, time(0), tz).timestamp()
        if midnight >= figures.end:
            break
        noon = datetime.combine(day, time(12), tz)
        midnights.append((midnight - figures.start) / 3600)
        noons.append((noon.timestamp() - figures.start) / 3600)
        labels.append(texts.format_day(noon, language))
        if day.weekday() >= 5:
            next_midnight = datetime.combine(day + timedelta(days=1), time(0), tz).timestamp()
            ax.axvspan(
                midnights[-1],
                (min(next_midnight, figures.end) - figures.start) / 3600,
                color=WEEKEND_COLOUR,
                zorder=0,
                linewidth=0,
            )
    ax.set_xlim(0, hours)
    ax.xaxis.set_major_locator(FixedLocator(midnights))
    ax.xaxis.set_major_formatter(NullFormatter())
    ax.xaxis.set_minor_locator(FixedLocator(noons))
    ax.set_xticks(noons, labels, minor=True, fontsize=8.5)
    ax.tick_params(axis="x", which="minor", length=0)
    ax.grid(axis="x", which="major", color="#d0d0d0", linewidth=0.8)
    for side in ("top",):
        ax.spines[side].set_visible(False)


def _brand_panel(
    ax: Axes, brand: BrandWeek, incidents: list[IncidentSummary], start: int, hours: float, language: Language
) -> None:
    points = sorted(brand.hourly, key=lambda p: p.start)
    edges = [(p.start - start) / 3600 for p in points] + [hours]
    mentions = [p.mentions for p in points]
    if points:
        ax.stairs(mentions, edges, fill=True, color=MENTIONS_COLOUR, zorder=1)
    peak = max(mentions, default=0)
    ax.set_ylim(0, max(peak * 1.22, 4))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylabel(texts.text(language, "mentions"), fontsize=8.5, color="#555555")

    share_ax = ax.twinx()
    share = [p.negatives / p.mentions if p.mentions >= SHARE_MIN_MENTIONS else math.nan for p in points]
    share_ax.plot([x + 0.5 for x in edges[:-1]], share, color=SHARE_COLOUR, linewidth=1.3, zorder=3)
    share_ax.set_ylim(0, 1.05)
    share_ax.yaxis.set_major_locator(FixedLocator([0, 0.5, 1]))
    share_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    share_ax.tick_params(axis="y", labelsize=8, colors=SHARE_COLOUR)
    share_ax.spines["top"].set_visible(False)

    mentions_text = texts.format_int(brand.mentions, language)
    if brand.negative_share is None:
        summary = texts.text(language, "chart_summary_empty", mentions=mentions_text)
    else:
        share_text = texts.format_percent(brand.negative_share, language)
        summary = texts.text(language, "chart_summary", mentions=mentions_text, share=share_text)
    ax.set_title(shorten_term(brand.label, LABEL_CHARS), loc="left", fontsize=10.5, fontweight="bold")
    ax.set_title(summary, loc="right", fontsize=8.5, color="#444444")
    if brand.mentions == 0:
        ax.text(
            0.5,
            0.5,
            texts.text(language, "chart_no_mentions"),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color="#777777",
        )
    elif all(math.isnan(s) for s in share):
        note = texts.text(language, "chart_share_sparse", minimum=SHARE_MIN_MENTIONS)
        ax.text(0.995, 0.97, note, transform=ax.transAxes, ha="right", va="top", fontsize=7.5, color=SHARE_COLOUR)
    label_ends = [-math.inf, -math.inf]  # where the last id label in each of two rows ends (hours)
    for incident in sorted(incidents, key=lambda i: i.started_at):
        _incident(share_ax, incident, start, hours, label_ends)


def _incident(ax: Axes, incident: IncidentSummary, start: int, hours: float, label_ends: list[float]) -> None:
    """A line where it started, a band until it was resolved, and its id in a free row (none if both are taken)."""
    colour = texts.SEVERITY_COLOUR.get(incident.severity, "#555555")
    x = min(max((incident.started_at - start) / 3600, 0), hours)
    if incident.mttr_s:
        ax.axvspan(x, min(x + incident.mttr_s / 3600, hours), color=colour, alpha=0.18, linewidth=0, zorder=2)
    ax.axvline(x, color=colour, linewidth=1.6, zorder=4)
    row = next((r for r, end in enumerate(label_ends) if end <= x), None)
    if row is None:  # crowded: the line shows the incident, its id is in the report
        return
    number = incident.id.rpartition(":")[2] or incident.id
    label_ends[row] = x + LABEL_HOURS_PER_CHAR * (len(number) + 2)
    ax.text(
        x,
        0.98 - 0.13 * row,
        f" #{number}",
        transform=ax.get_xaxis_transform(),
        ha="left" if x < hours * 0.93 else "right",
        va="top",
        fontsize=8.5,
        fontweight="bold",
        color=colour,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.8},
        zorder=5,
    )
