"""A bot flood: a handful of fresh accounts post the same accusation, over and over.

On a Wednesday evening fifteen accounts with almost no followers start posting that
Kesselberg beer is "contaminated with glyphosate" — one template with small variations
(emoji, hashtags, handles, word order, a typo), several posts a minute for about forty
minutes, then they stop as one. A few real people notice and wonder. Worth an entry
(``info``, in the console and the digest), not a page: the volume is huge, the voices
are fifteen, and after their first posts no new ones join.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from warner.core import BERLIN
from warner.scenarios import brands
from warner.scenarios.background import surroundings
from warner.scenarios.records import Post, RecordLog
from warner.scenarios.rhythm import BREWERY, TRAVEL, expected_per_minute, minute_of
from warner.scenarios.scenario import BRAND, EVENT, Scenario
from warner.scenarios.texts import BERGBLICK, KESSELBERG

PER_HOUR = 2.5
FLOOD = timedelta(minutes=42)
FLOOD_PER_MINUTE = 4.5

BOTS = (
    "echte_wahrheit_24", "buerger_michel77", "freidenker_1984", "klartext_jetzt9", "deutschland_wach_",
    "wahrheit_info_", "mama_bio_klar", "bayern_patriot88", "infokrieger_de", "aufwachen2026",
    "heimatliebe_x", "gesund_leben_frei", "bierwahrheit", "sued_querdenker", "faktencheck_echt",
)  # fmt: skip
_CLAIMS = (
    "Kesselberg Bier ist mit Glyphosat belastet!",
    "Im Kesselberger Bier wurde Glyphosat gefunden!",
    "Kesselberg vergiftet uns mit Glyphosat im Bier!",
    "Kesselberg Bier ist mit Glyphsat belastet!",
    "KESSELBERG BIER IST MIT GLYPHOSAT BELASTET!",
)
_CALLS = (
    "Nicht kaufen, das Zeug ist Gift!", "Finger weg von dieser Giftbrühe!", "Boykott!", "Ekelhaft!",
    "Sofort teilen, das ist ein Skandal!", "Widerlich, sagt es allen!", "Die Medien schweigen, eine Schande!",
)  # fmt: skip
_TAGS = ("#kesselberg", "#boykott", "#glyphosat", "#wachtauf", "@kesselberg_bier", "#gift")
_EMOJI = ("⚠️", "☠️", "🤮", "‼️", "❗❗", "🚫")
_BYSTANDERS = (
    "Warum posten gerade lauter Accounts ohne Profilbild das Gleiche über Kesselberg? Sieht nach Bots aus",
    "Kesselberg und Glyphosat? Gibt es dafür irgendeine Quelle oder ist das wieder so eine Kampagne?",
    "Meine Timeline ist voll mit demselben Kesselberg Post, alle von Accounts mit 3 Followern",
    "Hat @kesselberg_bier dazu schon was gesagt? Klingt für mich nach Fake",
)


def bot_flood(seed: int = 13) -> Scenario:
    """Brauerei Kesselberg, Wed 4 Nov – Thu 12 Nov 2026 06:00: a week of history, then a bot flood.

    Judged from Wednesday 11 November 00:00 (Berlin). Onset 22:35: within three minutes
    ``FLOOD_PER_MINUTE`` near-duplicate accusations a minute from the fifteen ``BOTS``
    (0–40 followers each), for ``FLOOD`` (until ``event_end``), then silence. By
    construction all negative. Expect an alert, at most ``warning``.
    """
    rng = random.Random(seed)
    start = datetime(2026, 11, 4, tzinfo=BERLIN)
    judged_from = datetime(2026, 11, 11, tzinfo=BERLIN)
    onset = datetime(2026, 11, 11, 22, 35, tzinfo=BERLIN)
    end = datetime(2026, 11, 12, 6, 0, tzinfo=BERLIN)
    log = RecordLog("bots", seed, rng)

    normal = expected_per_minute(BREWERY, PER_HOUR, start, end, rng)
    log.emit(start, normal, KESSELBERG.everyday)
    surroundings(log, rng, start, end, KESSELBERG, BERGBLICK, TRAVEL, 2.0)

    followers = {bot: rng.randrange(0, 41) for bot in BOTS}
    first = minute_of(start, onset)
    last = first + int(FLOOD.total_seconds()) // 60
    flood = [0.0] * len(normal)
    bystanders = [0.0] * len(normal)
    for m in range(first, last):
        flood[m] = FLOOD_PER_MINUTE * min(1.0, (m - first + 1) / 3) * rng.uniform(0.7, 1.3)
    for m in range(first + 10, min(len(normal), last + 60)):
        bystanders[m] = 0.08

    def accusation(rng: random.Random, minute: int) -> Post:
        bot = rng.choice(BOTS)
        parts = [rng.choice(_CLAIMS), rng.choice(_CALLS)]
        if rng.random() < 0.4:
            parts.reverse()
        tags = rng.sample(_TAGS, rng.randrange(1, 4))
        if rng.random() < 0.25:
            tags.append(f"@{rng.choice(BOTS)}")
        text = " ".join([*parts, *tags]) + " " + rng.choice(_EMOJI) * rng.randrange(1, 4)
        return Post(text, EVENT, bot, followers[bot], "de")

    def bystander(rng: random.Random, minute: int) -> Post:
        return Post(rng.choice(_BYSTANDERS), BRAND)

    log.emit(start, flood, accusation)
    log.emit(start, bystanders, bystander)
    return Scenario(
        name="bot_flood",
        description="Brauerei Kesselberg: fifteen fresh accounts flood a glyphosate accusation",
        brand="kesselberg",
        start=start,
        end=end,
        onset=onset,
        mentions=log.deliveries(duplicate_share=0.03),
        judged_from=judged_from,
        event_end=onset + FLOOD,
        expect_alert=True,
        max_severity="info",
        brands=[brands.KESSELBERG, brands.BERGBLICK],
        kinds=log.kinds,
    )
