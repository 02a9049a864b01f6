"""Streams with no event at all: the detector must stay silent.

Two weeks each: the first is history to learn from, the second is judged. Both have
what ordinary weeks have — noise, a busier evening now and then, a public holiday —
and nothing a social-media team would want to hear about.
"""

from __future__ import annotations

import random
from datetime import datetime

import holidays

from warner.core import BERLIN
from warner.scenarios import brands
from warner.scenarios.background import surroundings
from warner.scenarios.records import Post, RecordLog
from warner.scenarios.rhythm import BREWERY, CRAFT, GROCERY, TRAVEL, boost, expected_per_minute, minute_of
from warner.scenarios.scenario import BRAND, Scenario
from warner.scenarios.texts import BERGBLICK, HOFMANN, KESSELBERG, SONNENHOF

_TV_AD = (
    "Die neue Kesselberg Werbung mit dem Dackel ist großartig 😂",
    "Gerade den Kesselberg Spot im Fernsehen gesehen, sehr sympathisch",
    "Kesselberg macht jetzt Fernsehwerbung? Die Brauerei wird ja richtig groß",
    "Der Dackel aus der Kesselberger Werbung, ich kann nicht mehr 😂",
    "Wer singt eigentlich das Lied in der Kesselberg Werbung?",
)
_CUP_MATCH = (
    "Kesselberg Bandenwerbung im Pokalspiel, sieht man ja überall",
    "Pokalabend mit Kesselberger Hellem, Tor! ⚽",
    "Kesselberg sponsert jetzt den TSV, passt zur Region",
    "Halbzeit, Kesselberger nachschenken 🍺",
)
_WHIT_MONDAY = (
    "Pfingstmontag, endlich Zeit, die Angebote zu vergleichen. Hofmann Fenster liegt bei uns vorn",
    "Feiertag und wir messen die Fenster aus. Der Konfigurator von Hofmann Fenster ist praktisch",
    "Ist Hofmann Fenster heute am Feiertag eigentlich erreichbar?",
)

# Pfingstmontag (Whit Monday) 2026: a public holiday in every German state.
HOLIDAY = next(
    d for d, name in holidays.country_holidays("DE", years=2026, language="en_US").items() if name == "Pentecost Monday"
)
HOLIDAY_SHARE = 0.32  # of a normal Monday's volume


def quiet_week(seed: int = 17) -> Scenario:
    """Brauerei Kesselberg, Mon 19 Oct – Mon 2 Nov 2026: two ordinary weeks, no event.

    Judged from Monday 26 October 00:00 (Berlin), the second week. Summer time ends in
    between (Sunday 25 October, 03:00 CEST → 02:00 CET): timestamps change offset, the
    rhythm stays in local time. Busier evenings with their own talk: the brewery's new TV
    ad on both Fridays 20:15–21:45 (1.8× and 1.7×), a cup match it sponsors on Wednesday
    28 October 19:00–22:00 (1.5×). Expect no alert at all.
    """
    rng = random.Random(seed)
    start = datetime(2026, 10, 19, tzinfo=BERLIN)
    judged_from = datetime(2026, 10, 26, tzinfo=BERLIN)
    end = datetime(2026, 11, 2, tzinfo=BERLIN)
    log = RecordLog("quiet", seed, rng)

    normal = expected_per_minute(BREWERY, 2.5, start, end, rng)
    log.emit(start, normal, KESSELBERG.everyday)
    surroundings(log, rng, start, end, KESSELBERG, BERGBLICK, TRAVEL, 2.0)
    evenings = (
        (datetime(2026, 10, 23, 20, 15, tzinfo=BERLIN), datetime(2026, 10, 23, 21, 45, tzinfo=BERLIN), 1.8, _TV_AD),
        (datetime(2026, 10, 28, 19, 0, tzinfo=BERLIN), datetime(2026, 10, 28, 22, 0, tzinfo=BERLIN), 1.5, _CUP_MATCH),
        (datetime(2026, 10, 30, 20, 15, tzinfo=BERLIN), datetime(2026, 10, 30, 21, 45, tzinfo=BERLIN), 1.7, _TV_AD),
    )
    for begin, until, factor, texts in evenings:
        busier = list(normal)
        boost(busier, start, begin, until, factor)
        extra = [b - n for b, n in zip(busier, normal, strict=True)]

        def post(rng: random.Random, minute: int, texts: tuple[str, ...] = texts) -> Post:
            return Post(rng.choice(texts), BRAND)

        log.emit(start, extra, post)
    return Scenario(
        name="quiet_week",
        description="Brauerei Kesselberg: two ordinary weeks with a TV ad and a cup match, no event",
        brand="kesselberg",
        start=start,
        end=end,
        onset=None,
        mentions=log.deliveries(duplicate_share=0.03),
        judged_from=judged_from,
        event_end=None,
        expect_alert=False,
        max_severity=None,
        brands=[brands.KESSELBERG, brands.BERGBLICK],
        kinds=log.kinds,
    )


def holiday_lull(seed: int = 19) -> Scenario:
    """Hofmann Fenster, Sat 16 May – Sat 30 May 2026: two weeks with Whit Monday in the second.

    Judged from Saturday 23 May 00:00 (Berlin). A window maker lives on weekday office
    hours; on ``HOLIDAY`` (Monday 25 May) it gets ``HOLIDAY_SHARE`` of a normal Monday's
    volume, in Sunday's shape, and Tuesday is an ordinary Tuesday again. The neighbouring
    dairy and the look-alikes keep ~90 % on the holiday (people at home still talk about
    food). Expect no alert at all: a lull is not an event, and the return to normal is
    not a storm.
    """
    rng = random.Random(seed)
    start = datetime(2026, 5, 16, tzinfo=BERLIN)
    judged_from = datetime(2026, 5, 23, tzinfo=BERLIN)
    end = datetime(2026, 5, 30, tzinfo=BERLIN)
    log = RecordLog("lull", seed, rng)

    normal = expected_per_minute(CRAFT, 3.0, start, end, rng, holidays={HOLIDAY: HOLIDAY_SHARE})
    holiday = range(
        minute_of(start, datetime(2026, 5, 25, tzinfo=BERLIN)),
        minute_of(start, datetime(2026, 5, 26, tzinfo=BERLIN)),
    )

    def everyday(rng: random.Random, minute: int) -> Post:
        if minute in holiday and rng.random() < 0.3:
            return Post(rng.choice(_WHIT_MONDAY), BRAND)
        return HOFMANN.everyday(rng, minute)

    log.emit(start, normal, everyday)
    surroundings(log, rng, start, end, HOFMANN, SONNENHOF, GROCERY, 2.5, holidays={HOLIDAY: 0.9})
    return Scenario(
        name="holiday_lull",
        description="Hofmann Fenster: Whit Monday lull, two weeks, no event",
        brand="hofmann",
        start=start,
        end=end,
        onset=None,
        mentions=log.deliveries(duplicate_share=0.03),
        judged_from=judged_from,
        event_end=None,
        expect_alert=False,
        max_severity=None,
        brands=[brands.HOFMANN, brands.SONNENHOF],
        kinds=log.kinds,
    )
