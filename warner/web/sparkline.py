"""A sparkline as inline SVG: a small line of numbers that needs no JavaScript and no style attribute.

The page's CSP allows no inline styles, so the drawing carries only geometry and class names
(``spark``, ``spark-area``, ``spark-line``, ``spark-last``); ``static/style.css`` colours them.
The SVG is ``role="img"`` with an ``aria-label`` that the caller words to state the numbers, and
a ``<title>`` with the same words for a pointer's tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH = 120
HEIGHT = 32
PAD = 2  # room for the stroke and the last point's dot


def points(values: Sequence[float], width: int = WIDTH, height: int = HEIGHT) -> list[tuple[float, float]]:
    """Where each value goes: evenly spaced left to right, the largest at the top, zero at the bottom.

    All zeros (or a single value of zero) lie flat on the bottom line; negative values count as zero.
    """
    if not values:
        return []
    top = max(max(values), 0)
    inner_w, inner_h = width - 2 * PAD, height - 2 * PAD
    step = inner_w / (len(values) - 1) if len(values) > 1 else 0.0
    out = []
    for i, value in enumerate(values):
        x = PAD + i * step if len(values) > 1 else width / 2
        y = PAD + inner_h * (1 - max(value, 0) / top) if top > 0 else height - PAD
        out.append((round(x, 1), round(y, 1)))
    return out


def sparkline(values: Sequence[float], label: str, *, width: int = WIDTH, height: int = HEIGHT) -> Markup:
    """``values`` (oldest first) as an inline ``<svg role="img">`` labelled ``label``; safe to put in a page."""
    spots = points(values, width, height)
    words = escape(label, quote=True)
    parts = [
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{words}" focusable="false">',
        f"<title>{words}</title>",
    ]
    if spots:
        line = " ".join(f"{x:g},{y:g}" for x, y in spots)
        if len(spots) > 1:
            bottom = height - PAD
            area = f"{spots[0][0]:g},{bottom} {line} {spots[-1][0]:g},{bottom}"
            parts.append(f'<polygon class="spark-area" points="{area}"/>')
            parts.append(f'<polyline class="spark-line" points="{line}"/>')
        last_x, last_y = spots[-1]
        parts.append(f'<circle class="spark-last" cx="{last_x:g}" cy="{last_y:g}" r="{PAD}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
