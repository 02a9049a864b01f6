"""Polarity-lexicon tokens for the word features: a prior for words the corpora rarely show.

The training corpora are political tweets and rail feedback; complaints about food,
drink or shops ("ungenießbar", "verdorben", "ekelhaft") are rare there, so n-grams alone
give such words little weight. ``lexicon_tokens`` turns every lexicon hit into a shared
token (``xlexneg``, ``xlexpos``; ``xlexnotneg``/``xlexnotpos`` inside a negation scope;
``xemoneg``/``xemopos`` for emoji), whose weight the models learn from every hit in the
data: a word seen once or never still counts through its class.

The lists are the project's own (German and English, a few hundred words, written for
customer feedback), spelt as ``normalise`` spells them (casefolded, ``ä`` -> ``ae``,
``ß`` -> ``ss``). Inflected forms are matched by stripping a German ending
(``ekelhafte`` -> ``ekelhaft``). No third-party lexicon is used.

Why ~400 lines: the word lists, one word a line so that a diff shows each word added; the code is
under 60 lines.
"""

from __future__ import annotations

from functools import lru_cache

_NEGATIVE = [
    "schlecht",
    "schlechter",
    "schlechteste",
    "schlechtesten",
    "mies",
    "miserabel",
    "furchtbar",
    "schrecklich",
    "katastrophe",
    "katastrophal",
    "enttaeuscht",
    "enttaeuschend",
    "enttaeuschung",
    "aergerlich",
    "aerger",
    "aergern",
    "wuetend",
    "wut",
    "sauer",
    "skandal",
    "skandaloes",
    "frechheit",
    "unverschaemt",
    "unverschaemtheit",
    "betrug",
    "betrueger",
    "abzocke",
    "abgezockt",
    "abzocker",
    "defekt",
    "kaputt",
    "mangelhaft",
    "gefaehrlich",
    "lebensgefaehrlich",
    "gesundheitsgefaehrdend",
    "giftig",
    "eklig",
    "ekelig",
    "ekelhaft",
    "ekel",
    "widerlich",
    "abartig",
    "ungeniessbar",
    "verdorben",
    "vergammelt",
    "schimmel",
    "schimmelig",
    "verschimmelt",
    "abgelaufen",
    "ranzig",
    "uebel",
    "uebelkeit",
    "erbrochen",
    "vergiftet",
    "lebensmittelvergiftung",
    "rueckruf",
    "boykott",
    "boykottieren",
    "peinlich",
    "laecherlich",
    "unzumutbar",
    "zumutung",
    "unmoeglich",
    "beschwerde",
    "beschweren",
    "reklamation",
    "scheisse",
    "scheiss",
    "beschissen",
    "mist",
    "schrott",
    "muell",
    "schande",
    "luege",
    "luegen",
    "gelogen",
    "luegner",
    "schlimm",
    "schlimmer",
    "schlimmste",
    "hass",
    "hasse",
    "hassen",
    "nervig",
    "nervt",
    "genervt",
    "nervtoetend",
    "versagen",
    "versagt",
    "versager",
    "kuendigen",
    "gekuendigt",
    "kuendigung",
    "warnung",
    "verspaetung",
    "verspaetet",
    "ausfall",
    "stoerung",
    "chaos",
    "chaotisch",
    "unfreundlich",
    "ueberteuert",
    "wucher",
    "dreck",
    "dreckig",
    "schmutzig",
    "stinkt",
    "stinkend",
    "unhoeflich",
    "respektlos",
    "frech",
    "traurig",
    "leider",
    "bloed",
    "doof",
    "dumm",
    "inkompetent",
    "unfaehig",
    "unzuverlaessig",
    "unbrauchbar",
    "nutzlos",
    "sinnlos",
    "armselig",
    "erbaermlich",
    "grauenhaft",
    "grauenvoll",
    "entsetzlich",
    "entsetzt",
    "empoert",
    "empoerend",
    "wuetend",
    "veraergert",
    "schaedlich",
    "gesundheitsschaedlich",
    "krank",
    "verletzt",
    "verletzung",
    "splitter",
    "gefahr",
    "dreist",
    "abgezogen",
    "bad",
    "worse",
    "worst",
    "terrible",
    "awful",
    "horrible",
    "disappointed",
    "disappointing",
    "disappointment",
    "angry",
    "annoyed",
    "annoying",
    "scam",
    "fraud",
    "broken",
    "defective",
    "dangerous",
    "disgusting",
    "nasty",
    "rotten",
    "spoiled",
    "poisoned",
    "poisoning",
    "recall",
    "boycott",
    "outage",
    "failure",
    "fail",
    "failed",
    "shame",
    "lie",
    "lies",
    "liar",
    "ridiculous",
    "unacceptable",
    "hate",
    "hated",
    "sick",
    "complaint",
    "rude",
    "useless",
    "sucks",
    "suck",
    "worthless",
    "pathetic",
    "horrendous",
    "ripoff",
    "rip-off",
    "overpriced",
    "dirty",
    "unsafe",
    "moldy",
    "mouldy",
]

