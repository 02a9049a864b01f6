"""A small, honest lexicon baseline for German and English sentiment.

It exists so the pipeline runs end to end before trained models are available, and as
the fallback when model artifacts are missing. It knows a few hundred polarity words,
flips polarity after a negator ("nicht gut") and treats a handful of insults as toxic.
It is a baseline, not a judge: trained models replace it where they exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from warner.core import Sentiment, TextLanguage, TextScore

_NEGATIVE = [
    "schlecht",
    "schlechter",
    "schlechteste",
    "mies",
    "miserabel",
    "furchtbar",
    "schrecklich",
    "katastrophe",
    "katastrophal",
    "enttäuscht",
    "enttäuschend",
    "enttäuschung",
    "ärgerlich",
    "ärger",
    "wütend",
    "wut",
    "sauer",
    "skandal",
    "skandalös",
    "frechheit",
    "unverschämt",
    "betrug",
    "betrüger",
    "abzocke",
    "abgezockt",
    "defekt",
    "kaputt",
    "mangelhaft",
    "gefährlich",
    "giftig",
    "eklig",
    "ekelhaft",
    "widerlich",
    "verletzt",
    "splitter",
    "rückruf",
    "boykott",
    "boykottieren",
    "nie",
    "niemals",
    "verspätet",
    "verspätung",
    "ausfall",
    "störung",
    "peinlich",
    "lächerlich",
    "unmöglich",
    "beschwerde",
    "reklamation",
    "scheiße",
    "scheisse",
    "mist",
    "schrott",
    "müll",
    "schande",
    "lüge",
    "lügen",
    "gelogen",
    "unzumutbar",
    "schlimm",
    "hass",
    "krank",
    "erbrochen",
    "vergiftet",
    "shitstorm",
    "versagen",
    "versagt",
    "katastrophe",
    "kündigen",
    "gekündigt",
    "warnung",
    "bad",
    "worse",
    "worst",
    "terrible",
    "awful",
    "horrible",
    "disappointed",
    "disappointing",
    "angry",
    "scam",
    "fraud",
    "broken",
    "defective",
    "dangerous",
    "disgusting",
    "recall",
    "boycott",
    "never",
    "late",
    "outage",
    "failure",
    "shame",
    "lie",
    "lies",
    "liar",
    "ridiculous",
    "unacceptable",
    "hate",
    "sick",
    "poisoned",
    "complaint",
    "refund",
    "rip-off",
    "ripoff",
    "fail",
    "failed",
]

_POSITIVE = [
    "gut",
    "super",
    "toll",
    "klasse",
    "prima",
    "lecker",
    "großartig",
    "grossartig",
    "hervorragend",
    "wunderbar",
    "perfekt",
    "zufrieden",
    "freundlich",
    "danke",
    "dankeschön",
    "empfehlen",
    "empfehlenswert",
    "schön",
    "schnell",
    "liebe",
    "lieben",
    "genial",
    "spitze",
    "top",
    "begeistert",
    "beste",
    "bester",
    "lob",
    "gerne",
    "fantastisch",
    "good",
    "great",
    "excellent",
    "amazing",
    "awesome",
    "love",
    "lovely",
    "nice",
    "perfect",
    "happy",
    "thanks",
    "thank",
    "recommend",
    "best",
    "fantastic",
    "wonderful",
    "delicious",
    "fast",
    "friendly",
]

_TOXIC = [
    "idiot",
    "idioten",
    "arschloch",
    "arschlöcher",
    "wichser",
    "vollidiot",
    "drecksladen",
    "dreckspack",
    "penner",
    "hurensohn",
    "spast",
    "behindert",
    "verrecken",
    "abschaum",
    "pack",
    "gesindel",
    "schwachkopf",
    "asshole",
    "idiot",
    "idiots",
    "moron",
    "stupid",
    "bastard",
    "scum",
    "dickhead",
]

_NEGATORS = {"nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "not", "no", "never", "nichts"}
_DE_HINTS = {"und", "der", "die", "das", "ist", "nicht", "ich", "wir", "mit", "auf", "für", "ein", "eine", "sie"}
_EN_HINTS = {"the", "and", "is", "not", "you", "with", "for", "this", "that", "are", "was", "of", "my"}
_TOKEN = re.compile(r"[\wäöüß'-]+", re.UNICODE)
_EMOTICONS_NEG = ("😡", "🤬", "😠", "👎", "🤮", "😤", ":(", ":-(")
_EMOTICONS_POS = ("😍", "👍", "❤", "😊", "🙂", ":)", ":-)")


def _fold(text: str) -> str:
    """Case-fold and undo umlaut spellings so 'Aerger' and 'Ärger' look alike."""
    text = unicodedata.normalize("NFC", text).casefold()
    return text.replace("ae", "ä").replace("oe", "ö").replace("ue", "ü")


_NEG = {_fold(w) for w in _NEGATIVE}
_POS = {_fold(w) for w in _POSITIVE}
_TOX = {_fold(w) for w in _TOXIC}


class LexiconScorer:
    """Word-list sentiment with negation; fast, transparent and modest."""

    name = "lexicon-baseline"

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[TextScore]:
        hints = langs if langs is not None else [None] * len(texts)
        return [self._score_one(text, hint) for text, hint in zip(texts, hints, strict=True)]

    def _score_one(self, text: str, lang_hint: str | None) -> TextScore:
        tokens = [_fold(t) for t in _TOKEN.findall(text)]
        polarity = 0.0
        toxic_hits = 0
        for i, token in enumerate(tokens):
            negated = i > 0 and tokens[i - 1] in _NEGATORS or i > 1 and tokens[i - 2] in _NEGATORS
            weight = 0.0
            if token in _NEG or token.rstrip("s") in _NEG:
                weight = -1.0
            elif token in _POS:
                weight = 1.0
            polarity += -weight if negated else weight
            toxic_hits += token in _TOX
        polarity -= sum(text.count(e) for e in _EMOTICONS_NEG)
        polarity += sum(text.count(e) for e in _EMOTICONS_POS)
        p_negative = 1.0 / (1.0 + pow(2.718281828, 1.5 * polarity + 0.8))
        sentiment: Sentiment = "negative" if polarity <= -1 else "positive" if polarity >= 1 else "neutral"
        toxicity = min(1.0, 0.45 * toxic_hits)
        return TextScore(
            lang=_guess_language(tokens, lang_hint),
            sentiment=sentiment,
            p_negative=round(p_negative, 4),
            toxicity=toxicity,
            offensive=toxicity >= 0.45,
        )


def _guess_language(tokens: list[str], hint: str | None) -> TextLanguage:
    if hint in ("de", "en"):
        return hint  # type: ignore[return-value]  # `in ("de", "en")` does not narrow str to the Literal
    de = sum(t in _DE_HINTS for t in tokens)
    en = sum(t in _EN_HINTS for t in tokens)
    if de == en == 0:
        return "other"
    return "de" if de >= en else "en"
