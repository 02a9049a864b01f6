"""The week's figures against a hand computation, from a week seeded in a real Redis.

The week is 2026-W47 (Mon 16 – Sun 22 Nov 2026, Europe/Berlin = UTC+1). Mentions are
counted through the real BucketCounter (the count stage's Lua script); incidents go in as
the detector writes them, responses through IncidentLifecycle with a ManualClock, and
timeline entries in the exact shape of the escalation engine (``delivery``, ``escalation``)
and the pager (``draft``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from warner.core import ManualClock, TextScore
from warner.detect.counters import BucketCounter
from warner.digest.figures import percentiles, week_figures
from warner.digest.model import Percentiles
from warner.incidents.lifecycle import IncidentLifecycle
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.mention import Mention
from warner.pipeline import Envelope
from warner.store import keys

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = "2026-W47"


def local(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 11) -> int:
    return int(datetime(2026, month, day, hour, minute, second, tzinfo=BERLIN).timestamp())


START = local(16)  # Mon 16 Nov 00:00


def mention(brand: str, key: str, at: int, text: str = "Kesselberger Helles", negative: bool = False) -> Envelope:
    m = Mention(
        id=key,
        source="test",
        text=text,
        created_at=datetime.fromtimestamp(at, BERLIN),
        brand=brand,
        author=f"author-{key}",
        author_followers=10,
    )
    sentiment = "negative" if negative else "neutral"
    return Envelope(key, m, 0, TextScore("de", sentiment, 0.9 if negative else 0.1, 0.0, False))


@pytest.fixture
def counter(redis, config) -> BucketCounter:
    names = {b.name: [b.name, *b.aliases] for b in config.brands}
    return BucketCounter(redis, config.bucket, config.retention.buckets, brand_names=names)


MONDAY = [  # Mon 16 Nov 10:00 — 3 mentions, 1 negative
    mention(
        "kesselberg",
        "mon-1",
        local(16, 10, 0, 30),
        "Glassplitter im Kesselberger Hellen! Rückruf jetzt: https://t.co/x1 @kesselberg_bier #Rückruf",
        negative=True,
    ),
    mention("kesselberg", "mon-2", local(16, 10, 0, 40)),
    mention("kesselberg", "mon-3", local(16, 10, 1, 5)),
]
SATURDAY = [  # Sat 21 Nov 21:05 — 5 mentions, 4 negative
    mention("kesselberg", "sat-1", local(21, 21, 5), "Schon wieder Glas im Bier, die Brauerei schweigt 😡", True),
    mention("kesselberg", "sat-2", local(21, 21, 5), "Glassplitter in der Flasche!!! Wo bleibt der Rückruf?", True),
    mention("kesselberg", "sat-3", local(21, 21, 6), "Never buying Kesselberg again, glass in my beer #recall", True),
    mention("kesselberg", "sat-4", local(21, 21, 7), "Rückruf 2026 jetzt!", True),
    mention("kesselberg", "sat-5", local(21, 21, 8), "Prost! Kesselberger schmeckt"),
]
SUNDAY_LAST_MINUTE = [  # Sun 22 Nov 23:59:30 — the week's last bucket
    mention("kesselberg", "sun-1", local(22, 23, 59, 30), "Immer noch kein Rückruf von Kesselberg", True),
]
NEXT_MONDAY = [  # Mon 23 Nov 00:00:10 — next week
    mention("kesselberg", "next-1", local(23, 0, 0, 10), "Rückruf Rückruf Skandal", True),
    mention("kesselberg", "next-2", local(23, 0, 0, 20)),
]
PREVIOUS_WEEK = [  # Wed 11 Nov 12:00 — 4 mentions, 1 negative
    mention("kesselberg", "prev-1", local(11, 12), "Zu teuer geworden", True),
    *(mention("kesselberg", f"prev-{n}", local(11, 12, n)) for n in (2, 3, 4)),
]
BERGBLICK = [  # Tue 17 Nov 09:00 — 2 mentions, none negative; nothing the week before
    mention("bergblick", "bb-1", local(17, 9), "Bergblick Reisen war toll"),
    mention("bergblick", "bb-2", local(17, 9, 30), "Urlaub mit Bergblick Reisen gebucht"),
]


async def seed_mentions(counter: BucketCounter) -> None:
    for batch in (MONDAY, SATURDAY, SUNDAY_LAST_MINUTE, NEXT_MONDAY, PREVIOUS_WEEK, BERGBLICK):
        await counter.add(batch)
    assert await counter.add(SATURDAY + SUNDAY_LAST_MINUTE) == {"kesselberg": 0}  # re-delivered: nothing new


# -- incidents ----------------------------------------------------------------------------------


async def store_incident(redis, brand: str, number: int, severity: str, started_at: int) -> str:
    inc = Incident(brand, number, "open", severity, started_at, started_at)  # type: ignore[arg-type]
    await redis.set(keys.incident(brand, number), orjson.dumps(inc.to_json()))
    store = IncidentStore(redis)
    await store.index(inc)
    await store.note(inc.id, {"kind": "opened", "at": started_at, "severity": severity, "mentions": 40})
    return inc.id


def delivery(at: float, channel: str, ok: bool, *, edit: bool = False, recipient: str = "anna") -> dict[str, Any]:
    """A timeline entry as ``EscalationEngine._record`` writes it."""
    return {
        "kind": "delivery",
        "at": round(at, 3),
        "page": "update" if edit else "new",
        "reason": "incident_changed" if edit else "first_page",
        "recipient": recipient,
        "channel": channel,
        "target": "11" if channel == "telegram" else "+4915100000",
        "ok": ok,
        "latency_s": 0.2,
        "error": None if ok else "timeout",
        "level": 1,
        "edit": edit,
    }


def draft(at: float, playbook: str) -> dict[str, Any]:
    """A timeline entry as ``Pager.choose_draft`` writes it."""
    return {"kind": "draft", "at": at, "by": "anna", "playbook": playbook, "purpose": "holding_statement"}


async def seed_incidents(redis) -> None:
    store = IncidentStore(redis)
    clock = ManualClock(0)
    lifecycle = IncidentLifecycle(redis, clock)

    async def respond(iid: str, opened_at: int, *steps: tuple[int, str]) -> None:
        clock.set(opened_at)
        await lifecycle.apply(iid, "open", via="detector")
        for after, step in steps:
            clock.set(opened_at + after)
            await lifecycle.apply(iid, step, "anna", "telegram")  # type: ignore[arg-type]

    # The Sunday before the week: not in it.
    before = await store_incident(redis, "kesselberg", 1, "critical", local(15, 22))
    await respond(before, local(15, 22), (60, "ack"))
    await store.note(before, delivery(local(15, 22), "telegram", True))

    # Mon 14:00, a weekday afternoon: warning -> critical, acked after 4 min, resolved after 50 min.
    k2 = await store_incident(redis, "kesselberg", 2, "critical", local(16, 14))
    await store.note(k2, {"kind": "escalated", "at": local(16, 14, 5), "severity": "critical", "mentions": 90})
    opened = local(16, 14, 1)
    await respond(k2, opened, (240, "ack"), (3000, "resolve"))
    await store.note(k2, delivery(opened + 1, "telegram", True))
    await store.note(k2, delivery(opened + 1, "sms", False, recipient="ben"))
    await store.note(k2, delivery(opened + 600, "telegram", True, edit=True))  # an edit is not a page
    await store.note(k2, delivery(opened + 700, "sms", False, edit=True))
    await store.note(k2, draft(opened + 300, "glass-recall"))
    await store.note(k2, draft(opened + 400, "glass-recall"))
    await store.note(k2, draft(opened + 500, "holding-statement"))

    # Sat 21:10, off-hours: acked after 10 min, resolved after an hour; Telegram failed, SMS reached her.
    k3 = await store_incident(redis, "kesselberg", 3, "critical", local(21, 21, 10))
    opened = local(21, 21, 10)
    await respond(k3, opened, (600, "ack"), (3600, "resolve"))
    await store.note(k3, delivery(opened, "telegram", False))
    await store.note(k3, delivery(opened + 2, "sms", True))
    await store.note(k3, draft(opened + 900, "glass-recall"))

    # Sun 23:59, the week's last minute (weekend): still open, nobody answered.
    k4 = await store_incident(redis, "kesselberg", 4, "info", local(22, 23, 59))
    await respond(k4, local(22, 23, 59))

    # Mon 23 Nov 00:00: the next week's.
    k5 = await store_incident(redis, "kesselberg", 5, "critical", local(23))
    await respond(k5, local(23), (100, "ack"))
    await store.note(k5, delivery(local(23), "sms", True))

    # Tue 09:30, business hours: acked after 30 min, then a false alarm; nobody could be reached.
    b1 = await store_incident(redis, "bergblick", 1, "warning", local(17, 9, 30))
    opened = local(17, 9, 30)
    await respond(b1, opened, (1800, "ack"), (2000, "false_alarm"))
    await store.note(b1, delivery(opened, "telegram", False))
    await store.note(b1, delivery(opened, "sms", False))
    await store.note(
        b1, {"kind": "escalation", "event": "undeliverable", "at": opened, "recipient": "anna", "channels": ["sms"]}
    )
    await store.note(b1, draft(opened + 100, "holding-statement"))


# -- the figures --------------------------------------------------------------------------------


async def test_every_figure_of_a_seeded_week_matches_the_hand_computation(redis, config, counter):
    await seed_mentions(counter)
    await seed_incidents(redis)

    f = await week_figures(redis, config, WEEK)

    assert (f.week, f.time_zone, f.start, f.end) == (WEEK, "Europe/Berlin", START, local(23))

    # Incidents started in [Mon 16 00:00, Mon 23 00:00): kesselberg 2, 3, 4 and bergblick 1, by start time.
    by_id = {i.id: i for i in f.incidents}
    assert [i.id for i in f.incidents] == ["kesselberg:2", "bergblick:1", "kesselberg:3", "kesselberg:4"]
    k2, b1, k3, k4 = (by_id[i] for i in ("kesselberg:2", "bergblick:1", "kesselberg:3", "kesselberg:4"))
    assert (k2.severity, k2.off_hours, k2.state, k2.mtta_s, k2.mttr_s, k2.pages) == (
        "critical",
        False,
        "resolved",
        240,
        3000,
        1,
    )
    assert k2.playbooks == ("glass-recall", "holding-statement")
    assert (k3.severity, k3.off_hours, k3.state, k3.mtta_s, k3.mttr_s, k3.pages) == (
        "critical",
        True,
        "resolved",
        600,
        3600,
        1,
    )
    assert k3.playbooks == ("glass-recall",)
    assert (k4.severity, k4.off_hours, k4.state, k4.mtta_s, k4.mttr_s, k4.pages, k4.playbooks) == (
        "info",
        True,
        "open",
        None,
        None,
        0,
        (),
    )
    assert (b1.brand, b1.severity, b1.off_hours, b1.state, b1.mtta_s, b1.mttr_s, b1.pages) == (
        "bergblick",
        "warning",
        False,
        "false_alarm",
        1800,
        None,
        0,
    )
    assert f.by_brand_and_severity == {"kesselberg": {"critical": 2, "info": 1}, "bergblick": {"warning": 1}}
    assert f.off_hours_incidents == 2  # Saturday 21:10 and Sunday 23:59
    assert f.false_alarm_rate == pytest.approx(1 / 3)  # judged: k2, k3 resolved; b1 false alarm

    # MTTA over [240, 600, 1800]: median = the middle value 600; p90 nearest rank = ceil(0.9 * 3) = 3rd = 1800.
    assert f.mtta == Percentiles(3, 600.0, 1800.0)
    # MTTR over [3000, 3600] (false alarm and open excluded): median (3000 + 3600) / 2 = 3300;
    # p90 nearest rank = ceil(0.9 * 2) = 2nd = 3600.
    assert f.mttr == Percentiles(2, 3300.0, 3600.0)

    # New-message attempts only: ok k2 telegram, k3 sms; failed k2 sms, k3 telegram, b1 telegram and sms.
    assert f.pages_by_channel == {"sms": 1, "telegram": 1}
    assert f.failures_by_channel == {"sms": 2, "telegram": 2}
    assert f.undeliverable == 1
    # Incidents per playbook: glass-recall k2, k3; holding-statement k2, b1.
    assert f.playbooks_used == {"glass-recall": 2, "holding-statement": 2}

    kessel, berg = f.brands
    assert (kessel.brand, kessel.label, berg.brand, berg.label) == (
        "kesselberg",
        "Brauerei Kesselberg",
        "bergblick",
        "bergblick",
    )
    # Mon 3 (1 negative) + Sat 5 (4) + Sun 23:59 1 (1); next Monday's 2 are not this week's.
    assert (kessel.mentions, kessel.negatives) == (3 + 5 + 1, 1 + 4 + 1)
    assert (kessel.previous_mentions, kessel.previous_negatives) == (4, 1)
    assert (kessel.negative_share, kessel.previous_negative_share) == (6 / 9, 1 / 4)
    assert (berg.mentions, berg.negatives, berg.previous_mentions, berg.previous_negatives) == (2, 0, 0, 0)
    assert (berg.negative_share, berg.previous_negative_share) == (0.0, None)

    # Every hour of the week, zeros filled: Mon 10:00 is hour 10, Sat 21:00 is 5 * 24 + 21, Sun 23:00 is 167.
    assert len(kessel.hourly) == len(berg.hourly) == 168
    assert [p.start for p in kessel.hourly] == [START + h * 3600 for h in range(168)]
    busy = {h: (p.mentions, p.negatives) for h, p in enumerate(kessel.hourly) if p.mentions}
    assert busy == {10: (3, 1), 5 * 24 + 21: (5, 4), 167: (1, 1)}
    assert {h: p.mentions for h, p in enumerate(berg.hourly) if p.mentions} == {24 + 9: 2}

    # Words of the week's 6 negative mentions, each mention once (the re-delivery added nothing):
    # rückruf: Mon, sat-2, sat-4, Sun = 4; glassplitter: Mon, sat-2 = 2; then one each, alphabetically.
    # Kesselberg(er) is the brand; next Monday's "Skandal" and last week's "teuer" are other weeks.
    assert kessel.negative_terms == (
        ("rückruf", 4),
        ("glassplitter", 2),
        ("beer", 1),
        ("bier", 1),
        ("bleibt", 1),
        ("brauerei", 1),
        ("buying", 1),
        ("flasche", 1),
        ("glas", 1),
        ("glass", 1),
    )
    assert berg.negative_terms == ()


async def test_the_brand_filter_keeps_only_that_brands_incidents_and_counts(redis, config, counter):
    await seed_mentions(counter)
    await seed_incidents(redis)

    f = await week_figures(redis, config, WEEK, brands=["bergblick"])

    assert [i.id for i in f.incidents] == ["bergblick:1"]
    assert [b.brand for b in f.brands] == ["bergblick"]
    assert (f.pages_by_channel, f.failures_by_channel, f.undeliverable) == ({}, {"sms": 1, "telegram": 1}, 1)
    assert f.mtta == Percentiles(1, 1800.0, 1800.0)
    assert f.mttr == Percentiles(0, None, None)


async def test_the_next_week_starts_at_monday_midnight(redis, config, counter):
    await seed_mentions(counter)
    await seed_incidents(redis)

    f = await week_figures(redis, config, "2026-W48")

    assert [i.id for i in f.incidents] == ["kesselberg:5"]
    kessel = next(b for b in f.brands if b.brand == "kesselberg")
    assert (kessel.mentions, kessel.negatives, kessel.previous_mentions, kessel.previous_negatives) == (2, 1, 9, 6)
    assert kessel.hourly[0].mentions == 2
    assert kessel.negative_terms == (("rückruf", 1), ("skandal", 1))


async def test_a_dst_week_has_169_hourly_points_that_follow_local_hours(redis, config, counter):
    # Sun 25 Oct 2026: 02:00-03:00 happens twice. 03:30 local (CET) is the 4th hour of that Sunday after
    # midnight CEST (00, 01, 02 CEST, 02 CET, 03): hour index 6 * 24 + 4.
    sunday_0330 = int(datetime(2026, 10, 25, 3, 30, tzinfo=BERLIN).timestamp())
    await counter.add([mention("kesselberg", "dst", sunday_0330, "Rückruf", True)])

    f = await week_figures(redis, config, "2026-W43")

    kessel = f.brands[0]
    assert f.end - f.start == 169 * 3600
    assert len(kessel.hourly) == 169
    assert {h: p.mentions for h, p in enumerate(kessel.hourly) if p.mentions} == {6 * 24 + 4: 1}
    assert (f.incidents, f.mtta, f.mttr, f.pages_by_channel, f.playbooks_used) == (
        (),
        Percentiles(0, None, None),
        Percentiles(0, None, None),
        {},
        {},
    )
    assert f.false_alarm_rate is None


async def test_term_counts_expire_after_ten_weeks(redis, config, counter):
    await counter.add(SUNDAY_LAST_MINUTE)
    ttl = await redis.ttl(keys.negative_terms("kesselberg", WEEK))
    assert 10 * 7 * 86400 - 5 <= ttl <= 10 * 7 * 86400


async def test_a_malformed_week_is_refused(redis, config):
    with pytest.raises(ValueError, match="ISO week"):
        await week_figures(redis, config, "2026-W54")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], Percentiles(0, None, None)),
        ([42], Percentiles(1, 42.0, 42.0)),
        # 10 values: median (50 + 60) / 2 = 55; p90 rank ceil(9.0) = 9th = 90.
        ([100, 10, 90, 20, 80, 30, 70, 40, 60, 50], Percentiles(10, 55.0, 90.0)),
        # 11 values: median 6th = 60; p90 rank ceil(9.9) = 10th = 100.
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], Percentiles(11, 60.0, 100.0)),
    ],
)
def test_percentiles_are_median_and_nearest_rank_p90(values, expected):
    assert percentiles(values) == expected


async def test_unmatched_mentions_are_counted_but_leave_no_terms_and_no_authors(redis, config, counter):
    """Only a brand's terms reach the digest and only a brand's detector asks for fresh authors."""
    at = local(17, 10)
    unmatched = [
        Envelope(f"u{i}", m.mention.model_copy(update={"brand": None}), 0, m.score)
        for i, m in enumerate(mention("kesselberg", f"u{i}", at, "Rückruf wegen Glasbruch", True) for i in range(3))
    ]
    assert await counter.add([*unmatched, mention("kesselberg", "k1", at, "Rückruf wegen Glasbruch", True)]) == {
        keys.NO_BRAND: 3,
        "kesselberg": 1,
    }
    bucket = at - at % 60
    none = await counter.read(keys.NO_BRAND)
    assert [(c.start, c.mentions, c.negatives, c.authors) for c in none] == [(bucket, 3, 3, 0)]
    assert not await redis.exists(keys.negative_terms(keys.NO_BRAND, WEEK), keys.recent_authors(keys.NO_BRAND))
    assert await counter.negative_terms("kesselberg", WEEK) == [("glasbruch", 1), ("rückruf", 1)]
    assert [c.authors for c in await counter.read("kesselberg")] == [1]