_POSITIVE = [
    "gut",
    "gute",
    "guter",
    "gutes",
    "super",
    "toll",
    "klasse",
    "prima",
    "lecker",
    "grossartig",
    "hervorragend",
    "wunderbar",
    "perfekt",
    "zufrieden",
    "freundlich",
    "danke",
    "dankeschoen",
    "empfehlen",
    "empfehlenswert",
    "empfehlung",
    "schoen",
    "liebe",
    "lieben",
    "genial",
    "spitze",
    "top",
    "begeistert",
    "beste",
    "bester",
    "fantastisch",
    "geil",
    "cool",
    "mega",
    "herrlich",
    "wunderschoen",
    "gluecklich",
    "freue",
    "freuen",
    "freude",
    "spass",
    "lob",
    "loben",
    "kompetent",
    "hilfsbereit",
    "puenktlich",
    "sauber",
    "bravo",
    "gratulation",
    "glueckwunsch",
    "kuss",
    "ausgezeichnet",
    "exzellent",
    "erstklassig",
    "traumhaft",
    "wundervoll",
    "leckerbissen",
    "koestlich",
    "genuss",
    "genossen",
    "lecka",
    "nett",
    "angenehm",
    "zuverlaessig",
    "schnell",
    "guenstig",
    "preiswert",
    "good",
    "great",
    "excellent",
    "amazing",
    "awesome",
    "love",
    "loved",
    "lovely",
    "nice",
    "perfect",
    "happy",
    "thanks",
    "thank",
    "recommend",
    "recommended",
    "best",
    "fantastic",
    "wonderful",
    "delicious",
    "friendly",
    "helpful",
    "brilliant",
    "outstanding",
    "superb",
    "enjoy",
    "enjoyed",
    "glad",
    "yummy",
    "tasty",
    "beautiful",
]

# Emoji whose polarity is clear in customer feedback (after ``normalise`` strips variation
# selectors and skin tones); emoticons are already tokens (``xsmile``, ``xsad``, ...).
_EMOJI_NEGATIVE = "😡 🤬 😠 👎 🤮 🤢 😤 😒 😞 😟 😢 😭 😩 😫 💩 🙄 😖 😣 ☹ 🙁 😕 😾 🤦 💔 ⚠"
_EMOJI_POSITIVE = "😍 👍 ❤ 😊 🙂 😀 😃 😄 😁 🥰 😘 🤩 👏 🙌 💪 🎉 🥳 💯 ✨ 💚 💙 💛 🧡 💜 😋 🤗 ☺ 👌 🍻 🏆 ⭐ 🌟"

_NOT_POLAR = frozenset({"mister"})  # would strip to a polar stem
NEGATIVE = frozenset(_NEGATIVE)
POSITIVE = frozenset(_POSITIVE)
EMOJI_NEGATIVE = frozenset(_EMOJI_NEGATIVE.split())
EMOJI_POSITIVE = frozenset(_EMOJI_POSITIVE.split())
_ENDINGS = (
    "esten",
    "ester",
    "estes",
    "estem",
    "este",
    "sten",
    "ster",
    "stes",
    "stem",
    "ste",
    "en",
    "er",
    "es",
    "em",
    "e",
    "n",
    "s",
)
# Phrases whose words are not polar alone (``nie`` is a negator, ``wieder`` neutral).
NEGATIVE_PHRASES = frozenset({("nie", "neg_wieder"), ("never", "neg_again"), ("nie", "mehr"), ("nie", "neg_mehr")})


def polarity(word: str) -> int:
    """-1, +1 or 0 for a normalised word, trying it as is and without a German ending."""
    if word in _NOT_POLAR:
        return 0
    for candidate in _forms(word):
        if candidate in NEGATIVE:
            return -1
        if candidate in POSITIVE:
            return 1
    return 0


def _forms(word: str) -> list[str]:
    forms = [word]
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            forms.append(word[: -len(ending)])
    return forms


def lexicon_tokens(marked: str) -> list[str]:
    """Lexicon tokens of a text passed through ``normalise`` and ``mark_negation``.

    A polar word gives ``xlexneg``/``xlexpos``; inside a negation scope (``neg_`` prefix)
    ``xlexnotneg``/``xlexnotpos`` ("nicht gut" is not simply "schlecht"); emoji give
    ``xemoneg``/``xemopos``; "nie wieder"/"never again" gives ``xlexneg``.
    """
    return lexicon_tokens_of(marked.split())


def lexicon_tokens_of(marked: list[str]) -> list[str]:
    """``lexicon_tokens`` of a text's marked tokens."""
    out: list[str] = []
    previous = ""
    for token in marked:
        if previous in _PHRASE_STARTS and (previous, token) in NEGATIVE_PHRASES:
            out.append("xlexneg")
        previous = token
        found = lexicon_class(token)
        if found:
            out.append(found)
    return out


_PHRASE_STARTS = frozenset(first for first, _ in NEGATIVE_PHRASES)


@lru_cache(maxsize=1 << 16)
def lexicon_class(token: str) -> str:
    """The lexicon token of one marked token, or ""; cached because words repeat."""
    if token in EMOJI_NEGATIVE:
        return "xemoneg"
    if token in EMOJI_POSITIVE:
        return "xemopos"
    negated = token.startswith("neg_")
    sign = polarity(token[4:] if negated else token)
    if not sign:
        return ""
    return ("xlexnot" if negated else "xlex") + ("neg" if sign < 0 else "pos")
