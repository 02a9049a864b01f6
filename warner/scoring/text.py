"""Text normalisation shared by every model, at training and at scoring time.

Tweets, comments and pre-tokenised corpus text must look alike to the models, so
``normalise`` maps each text to one canonical, space-separated token string:

- URLs become ``xurl``, @handles become ``xuser``; ``|LBR|`` (GermEval 2018) is a space;
- hashtags keep their words, camel case split: ``#DeutscheBahn`` -> ``xhashtag deutsche bahn``;
- emoji stay, one token each; emoticons become ``xsmile``/``xsad``/``xlaugh``/``xwink``/
  ``xheart``/``xtongue`` (they carry sentiment and models learn them as features);
- elongations are squeezed and flagged: ``suuuuper`` -> ``super xelong``;
- casefolded, umlauts spelt out (``ä`` -> ``ae``, ``ß`` -> ``ss``) so that ``Ärger``
  and ``Aerger`` meet; digits become ``0``;
- punctuation is split from words, so raw and pre-tokenised text give the same tokens;
- empty or missing text gives ``""``; very long text is cut to ``MAX_CHARS`` first.

``mark_negation`` then prefixes up to ``NEGATION_SCOPE`` tokens after a negator with
``neg_`` (``nicht gut`` -> ``nicht neg_gut``) for the word features.
"""

from __future__ import annotations

import re
import unicodedata
from operator import methodcaller

MAX_CHARS = 1000
NEGATION_SCOPE = 3

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_USER = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])|(?<=[A-ZÄÖÜ])(?=[A-ZÄÖÜ][a-zäöüß])|(?<=[A-Za-zäöüßÄÖÜ])(?=\d)")
ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
_REPEATED_PUNCT = re.compile(r"([!?.])\1+")
DIGITS = re.compile(r"\d+")
# Emoji and pictographs, variation selectors and skin tones dropped separately.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2190-\u21ff\u2300-\u23ff\u3030\u303d\u3297\u3299]"
)
_EMOJI_NOISE = re.compile("[\ufe0e\ufe0f\u200d\U0001f3fb-\U0001f3ff]")
_TOKEN = re.compile(r"x[a-z]+\b|\w+(?:[-'’]\w+)*|[!?]+|\.\.+|[^\w\s]", re.UNICODE)

# Every branch starts with its first character and looks back past it (fast scanning).
_EMOTICON = re.compile(
    r"""
      (?P<smile>[:=](?<![\w/].)-?\)+|\((?<!\w.)-?:(?!\w)|\^_?\^)
    | (?P<laugh>[:=](?<![\w/].)-?D+\b|[xX](?<!\w.)D+\b)
    | (?P<wink>;(?<![\w/].)-?[)D]+)
    | (?P<tongue>[:=](?<![\w/].)-?[pP]\b)
    | (?P<sad>[:=](?<![\w/].)'?-?\(+|\)(?<!\w.)-?:(?!\w)|:(?<![\w/].)-?/(?!/)|-_-)
    | (?P<heart><3+)
    """,
    re.VERBOSE,
)
_UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("’", "'"))
# Characters that can start an emoticon (see _EMOTICON): a text without any skips that scan.
_EMOTICON_HINT = re.compile(r"[:=;()^<]|-_|[xX]D")

NEGATORS = frozenset(
    [
        "nicht",
        "nichts",
        "nie",
        "niemals",
        "kein",
        "keine",
        "keinen",
        "keinem",
        "keiner",
        "keines",
        "weder",
        "ohne",
        "nimmer",
        "not",
        "no",
        "never",
        "nothing",
        "none",
        "nobody",
        "nor",
        "cannot",
        "without",
        "n't",
        "isnt",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "wont",
        "wasnt",
        "arent",
        "aint",
        "couldnt",
        "shouldnt",
        "wouldnt",
    ]
)
SCOPE_END = frozenset([".", ",", "!", "?", ";", ":", "...", "!!", "??", "aber", "doch", "sondern", "but"])
PLACEHOLDERS = frozenset(
    ["xurl", "xuser", "xhashtag", "xsmile", "xsad", "xlaugh", "xwink", "xheart", "xtongue", "xelong"]
)


