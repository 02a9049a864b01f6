"""/oncall and /incidents as the pager answers them: the reader's language, words and figures people read.

Issue 19, point 5: ``/incidents`` answered ``krume:1 · critical · acknowledged · 184 / 4`` in
English inside a German bot, and ``/oncall`` did not say until when. Everything real: the
pager as a worker builds it (its bot backend reads the on-call config and the incident store
in Redis), python-telegram-bot polling the local Bot API double.
"""

from __future__ import annotations

import orjson
import pytest
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.incidents.model import Incident
from warner.metrics import Metrics
from warner.notify.telegram.bot import start_polling
from warner.paging import build_pager
from warner.store import keys

SATURDAY_1950 = 1795287000  # Sa 21.11.2026 19:50 Europe/Berlin
ANNA, BEN = 1001, 1002

ONCALL_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {anna}}}
    - {{id: ben, name: Ben, telegram_id: {ben}, language: en}}
  schedules:
    - id: social
      name: Social Media
      layers:
        - {{id: base, type: weekly, handoff: "09:00", start: 2026-11-16, members: [anna, ben]}}
    - id: office
      layers:
        - {{id: day, type: daily, handoff: "08:00", start: 2026-11-16, members: [ben], hours: "08:00-17:00",
           days: [monday, tuesday, wednesday, thursday, friday]}}
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
escalation:
  policies:
    - id: storm
      steps:
        - {{notify_on_call: social, channels: [telegram]}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""



@pytest.fixture
async def pager(redis, tokens, telegram):
    config = parse_config(CONFIG_YAML + ONCALL_YAML.format(anna=ANNA, ben=BEN, telegram=telegram.base_url), "t.yaml")
    pager = build_pager(config, redis, Metrics(), clock=ManualClock(SATURDAY_1950 + 300))
    await start_polling(pager.application, poll_timeout_s=1)
    yield pager
    await pager.close()


async def store(redis, incident: Incident) -> None:
    await redis.set(keys.incident(incident.brand, incident.number), orjson.dumps(incident.to_json()))
    await redis.zadd(keys.INCIDENT_INDEX, {incident.id: incident.started_at})


async def ask(telegram, user_id, name, command, language_code="de") -> str:
    before = len(telegram.calls_of("sendMessage"))
    await telegram.command(telegram.user(user_id, name, language_code), command)
    return (await telegram.wait_for("sendMessage", before + 1))[-1]["text"]


async def test_oncall_says_who_until_the_hand_over_and_who_comes_next_in_the_reader_s_language(telegram, pager):
    assert await ask(telegram, ANNA, "Anna", "/oncall", language_code="en") == (
        "Bereitschaft jetzt:\n"
        "Social Media: Anna bis Mo 23.11. 09:00\n"
        "office: niemand – als Nächstes Ben ab Mo 23.11. 08:00"
    )  # Anna's configured language (the default, German) wins over her app's
    assert await ask(telegram, BEN, "Ben", "/oncall") == (
        "On call now:\nSocial Media: Anna until Mon 23 Nov 09:00\noffice: nobody – next Ben from Mon 23 Nov 08:00"
    )


async def test_incidents_answer_in_words_and_readable_figures_in_the_reader_s_language(redis, telegram, pager):
    storm = Incident("kesselberg", 1, "open", "critical", SATURDAY_1950 - 1200, SATURDAY_1950 + 240,
                     mentions=184, expected=4.2, negatives=90)  # fmt: skip
    earlier = Incident("bergblick", 1, "closed", "warning", SATURDAY_1950 - 7200, SATURDAY_1950 - 6000,
                       ended_at=SATURDAY_1950 - 5940, mentions=48, expected=0.2)  # fmt: skip
    for incident in (storm, earlier):  # the earlier one was never paged: it has no response state
        await store(redis, incident)
    await pager.engine.lifecycle.apply(storm.id, "open", via="detector")
    await pager.engine.lifecycle.apply(storm.id, "ack", "ben", "telegram")

    assert await ask(telegram, ANNA, "Anna", "/incidents") == (
        "Letzte Vorfälle:\n\n"
        "kesselberg:1 · Brauerei Kesselberg · 🔴 kritisch\n"
        "Übernommen von Ben, 19:55\n"
        "184 Erwähnungen in 25 Minuten, sonst etwa 4,2 · seit 19:30 (Sa 21.11.)\n\n"
        "bergblick:1 · bergblick · 🟠 Warnung\n"
        "Offen — noch niemand hat übernommen · ⏹ beendet um 18:11\n"
        "48 Erwähnungen in 21 Minuten, sonst etwa 0,2 · seit 17:50 (Sa 21.11.)"
    )
    english = await ask(telegram, BEN, "Ben", "/incidents")
    assert english.startswith("Recent incidents:\n\nkesselberg:1 · Brauerei Kesselberg · 🔴 critical\n")
    first = english.split("\n\n")[1].splitlines()
    assert first[1:] == [
        "Acknowledged by Ben, 19:55",
        "184 mentions in 25 minutes, usually about 4.2 · since 19:30 (Sat 21 Nov)",
    ]
    assert "acknowledged ·" not in english and " / " not in english


async def test_no_incidents_is_said_in_the_reader_s_language(telegram, pager):
    assert await ask(telegram, ANNA, "Anna", "/incidents") == "Keine Vorfälle."
    assert await ask(telegram, BEN, "Ben", "/incidents") == "No incidents."
