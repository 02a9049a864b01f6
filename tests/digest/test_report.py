"""The digest's words: Markdown and HTML reports, the Telegram text and caption, in German and English."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest
from digest.week_sample import many_brands_week, quiet_week, realistic_week
from doubles.telegram_api import parse_html

from warner.digest.chart import render_chart
from warner.digest.model import Percentiles
from warner.digest.report import caption, render_html, render_markdown, save_reports, telegram_text
from warner.digest.texts import format_change, format_duration, format_percent, format_points


@pytest.mark.parametrize(
    ("seconds", "de", "en"),
    [(None, "keine Daten", "no data"), (45, "45 s", "45 s"), (240, "4 min", "4 min"),
     (4800, "1 h 20 min", "1 h 20 min"), (7200, "2 h", "2 h"), (3 * 86400 + 3600, "3 Tg. 1 h", "3 d 1 h")],
)  # fmt: skip
def test_durations_read_like_people_say_them(seconds, de, en):
    assert (format_duration(seconds, "de"), format_duration(seconds, "en")) == (de, en)


def test_changes_have_arrows_and_a_percentage_or_say_new():
    assert format_change(4559, 3400, "de") == "↑ +34 %"
    assert format_change(584, 600, "en") == "↓ −3%"
    assert format_change(100, 100, "de") == "→ ±0 %"
    assert format_change(12, 0, "de") == "neu"
    assert format_points(0.30, 0.09, "de") == "↑ +21 Pp."
    assert format_points(0.30, None, "en") == ""
    assert (format_percent(0.183, "de"), format_percent(0.045, "de"), format_percent(0.045, "en")) == (
        "18 %", "4,5 %", "4.5%")  # fmt: skip


def test_german_markdown_has_the_week_s_figures():
    md = render_markdown(realistic_week())
    assert md.startswith("# Wochenbericht KW 47/2026\n")
    assert "16.11.2026 bis 22.11.2026" in md
    assert "**Vorfälle:** 3 (🔴 1 kritisch, 🟠 1 Warnung, 🔵 1 Info)" in md
    assert "**davon außerhalb der Geschäftszeit:** 1" in md
    assert "Median 4 min, 90 % innerhalb 9 min (3 Vorfälle)" in md
    assert "**Zeit bis zur Lösung (MTTR):** 2 h 3 min (1 Vorfall)" in md
    assert "50 % (bewertet: 2, davon Fehlalarm: 1)" in md
    assert "SMS 1 zugestellt, Telegram 6 zugestellt (1 fehlgeschlagener Versuch)" in md
    assert "| Brauerei Kesselberg | 4.559 (↑ +34 %) | 3.400 | 30 % (↑ +21 Pp.) | 9,1 % | 🔴 1 · 🟠 1 |" in md
    assert (
        "| kesselberg:3 | Brauerei Kesselberg | 🔴 kritisch | Sa 21.11. 20:40 🌙 | gelöst | 4 min | 2 h 3 min | 5 |"
        in md
    )
    assert "1. glas (212)" in md and "- product\\_defect: 1" in md


def test_english_markdown_uses_english_words_and_number_format():
    md = render_markdown(realistic_week(), "en")
    assert md.startswith("# Weekly digest 2026-W47\n")
    assert "median 4 min, 90% within 9 min (3 incidents)" in md
    assert "| Brauerei Kesselberg | 4,559 (↑ +34%) | 3,400 | 30% (↑ +21 pts) | 9.1% |" in md
    assert "Sat 21 Nov 20:40 🌙 | resolved" in md and "Wochenbericht" not in md


def test_brand_labels_can_be_overridden():
    md = render_markdown(realistic_week(), brand_labels={"kesselberg": "Kesselberg Bräu"})
    assert "| Kesselberg Bräu |" in md and "Brauerei Kesselberg" not in md


def test_markdown_keeps_a_hostile_term_literal():
    md = render_markdown(realistic_week())
    assert "<script>" not in md and "&lt;script\\>alert\\(1\\)&lt;/script\\>" in md
    evil = dataclasses.replace(realistic_week().brands[0], label="Evil | Brand [x](javascript:1)")
    md = render_markdown(dataclasses.replace(realistic_week(), brands=(evil,)))
    assert "| Evil \\| Brand \\[x\\]\\(javascript:1\\) |" in md


def test_nothing_measured_says_no_data_never_zero_minutes():
    week = quiet_week()
    md, html, text = render_markdown(week), render_html(week), telegram_text(week)
    for out in (md, text):
        assert "MTTA" in out and "keine Daten" in out and "0 min" not in out and "0 s" not in out
    assert "**Zeit bis zur Übernahme (MTTA):** keine Daten" in md
    assert "**Fehlalarmquote:** keine Daten" in md and "Keine Vorfälle in dieser Woche." in md
    assert '<dd class="nodata">keine Daten</dd>' in html
    assert "MTTA: keine Daten\nMTTR: keine Daten\nFehlalarmquote: keine Daten" in text
    assert "no data" in render_markdown(week, "en")


def test_unacknowledged_incident_shows_no_data_for_its_mtta():
    week = realistic_week()
    open_one = dataclasses.replace(week.incidents[0], state="open", mtta_s=None, mttr_s=None)
    week = dataclasses.replace(week, incidents=(open_one,), mtta=Percentiles(0, None, None))
    md = render_markdown(week)
    assert "| offen | keine Daten | keine Daten |" in md and "**Zeit bis zur Übernahme (MTTA):** keine Daten" in md


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.srcs += [v for k, v in attrs if k in ("src", "href") and v]


def test_html_is_self_contained_and_escapes_untrusted_terms():
    png = render_chart(realistic_week())
    page = render_html(realistic_week(), "de", png)
    parser = _Collect()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert len(parser.srcs) == 1 and parser.srcs[0].startswith("data:image/png;base64,iVBORw0KGgo")
    assert '<html lang="de">' in page and "<title>Wochenbericht KW 47/2026</title>" in page
    assert "4.559" in page and "↑ +34 %" in page and "Median 4 min" in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch: works offline


def test_html_without_chart_has_no_image():
    page = render_html(realistic_week(), "en")
    assert "<img" not in page and '<html lang="en">' in page and "Weekly digest 2026-W47" in page


def test_telegram_text_has_the_essentials_in_german():
    text = telegram_text(realistic_week(), "de")
    parse_html(text)  # Telegram would accept the markup
    assert text.startswith("<b>📊 Wochenbericht KW 47/2026</b>\n16.11.2026 bis 22.11.2026")
    assert "<b>3 Vorfälle</b>: 🔴 1 kritisch · 🟠 1 Warnung · 🔵 1 Info" in text
    assert "davon außerhalb der Geschäftszeit: 1" in text
    assert "MTTA: Median 4 min, 90 % innerhalb 9 min (3 Vorfälle)" in text
    assert "MTTR: 2 h 3 min (1 Vorfall)" in text
    assert "Fehlalarmquote: 50 %" in text
    assert "Benachrichtigungen: SMS 1 · Telegram 6 (1 fehlgeschlagener Versuch)" in text
    assert "Erwähnungen: 4.559 (↑ +34 %; Vorwoche 3.400)" in text
    assert "negativer Anteil: 30 % (Vorwoche 9,1 %, ↑ +21 Pp.)" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text
    assert "Verwendete Playbooks: product_defect ×1" in text


def test_telegram_text_in_english():
    text = telegram_text(realistic_week(), "en")
    parse_html(text)
    assert "<b>3 incidents</b>: 🔴 1 critical" in text and "of which off-hours: 1" in text
    assert "MTTA: median 4 min, 90% within 9 min (3 incidents)" in text
    assert "Mentions: 4,559 (↑ +34%; previous week 3,400)" in text and "Pages: SMS 1 · Telegram 6" in text


def test_undeliverable_pages_are_flagged():
    text = telegram_text(dataclasses.replace(realistic_week(), undeliverable=2))
    assert "⚠️ Niemanden erreicht: 2" in text


@pytest.mark.parametrize("language", ["de", "en"])
def test_many_brands_stay_within_telegram_limits(language):
    week = many_brands_week(40)
    text, short = telegram_text(week, language), caption(week, language)
    assert len(text) <= 4096 and len(short) <= 1024
    for markup in (text, short):
        parse_html(markup)  # shortened, not cut through a tag
    assert ("weitere Marken" if language == "de" else "more brands") in text
    assert "MTTA" in text and "Playbook" in text


def test_caption_is_the_week_at_a_glance():
    short = caption(realistic_week(), "de")
    parse_html(short)
    assert short.splitlines()[0] == "<b>📊 Wochenbericht KW 47/2026</b>"
    assert "• Brauerei Kesselberg: 4.559 Erwähnungen, 30 % negativ (↑ +34 %)" in short
    assert "Keine Vorfälle" in caption(quiet_week(), "de") and "0 Erwähnungen (→ ±0 %)" in caption(quiet_week())


def test_save_reports_writes_markdown_html_and_png(tmp_path):
    week = realistic_week()
    png = render_chart(week)
    paths = save_reports(week, tmp_path / "digests", png)
    assert {k: p.name for k, p in paths.items()} == {
        "md": "digest-2026-W47.md", "html": "digest-2026-W47.html", "png": "digest-2026-W47.png"}  # fmt: skip
    assert paths["png"].read_bytes() == png
    assert paths["md"].read_text().startswith("# Wochenbericht KW 47/2026")
    assert "data:image/png;base64," in paths["html"].read_text()
    assert sorted(p.name for p in (tmp_path / "digests").iterdir()) == sorted(p.name for p in paths.values())
    again = save_reports(week, tmp_path / "digests", None)  # no chart: reports only, overwritten in place
    assert set(again) == {"md", "html"} and re.search(r"<img", again["html"].read_text()) is None
