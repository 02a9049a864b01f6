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

MAX_CHARS = 1000
NEGATION_SCOPE = 3

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_USER = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])|(?<=[A-ZÄÖÜ])(?=[A-ZÄÖÜ][a-zäöüß])|(?<=[A-Za-zäöüßÄÖÜ])(?=\d)")
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
_REPEATED_PUNCT = re.compile(r"([!?.])\1+")
_DIGITS = re.compile(r"\d+")
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
_SCOPE_END = frozenset([".", ",", "!", "?", ";", ":", "...", "!!", "??", "aber", "doch", "sondern", "but"])
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
    # Each step first asks a cheap question (a substring, ``isascii``) so that the common
    # text skips the regex scans that cannot change it; the result is the same either way
    # (tests/scoring/test_text.py pins it against the plain sequence of substitutions).
    text = unicodedata.normalize("NFC", text[:MAX_CHARS])
    if "|LBR|" in text:
        text = text.replace("|LBR|", " ")
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
    if _ELONGATION.search(text):
        text = _ELONGATION.sub(r"\1", text) + " xelong"
    if "!!" in text or "??" in text or ".." in text:
        text = _REPEATED_PUNCT.sub(r"\1\1", text)
    text = _DIGITS.sub("0", text)
    return " ".join(_TOKEN.findall(text))


def mark_negation(normalised: str) -> str:
    """Prefix the tokens after a negator with ``neg_`` until punctuation or scope ends."""
    out: list[str] = []
    scope = 0
    for token in normalised.split():
        if token in _SCOPE_END:
            scope = 0
            out.append(token)
        elif token in NEGATORS or token.endswith("n't"):
            scope = NEGATION_SCOPE
            out.append(token)
        elif scope and token not in PLACEHOLDERS and token[0].isalnum():
            scope -= 1
            out.append("neg_" + token)
        else:
            out.append(token)
    return " ".join(out)
