"""How long a reply is on each platform: the server-side twin of ``static/editor.js``'s live counters.

The page renders these counts, so they are right before (and without) JavaScript; the editor then
recounts on every keystroke with the same rules. ``static/length-cases.json`` is the table both
sides are checked against (tests/web/test_lengths.py here, the browser test for the script).

The rules, as the platforms count:

- **X** (twitter-text v3): text NFC-normalised; a link counts 23 whatever its length; an emoji (a
  whole sequence: 👍🏽, 👨‍👩‍👧, 🇩🇪) counts 2; any other character 1 if Latin, Greek, Cyrillic, Hebrew,
  Arabic … (code points up to U+10FF and a few punctuation ranges), else 2 (CJK, Hangul). Limit 280.
- **Bluesky**: graphemes (what a reader sees as one character). Limit 300.
- **Mastodon**: graphemes, a link ``http(s)://…`` counts 23, ``@user@server`` counts as ``@user``. Limit 500.
- **SMS**: GSM-7 septets (``€``, ``[`` … count 2) with 160 per single message and 153 per part of a
  longer one; a character outside GSM-7 makes it UCS-2: UTF-16 units, 70 and 67.

Graphemes: ``Intl.Segmenter`` in the browser; here (and in the script's fallback) a compact form of
UAX #29 that keeps together what occurs in posts: a character with its combining marks, variation
selectors and skin tones, emoji joined by ZWJ, flag pairs, tag sequences, CR LF.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from warner.notify.sms.text import gsm7_length

X_LIMIT = 280
BLUESKY_LIMIT = 300
MASTODON_LIMIT = 500
SMS_SINGLE = {"GSM-7": 160, "UCS-2": 70}
SMS_PART = {"GSM-7": 153, "UCS-2": 67}
URL_LENGTH = 23

# twitter-text v3: these code points weigh 1 (100 of scale 100), every other 2.
_X_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
# A grapheme with one of these is an emoji on X (weight 2 for the whole sequence).
_EMOJI = ((0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))
_EMOJI_MARKS = (0xFE0F, 0x20E3)
_ZWJ = 0x200D

# Links as X sees them: with a scheme, or a bare domain with a common top-level domain.
_TLDS = "com|de|org|net|eu|at|ch|io|info|co|uk|fr|it|nl|es|be|app|dev|social|shop|online|me|tv|ly"
_BARE_DOMAIN = r"(?<![@\w.\-/])(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?:" + _TLDS + r")(?!\w)(?:/[^\s<>\"]*)?"
_URL_X = re.compile(r"https?://[^\s<>\"]+|" + _BARE_DOMAIN, re.IGNORECASE)
_URL_MASTODON = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""  # sentence punctuation after a link is not part of it
_REMOTE_MENTION = re.compile(r"(?<![\w/])(@\w+)@[\w.\-]+\w", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Count:
    """One platform's count of a text: ``used`` of ``limit`` (SMS: of one message; ``segments`` parts)."""

    platform: str
    used: int
    limit: int
    segments: int = 1
    encoding: str = ""

    @property
    def over(self) -> bool:
        """Too long: beyond the limit (SMS: more than one message)."""
        return self.segments > 1 if self.platform == "sms" else self.used > self.limit

    @property
    def display(self) -> str:
        """What the counter shows: ``123 / 280``; SMS ``170 / 160 · 2 SMS`` (``(UCS-2)`` when not GSM-7)."""
        shown = f"{self.used} / {self.limit}"
        if self.platform == "sms":
            shown += f" · {self.segments} SMS"
            if self.encoding == "UCS-2":
                shown += " (UCS-2)"
        return shown


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _extends(cp: int) -> bool:
    """Joins the grapheme before it: combining marks, ZWJ, variation selectors, skin tones, tags."""
    return (
        unicodedata.category(chr(cp)) in ("Mn", "Me", "Mc")
        or cp == _ZWJ
        or 0xFE00 <= cp <= 0xFE0F
        or 0xE0100 <= cp <= 0xE01EF
        or 0x1F3FB <= cp <= 0x1F3FF
        or 0xE0020 <= cp <= 0xE007F
    )


def _regional(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def graphemes(text: str) -> list[str]:
    """``text`` cut into graphemes (see the module docstring for which rules)."""
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        if out:
            last = out[-1]
            prev = ord(last[-1])
            if (
                _extends(cp)
                or (prev == _ZWJ and _in(cp, _EMOJI))
                or (prev == 0x0D and cp == 0x0A)
                or (_regional(cp) and len(last) == 1 and _regional(prev))
            ):
                out[-1] = last + ch
                continue
        out.append(ch)
    return out


def _without_urls(text: str, pattern: re.Pattern[str]) -> tuple[str, int]:
    """``text`` with its links removed, and how many there were (sentence punctuation stays)."""
    found = 0

    def cut(match: re.Match[str]) -> str:
        nonlocal found
        url = match.group(0)
        kept = url.rstrip(_TRAILING)
        found += 1
        return url[len(kept) :]

    return pattern.sub(cut, text), found


def x_count(text: str) -> int:
    """X's weighted length (twitter-text v3)."""
    rest, urls = _without_urls(unicodedata.normalize("NFC", text), _URL_X)
    total = urls * URL_LENGTH
    for grapheme in graphemes(rest):
        points = [ord(c) for c in grapheme]
        if any(_in(cp, _EMOJI) or cp in _EMOJI_MARKS for cp in points):
            total += 2
        else:
            total += sum(1 if _in(cp, _X_LIGHT) else 2 for cp in points)
    return total


def bluesky_count(text: str) -> int:
    return len(graphemes(text))


def mastodon_count(text: str) -> int:
    rest, urls = _without_urls(text, _URL_MASTODON)
    rest = _REMOTE_MENTION.sub(r"\1", rest)
    return urls * URL_LENGTH + len(graphemes(rest))


def sms_count(text: str) -> Count:
    """Septets (GSM-7) or UTF-16 units (UCS-2), and how many messages that makes."""
    septets = gsm7_length(text)
    if septets is not None:
        encoding, used = "GSM-7", septets
    else:
        encoding, used = "UCS-2", len(text.encode("utf-16-le")) // 2
    single, part = SMS_SINGLE[encoding], SMS_PART[encoding]
    segments = 0 if used == 0 else 1 if used <= single else math.ceil(used / part)
    return Count("sms", used, single, segments, encoding)


def counts(text: str) -> dict[str, Count]:
    """Every platform's count of ``text``, in the order the editor shows them."""
    return {
        "x": Count("x", x_count(text), X_LIMIT),
        "bluesky": Count("bluesky", bluesky_count(text), BLUESKY_LIMIT),
        "mastodon": Count("mastodon", mastodon_count(text), MASTODON_LIMIT),
        "sms": sms_count(text),
    }
