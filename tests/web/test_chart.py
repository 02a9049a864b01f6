"""The storm chart on synthetic buckets: bars to scale, the normal band, markers where they happened."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from warner.web import chart
from warner.web.chart import Labels, Marker, Point

T0 = 1_800_000_000  # a whole minute
SVG = "{http://www.w3.org/2000/svg}"
LABELS = Labels("Mentions per minute", "A storm & its <normal>")


def draw(points: list[Point], markers: list[Marker] | None = None, width_s: int = 60) -> ElementTree.Element:
    svg = chart.storm_chart(points, width_s, markers or [], LABELS, lambda t: f"{int(t - T0) // 60}m")
    return ElementTree.fromstring(svg)  # well-formed XML, every text escaped


def bars(svg: ElementTree.Element) -> list[tuple[float, float, float]]:
    """(left x, top y, right x) of each bar of the mentions path."""
    path = svg.find(f"{SVG}path[@class='mentions']")
    assert path is not None
    found = re.findall(r"M([\d.]+) [\d.]+V([\d.]+)H([\d.]+)V", path.get("d") or "")
    return [(float(a), float(b), float(c)) for a, b, c in found]


def storm(n: int = 60) -> list[Point]:
    """Quiet at 5 a minute, then a storm up to 50 a minute in the second half, half of it negative."""
    return [
        Point(T0 + i * 60, 5 if i < 30 else 50, 1 if i < 30 else 25, expected=5.0, low=2.0, high=9.0) for i in range(n)
    ]


def test_bar_heights_scale_with_the_counts_up_to_a_round_top():
    svg = draw(storm())
    drawn = bars(svg)
    assert len(drawn) == 60
    quiet, loud = drawn[0], drawn[-1]
    assert loud[1] == pytest.approx(chart.PLOT_TOP)  # 50 is the top of the axis (a round number)
    assert chart.PLOT_BOTTOM - quiet[1] == pytest.approx(chart.PLOT_HEIGHT / 10, abs=0.1)  # 5 of 50
    assert quiet[0] == pytest.approx(chart.PLOT_LEFT + 0.5) and loud[2] == pytest.approx(chart.PLOT_RIGHT - 0.5)
    axis = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"0", "25", "50", "0%", "50%", "100%", "0m", "60m"} <= set(axis)


def test_the_normal_band_and_the_expected_line_are_drawn_where_the_baseline_is_known():
    svg = draw(storm())
    band = svg.find(f"{SVG}polygon[@class='band']")
    assert band is not None
    ys = [float(p.split(",")[1]) for p in (band.get("points") or "").split()]
    y = chart.scale_y(50)
    assert min(ys) == pytest.approx(y(9.0), abs=0.1) and max(ys) == pytest.approx(y(2.0), abs=0.1)
    expected = svg.find(f"{SVG}polyline[@class='expected']")
    assert expected is not None and f",{y(5.0):.1f}" in (expected.get("points") or "")

    without = draw([Point(p.start, p.mentions, p.negatives, expected=5.0) for p in storm()])
    assert without.find(f"{SVG}polygon[@class='band']") is None
    assert without.find(f"{SVG}polyline[@class='expected']") is not None


def test_the_negative_share_is_a_line_on_the_right_axis_broken_where_nothing_was_said():
    points = storm()
    points[10] = Point(T0 + 600, 0)
    svg = draw(points)
    lines = svg.findall(f"{SVG}polyline[@class='negative']")
    assert len(lines) == 2  # before and after the silent bucket
    last_y = float((lines[1].get("points") or "").split()[-1].split(",")[1])
    assert last_y == pytest.approx(chart.scale_y(1.0)(0.5), abs=0.1)  # 25 of 50 negative


def test_markers_stand_at_the_moment_they_happened_and_only_inside_the_chart():
    markers = [
        Marker(T0 + 30 * 60, "paged", "Paged Anna 00:30"),
        Marker(T0 + 45 * 60, "acknowledged", "Acknowledged by Anna 00:45"),
        Marker(T0 - 600, "escalated", "before the chart"),
    ]
    svg = draw(storm(), markers)
    found = {g.get("class"): g for g in svg.iter(f"{SVG}g") if (g.get("class") or "").startswith("marker")}
    assert set(found) == {"marker marker-paged", "marker marker-acknowledged"}
    paged = found["marker marker-paged"].find(f"{SVG}line")
    acked = found["marker marker-acknowledged"].find(f"{SVG}line")
    assert paged is not None and acked is not None
    assert float(paged.get("x1") or 0) == pytest.approx(chart.PLOT_LEFT + chart.PLOT_WIDTH / 2, abs=0.1)
    assert float(acked.get("x1") or 0) == pytest.approx(chart.PLOT_LEFT + chart.PLOT_WIDTH * 3 / 4, abs=0.1)
    assert found["marker marker-paged"].findtext(f"{SVG}title") == "Paged Anna 00:30"


def test_the_chart_is_an_image_with_a_name_and_a_description_for_screen_readers():
    svg = draw(storm())
    assert svg.get("role") == "img" and svg.get("aria-label") == "Mentions per minute"
    assert svg.findtext(f"{SVG}title") == "Mentions per minute"
    assert svg.findtext(f"{SVG}desc") == "A storm & its <normal>"
    assert "style" not in ElementTree.tostring(svg).decode()


def test_many_buckets_are_summed_into_wider_ones_keeping_the_totals():
    points = [Point(T0 + i * 60, i % 7, i % 3, expected=2.0, low=1.0, high=3.0) for i in range(2000)]
    shown, width = chart.downsample(points, 60)
    assert len(shown) <= chart.MAX_POINTS and width == 60 * 6
    assert sum(p.mentions for p in shown) == sum(p.mentions for p in points)
    assert sum(p.negatives for p in shown) == sum(p.negatives for p in points)
    assert shown[0].expected == pytest.approx(12.0)
    assert (shown[0].high or 0) - (shown[0].low or 0) == pytest.approx(2 * 6**0.5)  # half-widths in quadrature
    assert len(bars(draw(points))) == len([p for p in shown if p.mentions])


def test_no_buckets_is_an_empty_chart_not_an_error():
    svg = draw([])
    assert svg.findtext(f"{SVG}title") == "Mentions per minute" and svg.find(f"{SVG}path") is None


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (7, 10), (12, 20), (50, 50), (51, 100), (4321, 5000)])
def test_the_count_axis_ends_at_a_round_number(value, top):
    assert chart.nice_ceiling(value) == top
