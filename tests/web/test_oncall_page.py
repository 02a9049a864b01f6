"""/oncall as a responder reads it: per schedule who is on call now and until when, who comes next,
overrides and public holidays marked, whether it is off-hours; times in each schedule's zone."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.web.app import WebContext, create_web_app
from warner.web.serve import build_context

BERLIN = ZoneInfo("Europe/Berlin")

# Weekly turns from Monday 1 June 2026, 09:00 (anna, ben, anna …): ben has the week of 21 Dec, anna the next.
# cem covers Christmas Eve evening to Boxing Day morning. The state is Bavaria: Heilige Drei Könige on 6 Jan.
# The London desk hands over daily at 09:00 London time.
ONCALL_YAML = """
brands:
  - name: kesselberg
oncall:
  people:
    - {id: anna, name: Anna Schmidt, telegram_id: 1001, language: en}
    - {id: ben, name: Ben Yilmaz, telegram_id: 1002, phone: "+4915122222222",
       contact: [telegram, {channel: sms, quiet_hours: "23:00-07:00"}, call]}
    - {id: cem, name: Cem Kaya, phone: "+4915133333333"}
  schedules:
    - id: support
      name: Kundenservice
      layers:
        - {id: base, type: weekly, handoff: "09:00", start: 2026-06-01, members: [anna, ben]}
      overrides:
        - {person: cem, start: "2026-12-24T18:00", end: "2026-12-26T09:00", reason: Weihnachtsvertretung}
    - id: london
      name: London desk
      time_zone: Europe/London
      layers:
        - {id: desk, type: daily, handoff: "09:00", start: 2026-06-01, members: [anna]}
  off_hours: {state: BY, nights: "20:00-08:00"}
"""


def berlin(*args: int) -> float:
    return datetime(*args, tzinfo=BERLIN).timestamp()


async def signed_in(ctx: WebContext, person: str) -> TestClient:
    client = TestClient(TestServer(create_web_app(ctx), host="127.0.0.1"))
    await client.start_server()
    token = await ctx.sessions.issue_link_token(person)
    assert (await client.get(f"/login?token={token}", allow_redirects=False)).status == 303
    return client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(berlin(2026, 12, 24, 10, 0))  # Thursday, Christmas Eve: a working day in Bavaria


@pytest.fixture
def ctx(redis, clock) -> WebContext:
    return build_context(parse_config(ONCALL_YAML, "test.yaml"), redis, clock=clock)


@pytest.fixture
async def ben(ctx) -> AsyncIterator[TestClient]:
    client = await signed_in(ctx, "ben")  # reads German (the default)
    yield client
    await client.close()


@pytest.fixture
async def anna(ctx) -> AsyncIterator[TestClient]:
    client = await signed_in(ctx, "anna")  # reads English
    yield client
    await client.close()


async def page_text(client: TestClient, path: str = "/oncall") -> dict[str, str]:
    """The page's text by part: "status", each schedule by id, "holidays"; tags out, spaces collapsed."""
    response = await client.get(path)
    assert response.status == 200
    html = await response.text()
    assert '<section id="oncall"' in html

    def words(fragment: str) -> str:
        spaced = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()
        return re.sub(r" ([:,])", r"\1", spaced)

    parts = {"status": words(re.search(r'<p class="oncall-status">(.*?)</p>', html, re.S).group(1))}
    for section in re.findall(r'<section class="(?:schedule|holidays)" aria-labelledby="([\w-]+)">(.*?)</section>',
                              html, re.S):  # fmt: skip
        parts[section[0].removeprefix("schedule-").removesuffix("-title")] = words(section[1])
    return parts


