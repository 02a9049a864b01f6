"""The words of negative mentions, for the digest's "what were people angry about" list.

``terms(text)`` turns a post into the distinct words worth counting: lowercased, without
URLs, @handles, numbers, punctuation and emoji; hashtags keep their word (``#Rückruf`` ->
``rückruf``); German and English stopwords and very short words dropped; a brand's own
names dropped when given (everyone complaining about Kesselberg says "Kesselberg").
Umlauts stay as written because these words are shown to people.

The count stage calls it for every newly counted negative mention (``detect/counters.py``),
so it must be cheap: a few precompiled regexes and a set lookup per word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

MAX_TERMS = 40  # per mention: a 50 000-character post must not become 5 000 ZINCRBYs
MIN_LENGTH = 3

# A word: letters, optionally joined by hyphens or apostrophes ("e-mail", "don't"); digits and "_" are not letters.
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# One pass: URLs and @handles match the first branches (group 1 empty) and are skipped whole.
_TOKEN = re.compile(r"(?:https?://|www\.)\S+|@\w+|([^\W\d_]+(?:['’-][^\W\d_]+)*)")

STOPWORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderen anders auch auf aus bei beim bin bis bist
    erst wegen nobody
    bitte da dabei dadurch dafür dagegen daher damit dann dar daran darauf darum das dass daß dazu dein deine dem den
    denen denn der deren des deshalb dessen die dies diese dieser dieses doch dort du durch ein eine einem einen einer
    eines einfach einmal er es etwa etwas euch euer eure für gab gar gegen gehabt gewesen geht gibt gleich gut habe
    haben hab hat hatte hätte hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im immer in ins ist ja jede
    jedem jeden jeder jetzt kann kannst kein keine keinem keinen keiner können könnte mal man mehr mein meine meinem
    meinen meiner mich mir mit muss müssen nach nachdem nein nicht nichts noch nun nur ob oder ohne schon sehr sein
    seine seinem seinen seiner seit selbst sich sie sind so solche soll sollte sondern sowie über um und uns unser
    unsere unter viel vom von vor wann war waren warum was weil weiter welche wenn wer werde werden wie wieder will
    wir wird wirklich wo wurde wurden zu zum zur zwar zwischen echt halt eben ganz total mega voll gerade grad
    heute gestern morgen leider schon wohl naja okay ok
    a about above after again against all also am an and any are as at be because been before being below between
    both but by can could did do does doing don't down during each even ever every few for from further get got had
    has have having he her here hers him his how i i'm if in into is isn't it it's its just let me more most much my
    no nor not now of off on once only or other our ours out over own really same she should so some still such than
    that that's the their theirs them then there these they this those through to too under until up us very via
    was we were what when where which while who whom why will with would yet you your yours yes yeah lol omg
    amp rt http https www com de
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def brand_words(names: Iterable[str]) -> frozenset[str]:
    """The words of a brand's name and aliases ("Bergblick Reisen" -> bergblick, reisen; "#Kesselberg" ->
    kesselberg), to leave out of its terms. @handles are skipped: ``terms`` drops handles whole, and the
    words inside one ("@kesselberg_bier") may be exactly what people complain about (Bier)."""
    out: set[str] = set()
    for name in names:
        if not name.lstrip().startswith("@"):
            out.update(w.lower() for w in _WORD.findall(name.replace("_", " ")))
    return frozenset(out)


@lru_cache(maxsize=4096)  # a storm repeats itself: retweets and copy-pasted complaints cost one tokenization
def terms(text: str, exclude: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The distinct countable words of ``text``, in order of first appearance, at most ``MAX_TERMS``."""
    out: dict[str, None] = {}
    for word in _TOKEN.findall(text.lower()):
        if len(word) < MIN_LENGTH or word in STOPWORDS or word in exclude or word in out:
            continue
        out[word] = None
        if len(out) == MAX_TERMS:
            break
    return tuple(out)
