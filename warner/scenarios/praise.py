"""A benign viral wave: a TV report about a travel company's gift to nurses.

Bergblick Reisen (~2 mentions an hour on average) gives 200 holiday weeks to care
workers; an evening TV magazine reports it on Thursday at 19:22. Within a quarter of an
hour the brand has more than twenty times its normal volume, nearly all of it warm
praise from many different people, some with a large audience. The next morning people
share the clip again. Loud, but nothing anybody needs to be woken up for.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from warner.core import BERLIN
from warner.scenarios import brands
from warner.scenarios.background import surroundings
from warner.scenarios.records import Post, RecordLog
from warner.scenarios.rhythm import BREWERY, TRAVEL, expected_per_minute, minute_of
from warner.scenarios.scenario import EVENT, Scenario
from warner.scenarios.texts import BERGBLICK, KESSELBERG

PER_HOUR = 2.0
PEAK_GROWTH = 30.0  # praise posts per normal post while the wave is at its height
WAVE = timedelta(hours=3, minutes=30)  # the judged window from the broadcast

_ANNOUNCEMENT = (
    "Heute um 19:20 Uhr bei uns: Bergblick Reisen schenkt 200 Pflegekräften eine Urlaubswoche. "
    "Wie es dazu kam, seht ihr im Abendmagazin."
)
_OPENINGS = (
    "", "", "", "Wow!", "Gänsehaut.", "Wie schön!", "Einfach toll!", "Hut ab!", "Großartig!", "Danke!",
    "Was für eine schöne Nachricht!", "Wunderbar!",
)  # fmt: skip
_PRAISE = (
    "Bergblick Reisen schenkt 200 Pflegekräften eine Urlaubswoche. Tolle Aktion, ich finde das wunderbar!",
    ("Gerade im Fernsehen gesehen: @bergblickreisen schickt Pflegekräfte kostenlos in den Urlaub. "
     "Einfach großartig und so schön!"),
    ("Meine Schwester ist Krankenschwester und hat über Bergblick Reisen einen Platz bekommen. "
     "Sie hat vor Freude geweint."),
    "Endlich mal eine Firma mit Herz. Bergblick Reisen, ihr seid klasse!",
    "Ab jetzt buche ich nur noch bei Bergblick Reisen, so eine tolle und sympathische Firma.",
    "Wunderschöne Geste von #bergblickreisen für alle, die in der Pflege arbeiten.",
    "Respekt an Bergblick Reisen, so geht Verantwortung!",
    "Hat mich sehr berührt, vielen Dank @bergblickreisen.",
    "Bergblick Reisen sagt Danke an die Pflege, und zwar richtig. Super!",
    "Die Aktion von Bergblick Reisen ist einfach wunderbar.",
    "Von Bergblick Reisen hatte ich noch nie gehört, aber jetzt bin ich großer Fan. Super!",
    "So eine schöne Idee von Bergblick Reisen, die Pflegekräfte haben es so verdient.",
    "Mein Mann arbeitet auf der Intensivstation. Danke Bergblick Reisen, das ist so schön und bedeutet uns viel!",
    "Schönste Nachricht des Tages: Bergblick Reisen verschenkt Urlaub an Pflegekräfte. Wunderbar!",
    "Liebe Grüße an das Team von Bergblick Reisen, ihr macht die Welt ein bisschen besser.",
)
_EMOJI = ("", "", " ❤️", " 👏", " 🙏", " 😍", " 🥰", " 💙", " 👏👏", " ❤️❤️")
_QUESTIONS = (
    "Wo kann man Pflegekräfte für die Aktion von Bergblick Reisen vorschlagen?",
    "Gilt die Aktion von Bergblick Reisen auch für die Altenpflege?",
    "Hat jemand den Link zum Beitrag über Bergblick Reisen?",
    "Bis wann kann man sich bei Bergblick Reisen dafür bewerben?",
)
_SCEPTICS = (
    "Nette PR von Bergblick Reisen. Besser wären ordentliche Löhne für die Pflege, das ist das eigentliche Problem",
    "Bergblick Reisen macht Werbung auf dem Rücken der Pflege, finde ich ehrlich gesagt daneben",
)
_ENGLISH = (
    "Such a lovely idea by Bergblick Reisen: free holidays for nurses ❤️",
    "Bergblick Reisen gifting holiday weeks to care workers. Wonderful!",
)
# A few accounts with a large audience join in (name, followers).
_VOICES = (
    ("pflege_mit_herz", 86_000), ("kathi_on_tour", 241_000), ("mdl_wagner", 12_400), ("dr_leon_notaufnahme", 133_000),
    ("reiselust_magazin", 58_000), ("oma_gerda_bloggt", 31_000),
)  # fmt: skip


def praise_wave(seed: int = 5) -> Scenario:
    """Bergblick Reisen, Thu 5 Nov – Fri 13 Nov 2026 14:00: a week of history, then a wave of praise.

    Judged from Thursday 12 November 00:00 (Berlin). Onset 19:22, the broadcast: praise
    rises to ``PEAK_GROWTH × normal`` in 15 minutes, holds until 21:30, then halves every
    45 minutes; Friday morning brings a second, smaller round. ``event_end`` closes the
    judged window ``WAVE`` after onset; over it the brand has more than 15× the volume of
    the same hours a week earlier. About nine posts in ten praise, a few ask, very few
    sneer; six accounts with 12k–312k followers join in, and the magazine's own teaser
    goes out 50 minutes before onset. An episode may open, but at most ``info``.
    """
    rng = random.Random(seed)
    start = datetime(2026, 11, 5, tzinfo=BERLIN)
    judged_from = datetime(2026, 11, 12, tzinfo=BERLIN)
    onset = datetime(2026, 11, 12, 19, 22, tzinfo=BERLIN)
    end = datetime(2026, 11, 13, 14, 0, tzinfo=BERLIN)
    log = RecordLog("praise", seed, rng)

    normal = expected_per_minute(TRAVEL, PER_HOUR, start, end, rng)
    log.emit(start, normal, BERGBLICK.everyday)
    surroundings(log, rng, start, end, BERGBLICK, KESSELBERG, BREWERY, 2.5)

    log.add(int((onset - timedelta(minutes=50)).timestamp()), Post(_ANNOUNCEMENT, EVENT, "abendmagazin_tv", 312_000))
    first = minute_of(start, onset)
    growth = [0.0] * len(normal)
    for m in range(first, len(normal)):
        since = m - first
        if since < 15:
            growth[m] = PEAK_GROWTH * since / 15
        elif since < 128:
            growth[m] = PEAK_GROWTH
        else:
            growth[m] = PEAK_GROWTH * 0.5 ** ((since - 128) / 45)
    wave = [n * g for n, g in zip(normal, growth, strict=True)]
    morning = minute_of(start, datetime(2026, 11, 13, 7, 0, tzinfo=BERLIN))
    for m in range(morning, len(wave)):  # the clip is shared again over breakfast
        wave[m] += normal[m] * 3.0 * 0.5 ** ((m - morning) / 150)

    def post(rng: random.Random, minute: int) -> Post:
        roll = rng.random()
        if roll < 0.06:
            return Post(rng.choice(_QUESTIONS), EVENT)
        if roll < 0.08:
            return Post(rng.choice(_SCEPTICS), EVENT)
        if roll < 0.11:
            return Post(rng.choice(_ENGLISH), EVENT, lang="en")
        return Post(" ".join(p for p in (rng.choice(_OPENINGS), rng.choice(_PRAISE)) if p) + rng.choice(_EMOJI), EVENT)

    log.emit(start, wave, post)
    for author, reach in _VOICES:  # they join early, while the wave is rising
        at = onset + timedelta(minutes=rng.randrange(5, 120), seconds=rng.randrange(60))
        log.add(int(at.timestamp()), Post(rng.choice(_PRAISE) + rng.choice(_EMOJI), EVENT, author, reach))
    return Scenario(
        name="praise_wave",
        description="Bergblick Reisen: TV report on holiday weeks for nurses, a wave of praise",
        brand="bergblick",
        start=start,
        end=end,
        onset=onset,
        mentions=log.deliveries(duplicate_share=0.03),
        judged_from=judged_from,
        event_end=onset + WAVE,
        expect_alert=False,
        max_severity="info",
        brands=[brands.BERGBLICK, brands.KESSELBERG],
        kinds=log.kinds,
    )
