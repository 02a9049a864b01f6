"""The storm as a picture: a server-rendered SVG of mentions per bucket against normal.

Drawn from bucket counts, never from mentions, so an incident of any size renders in
milliseconds. What it shows:

* bars: mentions per bucket (blue);
* a grey band and a dashed line: the brand's normal range and expected value per bucket
  (the caller says where they come from — the detector's learnt baseline, or the incident's
  expected total spread evenly, then without a band);
* a red line: the share of negative mentions per bucket, on the right axis (0–100 %);
* vertical markers: the moments the incident was paged, escalated, acknowledged, resolved.

No script and no ``style`` attribute (the console's CSP forbids both): colours are SVG
presentation attributes, sizes follow from the ``viewBox`` and the CSS class ``inc-chart``.
Every text is escaped; the result is well-formed XML (the tests parse it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

WIDTH = 720
HEIGHT = 260
PLOT_LEFT = 48
PLOT_RIGHT = WIDTH - 48
PLOT_TOP = 28
PLOT_BOTTOM = HEIGHT - 32
PLOT_WIDTH = PLOT_RIGHT - PLOT_LEFT
PLOT_HEIGHT = PLOT_BOTTOM - PLOT_TOP
MAX_POINTS = 360  # more buckets than this are summed into wider ones (a bar stays at least 2 px wide)

MarkerKind = Literal["paged", "escalated", "acknowledged", "resolved"]
COLOURS: dict[str, str] = {
    "mentions": "#0b57d0",
    "band": "#d0d7de",
    "expected": "#4a5563",
    "negative": "#b3261e",
    "paged": "#8a4b00",
    "escalated": "#b3261e",
    "acknowledged": "#1f5f3a",
    "resolved": "#1b1f24",
    "grid": "#d0d7de",
    "text": "#4a5563",
}


@dataclass(frozen=True, slots=True)
class Point:
    """One bucket: its counts and, if known, what is normal for it."""

    start: int  # epoch s
    mentions: int
    negatives: int = 0
    expected: float | None = None
    low: float | None = None  # normal range, if the baseline gives one
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Marker:
    at: float  # epoch s
    kind: MarkerKind
    label: str  # e.g. "Paged Anna (telegram), 21:04" — the marker's tooltip and the summary's words


@dataclass(frozen=True, slots=True)
class Labels:
    """The chart's words in the reader's language."""

    title: str
    description: str


def downsample(points: Sequence[Point], width_s: int, max_points: int = MAX_POINTS) -> tuple[list[Point], int]:
    """At most ``max_points`` buckets: consecutive buckets summed (the band's half-widths add as
    standard deviations do, in quadrature); returns the points and their new width."""
    if len(points) <= max_points:
        return list(points), width_s
    k = math.ceil(len(points) / max_points)
    out = []
    for i in range(0, len(points), k):
        group = points[i : i + k]
        expected = [p.expected for p in group if p.expected is not None]
        halves = [(p.high - p.low) / 2 for p in group if p.high is not None and p.low is not None]
        mu = sum(expected) if expected else None
        half = math.sqrt(sum(h * h for h in halves)) if halves else None
        out.append(
            Point(
                group[0].start,
                sum(p.mentions for p in group),
                sum(p.negatives for p in group),
                mu,
                None if mu is None or half is None else max(0.0, mu - half),
                None if mu is None or half is None else mu + half,
            )
        )
    return out, width_s * k


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above ``value`` (at least 1): the top of the count axis."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


def scale_x(t0: float, t1: float) -> Callable[[float], float]:
    """Epoch seconds -> x in the plot (t0 at its left edge, t1 at its right)."""
    span = max(t1 - t0, 1.0)
    return lambda t: PLOT_LEFT + (min(max(t, t0), t1) - t0) / span * PLOT_WIDTH


def scale_y(top: float) -> Callable[[float], float]:
    return lambda v: PLOT_BOTTOM - max(v, 0.0) / top * PLOT_HEIGHT


def _f(v: float) -> str:
    return f"{v:.1f}"


def _steps(
    values: Sequence[tuple[int, float]], width_s: int, x: Callable[[float], float], y: Callable[[float], float]
) -> list[str]:
    """A step line through (bucket start, value): a corner only where the value changes."""
    out: list[str] = []
    last: float | None = None
    for start, value in values:
        if value != last:
            if last is not None:
                out.append(f"{_f(x(start))},{_f(y(last))}")
            out.append(f"{_f(x(start))},{_f(y(value))}")
            last = value
    if values:
        out.append(f"{_f(x(values[-1][0] + width_s))},{_f(y(values[-1][1]))}")
    return out


def storm_chart(
    points: Sequence[Point],
    width_s: int,
    markers: Sequence[Marker],
    labels: Labels,
    time_label: Callable[[float], str],
    *,
    element_id: str = "storm-chart",
) -> str:
    """The SVG (a string of markup); ``points`` oldest first, one per bucket of ``width_s`` seconds
    including empty ones; ``time_label`` words an epoch for the x axis ("21:04")."""
    points, width_s = downsample(points, width_s)
    title_id, desc_id = f"{element_id}-title", f"{element_id}-desc"
    out = [
        f'<svg id="{element_id}" class="inc-chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label={quoteattr(labels.title)} '
        f'aria-describedby="{desc_id}" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{title_id}">{escape(labels.title)}</title>',
        f'<desc id="{desc_id}">{escape(labels.description)}</desc>',
    ]
    if not points:
        out.append("</svg>")
        return "".join(out)
    t0, t1 = points[0].start, points[-1].start + width_s
    x = scale_x(t0, t1)
    peak = max(max(p.mentions for p in points), max((p.high or p.expected or 0.0) for p in points))
    top = nice_ceiling(peak)
    y = scale_y(top)
    share_y = scale_y(1.0)
    bar = PLOT_WIDTH / len(points)
    gap = 0.5 if bar > 3 else 0.0

    # Grid and axes: counts on the left, negative share on the right, times below.
    out.append(f'<g class="axes" font-size="11" fill="{COLOURS["text"]}">')
    for fraction in (0.0, 0.5, 1.0):
        yy = _f(y(top * fraction))
        out.append(
            f'<line x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{yy}" y2="{yy}" stroke="{COLOURS["grid"]}" '
            'stroke-width="1"/>'
        )
        count = top * fraction
        out.append(f'<text x="{PLOT_LEFT - 6}" y="{yy}" text-anchor="end" dy="4">{count:g}</text>')
        out.append(f'<text x="{PLOT_RIGHT + 6}" y="{yy}" dy="4">{fraction:.0%}</text>')
    ticks = 6
    for i in range(ticks + 1):
        t = t0 + (t1 - t0) * i / ticks
        anchor = "start" if i == 0 else "end" if i == ticks else "middle"
        out.append(f'<text x="{_f(x(t))}" y="{PLOT_BOTTOM + 18}" text-anchor="{anchor}">{escape(time_label(t))}</text>')
    out.append("</g>")

    # The normal band and the expected line.
    banded = [p for p in points if p.low is not None and p.high is not None]
    if banded:
        upper = _steps([(p.start, p.high or 0.0) for p in banded], width_s, x, y)
        lower = _steps([(p.start, p.low or 0.0) for p in banded], width_s, x, y)
        out.append(
            f'<polygon class="band" points="{" ".join(upper + lower[::-1])}" fill="{COLOURS["band"]}" '
            'fill-opacity="0.7"/>'
        )
    expected = [(p.start, p.expected) for p in points if p.expected is not None]
    if expected:
        line = " ".join(_steps(expected, width_s, x, y))
        out.append(
            f'<polyline class="expected" points="{line}" fill="none" stroke="{COLOURS["expected"]}" '
            'stroke-width="1.5" stroke-dasharray="5 3"/>'
        )

    # Mentions per bucket: one path of bars.
    bars = []
    for i, p in enumerate(points):
        if p.mentions <= 0:
            continue
        left = PLOT_LEFT + i * bar + gap
        bars.append(f"M{_f(left)} {PLOT_BOTTOM}V{_f(y(p.mentions))}H{_f(left + bar - 2 * gap)}V{PLOT_BOTTOM}Z")
    out.append(f'<path class="mentions" d="{"".join(bars)}" fill="{COLOURS["mentions"]}" fill-opacity="0.85"/>')

    # Negative share: a line through bucket centres, broken where a bucket has no mentions.
    segments, current = [], []
    for p in points:
        if p.mentions > 0:
            current.append(f"{_f(x(p.start + width_s / 2))},{_f(share_y(p.negatives / p.mentions))}")
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    for seg in segments:
        if len(seg) == 1:
            cx, cy = seg[0].split(",")
            out.append(f'<circle class="negative" cx="{cx}" cy="{cy}" r="2" fill="{COLOURS["negative"]}"/>')
        else:
            out.append(
                f'<polyline class="negative" points="{" ".join(seg)}" fill="none" '
                f'stroke="{COLOURS["negative"]}" stroke-width="2"/>'
            )

    # Markers: a vertical line each, with its words as a tooltip.
    for m in markers:
        if not t0 <= m.at <= t1:
            continue
        xx = _f(x(m.at))
        colour = COLOURS[m.kind]
        dashed = ' stroke-dasharray="2 2"' if m.kind == "escalated" else ""
        out.append(
            f'<g class="marker marker-{m.kind}" data-at="{m.at:.0f}"><title>{escape(m.label)}</title>'
            f'<line x1="{xx}" x2="{xx}" y1="{PLOT_TOP - 8}" y2="{PLOT_BOTTOM}" stroke="{colour}" stroke-width="2"'
            f"{dashed}/>"
            f'<path d="M{xx} {PLOT_TOP - 8}l-5 -8h10z" fill="{colour}"/></g>'
        )
    out.append("</svg>")
    return "".join(out)
