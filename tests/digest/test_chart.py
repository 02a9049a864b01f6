"""The weekly chart renders to a PNG a phone can show, for ordinary, empty and DST weeks."""

from __future__ import annotations

import io
import sys

import pytest
from digest.week_sample import dst_week, quiet_week, realistic_week
from PIL import Image

from warner.digest.chart import render_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decoded(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every pixel: a truncated or corrupt PNG fails here
    return image


@pytest.mark.parametrize("language", ["de", "en"])
def test_week_with_two_brands_and_incidents_is_a_1200_px_wide_png(tmp_path, language):
    path = tmp_path / "chart.png"
    png = render_chart(realistic_week(), path, language=language)
    image = decoded(png)
    assert image.width == 1200 and 700 < image.height < 1400  # two panels, not a banner or a poster
    assert 20_000 < len(png) < 1_000_000
    assert path.read_bytes() == png


def test_brand_without_mentions_still_gets_a_panel():
    image = decoded(render_chart(quiet_week()))
    assert image.width == 1200 and image.height > 400


def test_week_without_brands_renders_a_notice_instead_of_failing():
    image = decoded(render_chart(quiet_week(brands=())))
    assert image.width == 1200


def test_dst_week_of_169_hours_renders():
    figures = dst_week()
    assert len(figures.brands[0].hourly) == 169
    image = decoded(render_chart(figures, language="en"))
    assert image.width == 1200


def test_chart_does_not_use_pyplot_or_switch_the_backend():
    import matplotlib

    backend = matplotlib.get_backend()
    pyplot_before = "matplotlib.pyplot" in sys.modules
    render_chart(realistic_week())
    assert matplotlib.get_backend() == backend
    assert ("matplotlib.pyplot" in sys.modules) == pyplot_before
