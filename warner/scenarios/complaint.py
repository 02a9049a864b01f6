"""A slow burn: a hidden price increase at a dairy grows into a storm over two days.

Sonnenhof Molkerei (~2.5 mentions an hour on average) has quietly cut its yoghurt from
500 g to 400 g at the same price. On Monday morning one customer notices; the thread
grows through Monday, the consumer advice centre and the local paper pick it up on
Tuesday, and by Tuesday evening the brand sees six to seven times its normal volume,
about 70 % of it negative. On Wednesday morning the dairy apologises; the thread cools.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from warner.core import BERLIN
from warner.scenarios import brands
from warner.scenarios.background import surroundings
from warner.scenarios.records import Post, RecordLog
from warner.scenarios.rhythm import BREWERY, GROCERY, expected_per_minute, minute_of
from warner.scenarios.scenario import EVENT, Scenario
from warner.scenarios.texts import KESSELBERG, SONNENHOF

PER_HOUR = 2.5
PEAK_GROWTH = 5.5  # complaint posts per normal post at the peak: volume ~6.5x normal
HALF_LIFE = timedelta(hours=10)  # of the complaint after the peak

_SPARK = (
    "Moment mal @sonnenhof_molkerei: Der Becher Naturjoghurt hat jetzt 400 g statt 500 g und kostet "
    "immer noch 1,49 €. Das ist eine versteckte Preiserhöhung von 25 %. Ich bin echt sauer 😠 #mogelpackung"
)
_STATEMENT = (
    "Liebe Kundinnen und Kunden, ihr habt recht: Die neue Füllmenge unseres Joghurts hätten wir "
    "deutlich kennzeichnen müssen. Das tut uns leid. Eure Sonnenhof Molkerei"
)
_OPENINGS = (
    "", "", "", "Unglaublich:", "Na toll.", "Leute, schaut mal auf die Becher:", "Ernsthaft?",
    "Achtung beim Einkauf:", "Hab gerade nachgewogen:", "Auch bei uns im Rewe:", "Das ist Betrug.",
)  # fmt: skip
_CLAIMS = (
    "Sonnenhof Joghurt hat jetzt 400 g statt 500 g, zum selben Preis. So eine miese Mogelpackung!",
    "Bei Sonnenhof ist der Becher gleich groß, aber nur noch 400 g drin.",
    "Die Sonnenhof Molkerei hat heimlich die Füllmenge reduziert und der Preis bleibt gleich.",
    "Versteckte Preiserhöhung bei Sonnenhof: 20 % weniger Joghurt zum selben Preis.",
    "Jetzt auch die Sonnenhof Sahne: 180 ml statt 200 ml, Preis unverändert.",
    "Sonnenhof Quark nur noch 400 g, also 25 % teurer pro Kilo. Dreist.",
    "@sonnenhof_molkerei warum steht nirgends auf der Packung, dass weniger drin ist?",
    "Mogelpackung bei #sonnenhof: weniger Inhalt, gleicher Preis, null Ehrlichkeit.",
    "Sonnenhof verkauft uns weniger Joghurt für das gleiche Geld und sagt kein Wort.",
    "Der Sonnenhof Becher hat jetzt einen dickeren Boden, damit keiner merkt, dass weniger drin ist.",
)
_ESCALATION = (
    "Die Verbraucherzentrale hat die Sonnenhof Mogelpackung gemeldet. Zu Recht, so eine Täuschung geht gar nicht!",
    "Jetzt berichtet sogar die Lokalzeitung über die Mogelpackung von Sonnenhof.",
    "@sonnenhof_molkerei seit gestern fragen Hunderte nach der Füllmenge und ihr schweigt.",
    "Boykott: Ich kaufe keine Sonnenhof Produkte mehr.",
    "Sonnenhof löscht kritische Kommentare auf Instagram, statt zu antworten.",
)
_FEELINGS = (
    "Ich bin echt enttäuscht.", "Das ist Kundenverarsche, echt ärgerlich.", "Nie wieder kaufe ich das.",
    "Was für eine Frechheit!", "Schämt euch, das ist einfach nur mies.",
    "So verliert man treue Kunden. Sehr enttäuschend.",
    "Ganz schlechter Stil.", "Reine Abzocke!", "Ärgerlich.", "Unverschämt.", "Einfach nur dreist.",
    "Ich fühle mich verarscht und bin wütend.", "Ich bin stinksauer.", "Schlimm, wie hier mit Kunden umgegangen wird.",
)  # fmt: skip
_ENDINGS = ("", "", "", " #mogelpackung", " #shrinkflation", " 😠", " 😡", " 🤬", " 👎")
_QUESTIONS = (
    "Stimmt das mit der kleineren Packung bei Sonnenhof? Ich habe noch einen alten Becher im Kühlschrank",
    "Hat jemand die alten Sonnenhof Becher zum Vergleich fotografiert?",
    "Was sagt die Sonnenhof Molkerei eigentlich dazu?",
    "Gilt das auch für den Sonnenhof Joghurt im Glas?",
    "Seit wann ist das bei Sonnenhof so? Ist mir gar nicht aufgefallen",
)
_DEFENDERS = (
    "Die Milchpreise sind gestiegen, ich verstehe Sonnenhof schon. Man hätte es nur offen sagen müssen",
    "Lieber 400 g von Sonnenhof als 500 g Industriejoghurt, ehrlich gesagt",
)
_ENGLISH = (
    "Sonnenhof yoghurt shrank from 500 g to 400 g at the same price. Classic shrinkflation, shame on them",
    "German dairy Sonnenhof caught hiding a price increase. Disappointing",
)
_AFTER_STATEMENT = (
    "Sonnenhof entschuldigt sich, aber der Preis bleibt. Reicht mir nicht, schwach",
    "Die Stellungnahme der Sonnenhof Molkerei ist ein Witz. Enttäuschend",
    "Immerhin hat Sonnenhof jetzt reagiert. Zu spät, aber immerhin",
    "Sorry sagen und weiter abkassieren, danke für nichts @sonnenhof_molkerei",
)


def slow_burn(seed: int = 3) -> Scenario:
    """Sonnenhof Molkerei, Mon 2 Nov – Wed 11 Nov 2026: a week of history, then a slow burn.

    Judged from Monday 9 November 00:00 (Berlin); onset 10:14, when the first complaint is
    posted. The complaint adds ``PEAK_GROWTH × normal`` at its peak on Tuesday 21:00, growing
    as the 1.7th power of the time since onset and following the daily rhythm (the thread
    sleeps at night), then halves every ten hours. Share of the brand's posts meant as
    negative: ~15 % before, ~75 % on Tuesday evening (a weak sentiment model sees less:
    complaints stated as plain facts read as neutral). Expect an alert; a storm may be
    critical.
    """
    rng = random.Random(seed)
    start = datetime(2026, 11, 2, tzinfo=BERLIN)
    judged_from = datetime(2026, 11, 9, tzinfo=BERLIN)
    onset = datetime(2026, 11, 9, 10, 14, tzinfo=BERLIN)
    peak = datetime(2026, 11, 10, 21, 0, tzinfo=BERLIN)
    statement = datetime(2026, 11, 11, 9, 30, tzinfo=BERLIN)
    end = datetime(2026, 11, 11, 14, 0, tzinfo=BERLIN)
    log = RecordLog("slow", seed, rng)

    normal = expected_per_minute(GROCERY, PER_HOUR, start, end, rng)
    log.emit(start, normal, SONNENHOF.everyday)
    surroundings(log, rng, start, end, SONNENHOF, KESSELBERG, BREWERY, 2.5)

    spark = log.add(int(onset.timestamp()), Post(_SPARK, EVENT, "frau_krueger_kocht", 1_240, "de"))
    log.add(int(statement.timestamp()), Post(_STATEMENT, EVENT, "sonnenhof_molkerei", 8_900, "de"))
    first = minute_of(start, onset)
    rise = minute_of(onset, peak)
    growth = [0.0] * len(normal)
    for m in range(first + 1, len(normal)):
        if m - first <= rise:
            growth[m] = PEAK_GROWTH * ((m - first) / rise) ** 1.7
        else:
            growth[m] = PEAK_GROWTH * 0.5 ** ((m - first - rise) / (HALF_LIFE.total_seconds() / 60))
    complaint = [n * g for n, g in zip(normal, growth, strict=True)]
    day_two = minute_of(start, datetime(2026, 11, 10, 8, 0, tzinfo=BERLIN))
    after = minute_of(start, statement)

    def post(rng: random.Random, minute: int) -> Post:
        reply_to = spark if minute < day_two and rng.random() < 0.3 else None
        roll = rng.random()
        if minute >= after and roll < 0.3:
            return Post(rng.choice(_AFTER_STATEMENT), EVENT, reply_to=reply_to)
        if roll < 0.10:
            return Post(rng.choice(_QUESTIONS), EVENT, reply_to=reply_to)
        if roll < 0.14:
            return Post(rng.choice(_DEFENDERS), EVENT, reply_to=reply_to)
        if roll < 0.18:
            return Post(rng.choice(_ENGLISH), EVENT, lang="en")
        claims = _ESCALATION if minute >= day_two and rng.random() < 0.35 else _CLAIMS
        text = " ".join(p for p in (rng.choice(_OPENINGS), rng.choice(claims), rng.choice(_FEELINGS)) if p)
        return Post(text + rng.choice(_ENDINGS), EVENT, reply_to=reply_to)

    log.emit(start, complaint, post)
    return Scenario(
        name="slow_burn",
        description="Sonnenhof Molkerei: hidden price increase, a complaint that grows over two days",
        brand="sonnenhof",
        start=start,
        end=end,
        onset=onset,
        mentions=log.deliveries(duplicate_share=0.03),
        judged_from=judged_from,
        event_end=end,
        expect_alert=True,
        max_severity="critical",
        brands=[brands.SONNENHOF, brands.KESSELBERG],
        kinds=log.kinds,
    )
