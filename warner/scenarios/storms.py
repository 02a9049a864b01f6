"""Three storms the detector used to page too late or never, with text of their own.

Each has a week of ordinary history and a ``deadline``: by then someone must have been
paged (``warning`` or ``critical``), counted from the onset.

- ``slow_saturday``: a 20-a-day brewery on a Saturday evening; a sour batch, complaints
  growing from 0.05 to 1.2 a minute over two hours, 85 % angry — paged within 30 minutes;
- ``pile_on``: an influencer with 250,000 followers posts about a cancelled trip; angry
  replies on a 40-a-day travel brand within twenty minutes — paged within 15 minutes;
- ``mood_shift``: a busy dairy (2,600 a day); a recall notice turns its usual talk from
  15 % to 55 % negative for six hours while the volume rises only by a third — paged
  within 45 minutes, as a ``warning`` at least.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from warner.core import BERLIN
from warner.scenarios import brands
from warner.scenarios.background import surroundings
from warner.scenarios.records import Post, RecordLog
from warner.scenarios.rhythm import BREWERY, GROCERY, TRAVEL, expected_per_minute, minute_of
from warner.scenarios.scenario import EVENT, Scenario
from warner.scenarios.texts import BERGBLICK, KESSELBERG, SONNENHOF

_FEELINGS = (
    "Echt enttäuschend.", "Was für eine Frechheit!", "Nie wieder.", "Ich bin stinksauer.", "Unverschämt.",
    "So geht man nicht mit Kunden um.", "Schämt euch.", "Einfach nur ärgerlich.", "Reine Abzocke!", "",
)  # fmt: skip
_ENDINGS = ("", "", " 😡", " 🤬", " 👎", " #kundenservice")

_SOUR = (
    "Das neue Kesselberger Helles schmeckt sauer, die ganze Kiste ist hinüber.",
    "Kesselberg Helles aus dem Getränkemarkt: sauer und trüb. Was ist da los?",
    "@kesselberg_bier eure neue Charge ist verdorben, das kann man nicht trinken.",
    "Drei Flaschen Kesselberger aufgemacht, alle sauer. Geld zurück!",
    "Wer hat auch sauer gewordenes Kesselberg Bier gekauft? Bei uns die ganze Kiste.",
    "#kesselberg Bier schmeckt heute wie Essig, Party ruiniert.",
    "Kesselberg verkauft verdorbenes Bier und keiner sagt was.",
)
_SOUR_OTHER = (
    "Ist das mit dem sauren Kesselberger Bier wirklich wahr?",
    "Mein Kesselberger von letzter Woche war noch gut, welche Charge ist betroffen?",
    "Kesselberg sour beer this weekend? Mine tastes like vinegar, disgusting",
)

_SPARK_TRIP = (
    "Bergblick Reisen hat unsere Familienreise nach Südtirol zwei Tage vorher abgesagt und verweigert "
    "die Erstattung von 3.400 €. Seit Wochen keine Antwort. Das ist Betrug @bergblickreisen 😡"
)
_TRIP = (
    "@bergblickreisen zahlt das Geld zurück, sofort!",
    "Bei Bergblick Reisen haben wir auch nie unser Geld gesehen. Finger weg!",
    "Bergblick Reisen sagt Reisen ab und behält das Geld. Skandal.",
    "Unfassbar, wie Bergblick Reisen mit Familien umgeht.",
    "Ich storniere meine Buchung bei Bergblick Reisen, so ein Laden bekommt kein Geld mehr.",
    "#bergblickreisen Verbraucherzentrale einschalten, das ist illegal!",
    "Bergblick Reisen: erst kassieren, dann absagen, dann schweigen. Widerlich.",
)
_TRIP_OTHER = (
    "Stimmt das mit Bergblick Reisen? Wir haben für Juli gebucht",
    "Bergblick Reisen war bei uns immer zuverlässig, vielleicht gibt es eine Erklärung",
    "Bergblick Reisen cancelled a family trip and kept the money? Terrible",
)

_RECALL = (
    "Sonnenhof ruft Joghurt zurück wegen Plastikteilen. Wie kann sowas passieren?",
    "Rückruf bei Sonnenhof Molkerei, und ich habe den Joghurt gestern meinen Kindern gegeben. Unfassbar.",
    "@sonnenhof_molkerei Plastik im Joghurt? Das ist ekelhaft.",
    "Sonnenhof Rückruf: warum erfährt man das erst aus der Zeitung?",
    "Nie wieder Sonnenhof, erst Mogelpackung, jetzt Plastik im Joghurt.",
    "#sonnenhof Plastikteile im Naturjoghurt, da vergeht einem alles.",
    "Sonnenhof Molkerei hat die Qualitätskontrolle offenbar abgeschafft.",
)


def _scenario(
    *,
    name: str,
    description: str,
    brand: str,
    window: tuple[datetime, datetime, datetime, datetime],
    log: RecordLog,
    deadline: timedelta,
    brands: list[dict[str, Any]],
) -> Scenario:
    """A storm judged from ``window[1]``, with its onset and deadline; the event lasts to the end."""
    start, judged_from, onset, end = window
    return Scenario(
        name=name,
        description=description,
        brand=brand,
        start=start,
        end=end,
        onset=onset,
        mentions=log.deliveries(duplicate_share=0.03),
        judged_from=judged_from,
        event_end=end,
        deadline=deadline,
        brands=brands,
        kinds=log.kinds,
    )


def _angry(rng: random.Random, claims: tuple[str, ...]) -> str:
    return f"{rng.choice(claims)} {rng.choice(_FEELINGS)}".strip() + rng.choice(_ENDINGS)


def slow_saturday(seed: int = 21) -> Scenario:
    """Brauerei Kesselberg, Sat 14 – Sat 21 Nov 2026; onset Saturday 19:10, a sour batch.

    ~0.85 mentions an hour (20 a day) of everyday talk. From the onset, complaints grow
    linearly from 0.05 to 1.2 a minute over two hours, hold for an hour and halve every 40
    minutes; 85 % of them angry. Judged from Saturday 21 Nov 00:00; paged within 30 minutes.
    """
    rng = random.Random(seed)
    start = datetime(2026, 11, 14, tzinfo=BERLIN)
    judged_from = datetime(2026, 11, 21, tzinfo=BERLIN)
    onset = datetime(2026, 11, 21, 19, 10, tzinfo=BERLIN)
    end = datetime(2026, 11, 22, 3, 0, tzinfo=BERLIN)
    log = RecordLog("sour", seed, rng)
    log.emit(start, expected_per_minute(BREWERY, 0.85, start, end, rng), KESSELBERG.everyday)
    surroundings(log, rng, start, end, KESSELBERG, BERGBLICK, TRAVEL, 1.5)
    first = minute_of(start, onset)
    curve = [0.0] * minute_of(start, end)
    for m in range(first, len(curve)):
        t = m - first
        curve[m] = 0.05 + 1.15 * t / 120 if t < 120 else 1.2 if t < 180 else 1.2 * 0.5 ** ((t - 180) / 40)

    def post(rng: random.Random, minute: int) -> Post:
        if rng.random() < 0.85:
            return Post(_angry(rng, _SOUR), EVENT)
        text = rng.choice(_SOUR_OTHER)
        return Post(text, EVENT, lang="en" if text.startswith("Kesselberg sour") else None)

    log.emit(start, curve, post)
    window = (start, judged_from, onset, end)
    return _scenario(name="slow_saturday",
                     description=("Brauerei Kesselberg: a sour batch on a Saturday evening, "
                                  "complaints growing over two hours"),
                     brand="kesselberg", window=window, log=log,
                     deadline=timedelta(minutes=30), brands=[brands.KESSELBERG, brands.BERGBLICK])  # fmt: skip


def pile_on(seed: int = 22) -> Scenario:
    """Bergblick Reisen, Sun 15 – Sun 22 Nov 2026; Sunday 11:05 an influencer's post, then a pile-on.

    ~1.7 mentions an hour (40 a day). The spark has 250,000 followers; replies and quotes
    rise to 1.5 a minute within twenty minutes, hold for an hour, halve every 30 minutes;
    75 % angry. Paged within 15 minutes.
    """
    rng = random.Random(seed)
    start = datetime(2026, 11, 15, tzinfo=BERLIN)
    judged_from = datetime(2026, 11, 22, tzinfo=BERLIN)
    onset = datetime(2026, 11, 22, 11, 5, tzinfo=BERLIN)
    end = datetime(2026, 11, 22, 18, 0, tzinfo=BERLIN)
    log = RecordLog("pile", seed, rng)
    log.emit(start, expected_per_minute(TRAVEL, 1.7, start, end, rng), BERGBLICK.everyday)
    surroundings(log, rng, start, end, BERGBLICK, KESSELBERG, BREWERY, 0.85)
    spark = log.add(int(onset.timestamp()), Post(_SPARK_TRIP, EVENT, "familie_unterwegs", 250_000, "de"))
    first = minute_of(start, onset) + 1
    curve = [0.0] * minute_of(start, end)
    for m in range(first, len(curve)):
        t = m - first
        curve[m] = 1.5 * t / 20 if t < 20 else 1.5 if t < 80 else 1.5 * 0.5 ** ((t - 80) / 30)

    def post(rng: random.Random, minute: int) -> Post:
        if rng.random() < 0.75:
            return Post(_angry(rng, _TRIP), EVENT, reply_to=spark if rng.random() < 0.6 else None)
        text = rng.choice(_TRIP_OTHER)
        return Post(text, EVENT, lang="en" if "cancelled" in text else None, reply_to=spark)

    log.emit(start, curve, post)
    window = (start, judged_from, onset, end)
    return _scenario(name="pile_on",
                     description="Bergblick Reisen: an influencer's post about a cancelled trip, then a pile-on",
                     brand="bergblick", window=window, log=log,
                     deadline=timedelta(minutes=15), brands=[brands.BERGBLICK, brands.KESSELBERG])  # fmt: skip


def mood_shift(seed: int = 23, to_share: float = 0.55) -> Scenario:
    """Sonnenhof Molkerei as a busy brand, Tue 10 – Tue 17 Nov 2026; 09:30 a recall notice.

    ~110 mentions an hour (2,600 a day). From the onset the share of complaints among the
    brand's talk rises from its usual ~15 % to ``to_share`` within 30 minutes and stays for six
    hours; the volume rises by a third. Paged (``warning`` at least) within 45 minutes.
    """
    rng = random.Random(seed)
    start = datetime(2026, 11, 10, tzinfo=BERLIN)
    judged_from = datetime(2026, 11, 17, tzinfo=BERLIN)
    onset = datetime(2026, 11, 17, 9, 30, tzinfo=BERLIN)
    end = datetime(2026, 11, 17, 18, 0, tzinfo=BERLIN)
    log = RecordLog("mood", seed, rng)
    normal = expected_per_minute(GROCERY, 110, start, end, rng)
    first = minute_of(start, onset)
    last = first + 6 * 60

    def share(minute: int) -> float:
        return 0.0 if not first <= minute < last else to_share * min(1.0, (minute - first) / 30)

    def everyday(rng: random.Random, minute: int) -> Post:
        if rng.random() < share(minute):
            return Post(_angry(rng, _RECALL), EVENT)
        return SONNENHOF.everyday(rng, minute)

    log.emit(start, normal, everyday)
    extra = [n / 3 if first <= m < last else 0.0 for m, n in enumerate(normal)]
    log.emit(start, extra, everyday)
    surroundings(log, rng, start, end, SONNENHOF, KESSELBERG, BREWERY, 2.0)
    window = (start, judged_from, onset, end)
    return _scenario(name="mood_shift",
                     description="Sonnenhof Molkerei (busy): a recall turns the mood, volume hardly moves",
                     brand="sonnenhof", window=window, log=log,
                     deadline=timedelta(minutes=45), brands=[brands.SONNENHOF, brands.KESSELBERG])  # fmt: skip


LATE_STORMS = {"slow_saturday": slow_saturday, "pile_on": pile_on, "mood_shift": mood_shift}
