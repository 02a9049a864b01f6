"""Matching a mention's text to the configured brands.

Text and terms are folded alike (``fold``): lower case, umlauts and their spelt-out forms
reduced to the base vowel, other diacritics stripped, ß to ss — so Müller, Mueller, Muller
and muller are one word (and, as a side effect, "Quelle" is "qulle" on both sides). Words
are runs of letters, digits and ``_``; everything else, hyphens included, is a boundary.
Terms match whole words only: the brand "Rewe" does not match "Rewerk" but does match
"REWE-Markt", "#rewe" and "@rewe". The words of a phrase may be separated by spaces,
hyphens, ``#`` or ``@`` ("Kesselberg-Tunnel" = "Kesselberg Tunnel"), not by other
punctuation ("Kesselberg. Tunnel" is not the phrase).

Per brand (see ``BrandConfig``):

- ``aliases`` and ``products``: a word or phrase anywhere, also as hashtag or handle;
  a multi-word alias also matches its words joined by ``_`` (``bergblick_reisen``).
- ``handles``: that account name, with or without ``@`` (``kesselberg_bier``).
- ``hashtags``: ``#tag`` only — the plain word counts only if it is also an alias.
- ``query``: a boolean query (``warner.ingest.query``) whose terms follow the alias rules
  (``#tag`` and ``@name`` inside a query follow the hashtag and handle rules).
- ``exclude``: a text containing any of these terms never matches the brand, whatever else
  it contains.

A brand matches when any of its terms or its query matches and no exclusion does. A brand
with none of aliases, products, handles, hashtags and query is matched by its ``name``.

Compiled once per config: every distinct term of every brand gets an id; single words go
into one vocabulary set, and each phrase gets a small regex filed under its least shared
word. Per text: its words (each whitespace-separated piece folded once and remembered),
intersected with the vocabulary (in C); the whole text is folded only to search the phrases
whose filing word occurred, or tags; then brands are decided from the set of term ids found
(only brands owning one of those ids are looked at).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import TYPE_CHECKING

from warner.ingest import query as q
from warner.memo import remembered

if TYPE_CHECKING:  # the config validates its terms with this module's functions
    from warner.ingest.config import BrandConfig

# Combining marks of Latin, Greek and Cyrillic (and their extensions): what NFKD splits off
# accented letters. Marks of other scripts are kept; both sides are folded alike anyway.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORDS = re.compile(r"\w+")
_TERM_TOKENS = re.compile(r"\w+|[^\w\s#@-]+")  # a term's words and its punctuation (C&A)
_TAGGED = re.compile(r"(?<!\w)(?:#\w+|@\w+(?:\.\w+)*)")
_WORD = re.compile(r"^\w+$")
_HANDLE = re.compile(r"^\w+(?:\.\w+)*$")
# "#", "@" and every character that ``fold`` turns into one (tests/ingest: checked over all of Unicode).
TAG_SIGNS = "#@\ufe5f\ufe6b\uff03\uff20"
_TAG_SIGNS = re.compile(f"[{TAG_SIGNS}]")
WORD_MEMORY = 200_000  # distinct pieces of text whose folded words a matcher remembers


def fold(text: str) -> str:
    """Lower-case and reduce umlauts, their spelt-out forms and other diacritics to the base
    letter, so that Müller, Mueller, Muller and muller all become ``muller``."""
    if text.isascii():
        text = text.lower()
    else:
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))
    # One left-to-right pass each; no replacement can create another's pair (ae -> a keeps the a).
    return text.replace("ae", "a").replace("oe", "o").replace("ue", "u")


@dataclass(frozen=True, slots=True)
class _Key:
    """How one term is looked up: a run of words, or one hashtag/dotted handle token."""

    words: tuple[str, ...] = ()
    tagged: str = ""


def term_key(term: str, kind: str = "alias") -> _Key:
    """The folded form of a configured term; ``ValueError`` if it can never match.

    ``kind`` is ``alias`` (also products, exclusions and query terms: ``#x`` and ``@x`` are
    read as hashtag and handle), ``hashtag`` or ``handle``."""
    text = term.strip()
    if kind == "alias" and text[:1] in "#@" and text[1:].strip():
        kind = "hashtag" if text[0] == "#" else "handle"
    if kind == "hashtag":
        tag = fold(text.removeprefix("#"))
        if not _WORD.match(tag):
            raise ValueError(f"hashtag {term!r} must be one word of letters, digits or _")
        return _Key(tagged="#" + tag)
    if kind == "handle":
        handle = fold(text.removeprefix("@"))
        if _WORD.match(handle):
            return _Key(words=(handle,))
        if _HANDLE.match(handle):
            return _Key(tagged="@" + handle)
        raise ValueError(f"handle {term!r} must be letters, digits, _ and inner dots")
    words = tuple(_TERM_TOKENS.findall(fold(text)))
    if not any(_WORD.match(w) for w in words):
        raise ValueError(f"term {term!r} has no letters or digits")
    return _Key(words=words)


def check_query(text: str) -> q.Node:
    """Parse a brand's query with the matcher's own idea of a term; raises ``QueryError``."""

    def matchable(term: str) -> bool:
        try:
            term_key(term)
        except ValueError:
            return False
        return True

    return q.parse(text, has_words=matchable)


@dataclass(frozen=True, slots=True)
class _Brand:
    name: str
    positive: frozenset[int]
    excluded: frozenset[int]
    query: Callable[[set[int]], bool] | None


class BrandMatcher:
    """Finds which brands a text talks about; built once per config."""

    def __init__(self, brands: Iterable[BrandConfig]) -> None:
        self._ids: dict[_Key, int] = {}
        self._single: dict[str, list[int]] = {}  # word -> ids of terms that are this word
        self._phrases: dict[str, list[tuple[re.Pattern[str], int]]] = {}  # first word -> (pattern, id)
        self._tagged: dict[str, list[int]] = {}  # "#tag" / "@dotted.handle" -> ids
        self._vocabulary: frozenset[str] = frozenset()  # single words and phrase heads
        self._brands: list[_Brand] = []
        self._owners: dict[int, list[int]] = {}  # term id -> brands (indexes) it can make match
        self._phrase_keys: list[tuple[_Key, int]] = []
        self._known_words: dict[str, tuple[str, ...]] = {}  # a text's piece -> its folded words
        for brand in brands:
            self._add(brand)
        self._index_phrases()
        self._vocabulary = frozenset(self._single) | frozenset(self._phrases)

    def _add(self, brand: BrandConfig) -> None:
        index = len(self._brands)
        specs = [(t, "alias") for t in [*brand.aliases, *brand.products]]
        specs += [(t, "handle") for t in brand.handles] + [(t, "hashtag") for t in brand.hashtags]
        if not specs and brand.query is None:
            specs = [(brand.name, "alias")]
        positive = {self._id(term_key(t, kind)) for t, kind in specs}
        excluded = frozenset(self._id(term_key(t)) for t in brand.exclude)
        query = None
        if brand.query is not None:
            node = check_query(brand.query)
            ids = {t: self._id(term_key(t)) for t in q.terms(node)}
            query = _compile(node, ids)
            positive_or_query = positive | set(ids.values())
        else:
            positive_or_query = positive
        for term_id in positive_or_query:
            self._owners.setdefault(term_id, []).append(index)
        self._brands.append(_Brand(brand.name, frozenset(positive), excluded, query))

    def _id(self, key: _Key) -> int:
        if key in self._ids:
            return self._ids[key]
        term_id = self._ids[key] = len(self._ids)
        if key.tagged:
            self._tagged.setdefault(key.tagged, []).append(term_id)
        elif len(key.words) == 1:
            self._single.setdefault(key.words[0], []).append(term_id)
        else:
            self._phrase_keys.append((key, term_id))
            if all(_WORD.match(w) for w in key.words):
                self._single.setdefault("_".join(key.words), []).append(term_id)
        return term_id

    def _index_phrases(self) -> None:
        """File each phrase under its word that fewest terms share (ties: the longest), so that
        a common word ("Brauerei", "Hotel") does not send every text to a dozen phrase searches."""
        shared = Counter(w for key in self._ids for w in set(key.words) if _WORD.match(w))
        for key, term_id in self._phrase_keys:
            word = min((w for w in key.words if _WORD.match(w)), key=lambda w: (shared[w], -len(w)))
            self._phrases.setdefault(word, []).append((_phrase_pattern(key.words), term_id))

    def _words(self, text: str) -> list[str]:
        """``_WORDS.findall(fold(text))``, from a memory of what each whitespace-separated piece gives.

        Folding never joins or splits across whitespace, and the pieces of social media repeat,
        so each distinct piece is folded once (up to ``WORD_MEMORY`` of them, then afresh).
        """
        return self._words_of([text])[0]

    def _words_of(self, texts: Sequence[str]) -> list[list[str]]:
        """``_words`` of each text, with one lookup in the memory for all their pieces."""
        known = self._known_words
        if len(known) > WORD_MEMORY:
            known.clear()
        split = [text.split() for text in texts]
        words = iter(remembered(list(chain.from_iterable(split)), known, _piece_words))
        return [list(chain.from_iterable(islice(words, len(pieces)))) for pieces in split]

    def _found(self, text: str, words: list[str]) -> set[int]:
        """Ids of the terms that occur in ``text`` (whose ``_words`` are ``words``)."""
        folded: str | None = None  # the whole text folded: only phrases and tags need it
        found: set[int] = set()
        # frozenset.intersection(list) walks the text's words, not the (possibly large) vocabulary.
        for word in self._vocabulary.intersection(words):
            if word in self._single:
                found.update(self._single[word])
            for pattern, term_id in self._phrases.get(word, ()):
                folded = fold(text) if folded is None else folded
                if term_id not in found and pattern.search(folded):
                    found.add(term_id)
        # A tag needs "#" or "@" (or a character that folds to one: fullwidth ＃, small ﹟, ...).
        if self._tagged and _TAG_SIGNS.search(text):
            folded = fold(text) if folded is None else folded
            if "#" in folded or "@" in folded:
                for tag in self._tagged.keys() & _TAGGED.findall(folded):
                    found.update(self._tagged[tag])
        return found

    def match(self, text: str) -> list[str]:
        """Brands named in ``text``, in config order; an exclusion wins over every other term."""
        if not text or not self._owners:
            return []
        return self._match(text, self._words(text))

    def _match(self, text: str, words: list[str]) -> list[str]:
        found = self._found(text, words)
        if not found:
            return []
        candidates = sorted({b for term_id in found for b in self._owners.get(term_id, ())})
        out = []
        for b in candidates:
            brand = self._brands[b]
            if not brand.excluded.isdisjoint(found):
                continue
            if not brand.positive.isdisjoint(found) or (brand.query is not None and brand.query(found)):
                out.append(brand.name)
        return out

    def first(self, text: str) -> str | None:
        """The first brand (in config order) that ``text`` names, if any."""
        return self.first_of([text])[0]

    def first_of(self, texts: Sequence[str]) -> list[str | None]:
        """``first`` of each text; cheaper than one call per text (one memory lookup for all)."""
        if not self._owners:
            return [None] * len(texts)
        out: list[str | None] = []
        for text, words in zip(texts, self._words_of(texts), strict=True):
            matches = self._match(text, words) if text else []
            out.append(matches[0] if matches else None)
        return out


def _piece_words(piece: str) -> tuple[str, ...]:
    return tuple(_WORDS.findall(fold(piece)))


def _phrase_pattern(tokens: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words in this order, separated by spaces, hyphens, ``#`` or ``@``; punctuation
    of the term itself (C&A) may stand with or without them. Other punctuation breaks the phrase."""
    body = ""
    for before, token in zip(("", *tokens), tokens, strict=False):
        if before:
            body += r"[\s#@-]+" if _WORD.match(before) and _WORD.match(token) else r"[\s#@-]*"
        body += re.escape(token)
    start = r"(?<!\w)" if _WORD.match(tokens[0]) else ""
    end = r"(?!\w)" if _WORD.match(tokens[-1]) else ""
    return re.compile(start + body + end)


def _compile(node: q.Node, ids: dict[str, int]) -> Callable[[set[int]], bool]:
    """A query tree as a function of the set of term ids found in a text."""
    if isinstance(node, q.Term):
        term_id = ids[node.text]
        return lambda found: term_id in found
    if isinstance(node, q.Not):
        operand = _compile(node.operand, ids)
        return lambda found: not operand(found)
    operands = tuple(_compile(o, ids) for o in node.operands)
    if isinstance(node, q.AllOf):
        return lambda found: all(f(found) for f in operands)
    return lambda found: any(f(found) for f in operands)
