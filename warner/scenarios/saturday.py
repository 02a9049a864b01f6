"""The Saturday-evening storm: the scenario warner exists for (``warner demo`` replays it).

A small German brewery with a handful of mentions an hour, and on a Saturday evening an
influencer finds glass splinters in a bottle — within an hour, dozens of angry posts a
minute. Six hours, no history: the stream tests and the demo have always used, kept
byte-for-byte identical for a given seed.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone
from typing import Any

from warner.scenarios import brands
from warner.scenarios.rhythm import followers as _followers
from warner.scenarios.rhythm import poisson as _poisson
from warner.scenarios.scenario import BRAND, EVENT, LOOKALIKE, NEIGHBOUR, Scenario
from warner.scenarios.texts import BERGBLICK, KESSELBERG

BERLIN_WINTER = timezone(timedelta(hours=1), "CET")

# The first ten of each brand's everyday chatter: the scenario's output is pinned by a test.
_CALM_KESSELBERG = list(KESSELBERG.calm[:10])
_CALM_BERGBLICK = list(BERGBLICK.calm[:4])
_UNRELATED = [
    "Kesselberg-Tunnel wegen Bauarbeiten am Wochenende gesperrt",
    "Samstagabend, Pizza und Krimi, was will man mehr",
    "Stau auf der A8 Richtung Salzburg, mal wieder",
]
_SPARK = (
    "Glassplitter in meinem Kesselberger Hellen!!! Mein Sohn hätte sich fast verletzt. "
    "Wie kann sowas passieren @kesselberg_bier? Ich bin fassungslos 😡 #kesselberg"
)
_STORM_OPENINGS = [
    "Unfassbar",
    "Das ist gefährlich",
    "Ekelhaft",
    "Skandal",
    "Wie bitte?!",
    "Krass",
    "Sofort Rückruf",
    "Nie wieder",
    "Frechheit",
    "Hab gerade meine Kiste kontrolliert",
]
_STORM_BODIES = [
    "Glassplitter im Kesselberger Bier, und die Brauerei schweigt",
    "@kesselberg_bier warum gibt es keinen Rückruf? Da sind Kinder in Gefahr",
    "Kesselberg verkauft Bier mit Glasscherben, das ist lebensgefährlich",
    "ich kaufe nie wieder Kesselberg, nach dem Video mit den Splittern",
    "#kesselberg wo bleibt die Stellungnahme? Samstagabend und keiner reagiert",
    "Kesselberger Helles zurück in den Markt gebracht, Splitter am Flaschenboden",
    "die Brauerei Kesselberg muss sofort alle Flaschen zurückrufen",
    "@kesselberg_bier schämt euch, erst Glas im Bier und dann Funkstille",
    "Kesselberg: Glasscherben im Bier ist kein Kavaliersdelikt, Anzeige ist raus",
    "habe das Lebensmittelamt informiert wegen Kesselberg, das ist ein Skandal",
]
_STORM_TOXIC = [
    "Kesselberg ist ein Drecksladen, ihr Idioten vergiftet Kinder",
    "@kesselberg_bier ihr Vollidioten, Glas im Bier, geht's noch?!",
    "Diese Kesselberg Arschlöcher sollten dichtmachen",
]
_STORM_ENGLISH = [
    "Glass shards in Kesselberg beer? That is dangerous, recall it now",
    "Kesselberg brewery silent after glass found in bottles, disgraceful",
]
_STORM_DEFENDERS = [
    "Abwarten, vielleicht ist das Kesselberg Video gar nicht echt",
    "Ich trinke seit 20 Jahren Kesselberg, nie Probleme gehabt. Erst mal Fakten",
]


def saturday_storm(seed: int = 7, day: datetime | None = None, duplicate_share: float = 0.03) -> Scenario:
    """Saturday 16:00–22:00 Berlin time: calm, then a glass-splinter storm from 19:42.

    Background: ~4 mentions/hour for the brewery, ~2/hour for a travel brand, a few posts
    that only look like the brand (excluded terms, no alias). Storm: volume grows to about
    45 mentions a minute by 20:20 and decays with a 25-minute half-life; mostly negative,
    some toxic, a few in English, a few defenders. ``duplicate_share`` of records are
    delivered twice (same source and id), as webhooks do.
    """
    rng = random.Random(seed)
    base = day or datetime(2026, 11, 21, tzinfo=BERLIN_WINTER)
    start = base.replace(hour=16, minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=6)
    spark = start + timedelta(hours=3, minutes=42)
    peak = spark + timedelta(minutes=38)
    records: list[dict[str, Any]] = []

    def add(at: datetime, text: str, followers: int, brand: str | None = None, lang: str | None = None) -> None:
        n = len(records)
        record: dict[str, Any] = {
            "id": f"sat-{seed}-{n:05d}",
            "source": "webhook",
            "text": text,
            "created_at": at.isoformat(timespec="seconds"),
            "author": f"user{rng.randrange(1, 60_000)}",
            "author_followers": followers,
            "url": f"https://social.example/p/{seed}-{n}",
        }
        if brand:
            record["brand"] = brand
        if lang:
            record["lang"] = lang
        records.append(record)

    minute = start
    while minute < end:
        for _ in range(_poisson(rng, 4 / 60)):
            add(minute + timedelta(seconds=rng.randrange(60)), rng.choice(_CALM_KESSELBERG), _followers(rng))
        for _ in range(_poisson(rng, 2 / 60)):
            add(minute + timedelta(seconds=rng.randrange(60)), rng.choice(_CALM_BERGBLICK), _followers(rng))
        for _ in range(_poisson(rng, 1.5 / 60)):
            add(minute + timedelta(seconds=rng.randrange(60)), rng.choice(_UNRELATED), _followers(rng))
        if minute >= spark:
            for _ in range(_poisson(rng, _storm_rate(minute, spark, peak))):
                add(minute + timedelta(seconds=rng.randrange(60)), *_storm_post(rng))
        minute += timedelta(minutes=1)
    add(spark, _SPARK, 84_300, brand="kesselberg", lang="de")

    records.sort(key=lambda r: r["created_at"])
    for record in list(records):
        if rng.random() < duplicate_share:
            records.insert(records.index(record) + 1, dict(record))
    return Scenario(
        name="saturday_storm",
        description="Brauerei Kesselberg: glass splinters, Saturday evening",
        brand="kesselberg",
        start=start,
        end=end,
        onset=spark,
        mentions=records,
        judged_from=start,
        event_end=end,
        expect_alert=True,
        max_severity="critical",
        brands=[brands.KESSELBERG, brands.BERGBLICK],
        kinds={r["id"]: _kind(r["text"]) for r in records},
    )


def _storm_rate(minute: datetime, spark: datetime, peak: datetime) -> float:
    """Mentions per minute: exponential growth to ~45 at the peak, then decay."""
    if minute <= peak:
        elapsed = (minute - spark).total_seconds() / 60
        total = (peak - spark).total_seconds() / 60
        return 45 * math.exp(4.2 * (elapsed / total - 1))
    return 45 * math.pow(0.5, (minute - peak).total_seconds() / 60 / 25)


def _storm_post(rng: random.Random) -> tuple[str, int]:
    roll = rng.random()
    if roll < 0.07:
        return rng.choice(_STORM_TOXIC), _followers(rng)
    if roll < 0.12:
        return rng.choice(_STORM_ENGLISH), _followers(rng)
    if roll < 0.17:
        return rng.choice(_STORM_DEFENDERS), _followers(rng)
    text = f"{rng.choice(_STORM_OPENINGS)}! {rng.choice(_STORM_BODIES)}"
    if rng.random() < 0.3:
        text = f"RT {text}"
    return text, _followers(rng)


def _kind(text: str) -> str:
    """What a saturday_storm record is, recovered from its text (the stream predates ``kinds``)."""
    if text in _CALM_KESSELBERG:
        return BRAND
    if text in _CALM_BERGBLICK:
        return NEIGHBOUR
    if text in _UNRELATED:
        return LOOKALIKE
    return EVENT