async def test_names_who_is_on_call_until_when_and_who_comes_next(ben) -> None:
    page = await page_text(ben)
    assert page["status"] == "Jetzt: Do 24.12. 10:00 CET · Geschäftszeit"
    support = page["support"]
    assert support.startswith("Kundenservice Zeiten in Europe/Berlin (CET)")
    assert "Jetzt in Bereitschaft Ben Yilmaz bis Do 24.12. 18:00 (Ebene base)" in support
    assert "Als Nächstes Cem Kaya ab Do 24.12. 18:00 (Vertretung: Weihnachtsvertretung)" in support


async def test_shows_how_the_person_on_call_wants_to_be_reached(ben, anna) -> None:
    assert "Erreichbar über: Telegram → SMS (Ruhezeit 23:00-07:00) → Anruf" in (await page_text(ben))["support"]
    assert "Reached by: Telegram → SMS (quiet 23:00-07:00) → phone call" in (await page_text(anna))["support"]


async def test_lists_the_week_s_shifts_with_the_override_and_the_holidays_they_cover(ben) -> None:
    support = (await page_text(ben))["support"]
    assert "Schichten der nächsten 7 Tage" in support
    rows = support.split("Feiertag ", 1)[1]  # after the header row
    assert rows == (
        "Ben Yilmaz Mo 21.12. 09:00 Do 24.12. 18:00 Ebene base – "
        "Cem Kaya Do 24.12. 18:00 Sa 26.12. 09:00 Vertretung: Weihnachtsvertretung "
        "Erster Weihnachtstag, Zweiter Weihnachtstag "
        "Ben Yilmaz Sa 26.12. 09:00 Mo 28.12. 09:00 Ebene base Zweiter Weihnachtstag "
        "Anna Schmidt Mo 28.12. 09:00 Mo 04.01. 09:00 Ebene base Neujahr"
    )


async def test_marks_the_public_holidays_of_the_next_two_weeks_in_the_configured_state(ben) -> None:
    assert (await page_text(ben))["holidays"] == (
        "Feiertage der nächsten 14 Tage (BY) "
        "Fr 25.12.: Erster Weihnachtstag Sa 26.12.: Zweiter Weihnachtstag "
        "Fr 01.01.: Neujahr Mi 06.01.: Heilige Drei Könige"
    )


async def test_on_christmas_day_it_is_off_hours_and_the_override_is_on_call(anna, clock) -> None:
    clock.set(berlin(2026, 12, 25, 10, 0))
    page = await page_text(anna)
    assert page["status"] == "Now: Fri 25 Dec 10:00 CET · Off-hours: public holiday (Erster Weihnachtstag)"
    assert "On call now Cem Kaya until Sat 26 Dec 09:00 (Override: Weihnachtsvertretung)" in page["support"]
    assert "Next Ben Yilmaz from Sat 26 Dec 09:00 (Layer base)" in page["support"]


async def test_times_are_in_the_schedule_s_own_zone(anna) -> None:
    london = (await page_text(anna))["london"]  # 10:00 in Berlin is 09:00 in London: anna's turn just began
    assert london.startswith("London desk Times in Europe/London (GMT)")
    assert "On call now Anna Schmidt until Fri 25 Dec 09:00 (Layer desk)" in london
    assert "Next Anna Schmidt from Fri 25 Dec 09:00 (Layer desk)" in london


async def test_links_the_brands_overview_and_says_when_nobody_is_on_call(redis, clock) -> None:
    later = ONCALL_YAML.replace("start: 2026-06-01, members: [anna]}", "start: 2027-01-04, members: [anna]}")
    config = parse_config(later, "test.yaml")  # the London desk opens on Monday 4 January
    client = await signed_in(build_context(config, redis, clock=clock), "anna")
    try:
        response = await client.get("/oncall")
        html = await response.text()
        assert '<a href="/brands">Brands at a glance</a>' in html
        london = (await page_text(client))["london"]
        assert "On call now Nobody" in london and "Next Anna Schmidt from Mon 4 Jan 09:00" not in london
        assert "Nobody in the next 7 days" in london  # 4 Jan is 11 days ahead
    finally:
        await client.close()