def _split_hashtag(match: re.Match[str]) -> str:
    return " xhashtag " + _CAMEL.sub(" ", match.group(1)) + " "


def _emoticon_token(match: re.Match[str]) -> str:
    return f" x{match.lastgroup} "


def normalise(text: str | None) -> str:
    """Return the canonical token string of ``text`` (see the module docstring)."""
    if not text:
        return ""
    tokens, elongated = normalise_prepared(prepare(text))
    return f"{tokens} xelong" if elongated else tokens


def prepare(text: str) -> str:
    """The steps that must see the whole text: the cut, NFC, GermEval's line breaks."""
    text = unicodedata.normalize("NFC", text[:MAX_CHARS])
    return text.replace("|LBR|", " ") if "|LBR|" in text else text


def normalise_prepared(text: str) -> tuple[str, bool]:
    """Tokens of a prepared text, and whether it had an elongation (``xelong`` not yet added).

    Nothing here looks across whitespace: every pattern stops at it and every lookaround
    treats it as it treats the start or end of the text. So a text's tokens are its
    whitespace-separated words' tokens in order, which ``word_table.WordTable`` relies on.
    """
    # Each step first asks a cheap question (a substring, ``isascii``) so that the common
    # text skips the regex scans that cannot change it; the result is the same either way
    # (tests/scoring/test_normalise.py pins it against the plain sequence of substitutions).
    if "://" in text or "www." in text.lower():
        text = _URL.sub(" xurl ", text)
    if "@" in text:
        text = _USER.sub(" xuser ", text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    if _EMOTICON_HINT.search(text):
        text = _EMOTICON.sub(_emoticon_token, text)
    if not text.isascii():
        text = _EMOJI_NOISE.sub("", text)
        text = _EMOJI.sub(lambda m: f" {m.group(0)} ", text)
    text = text.casefold()
    if not text.isascii():
        for umlaut, spelt in _UMLAUTS:
            text = text.replace(umlaut, spelt)
    elongated = ELONGATION.search(text) is not None
    if elongated:
        text = ELONGATION.sub(r"\1", text)
    if "!!" in text or "??" in text or ".." in text:
        text = _REPEATED_PUNCT.sub(r"\1\1", text)
    if not text.isalpha():
        text = DIGITS.sub("0", text)
    return " ".join(_TOKEN.findall(text)), elongated


_ENDS_NOT = methodcaller("endswith", "n't")


def is_negator(token: str) -> bool:
    """A token that opens a negation's scope."""
    return token in NEGATORS or token.endswith("n't")


def takes_negation(token: str) -> bool:
    """A token a negation's scope prefixes with ``neg_`` (placeholders, punctuation and emoji are passed over)."""
    return token not in PLACEHOLDERS and token[0].isalnum()


def mark_negation(normalised: str) -> str:
    """Prefix the tokens after a negator with ``neg_`` until punctuation or scope ends."""
    return " ".join(mark_negation_tokens(normalised.split()))


def mark_negation_tokens(tokens: list[str]) -> list[str]:
    """``mark_negation`` on a text's tokens; most texts have no negator and come back as they are."""
    if NEGATORS.isdisjoint(tokens) and not any(map(_ENDS_NOT, tokens)):
        return tokens
    out: list[str] = []
    scope = 0
    for token in tokens:
        if token in SCOPE_END:
            scope = 0
            out.append(token)
        elif is_negator(token):
            scope = NEGATION_SCOPE
            out.append(token)
        elif scope and takes_negation(token):
            scope -= 1
            out.append("neg_" + token)
        else:
            out.append(token)
    return out
