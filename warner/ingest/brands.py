"""Matching a mention's text to the configured brands.

Case- and diacritics-insensitive (Müller = Mueller = muller), whole words only (the brand
"Rewe" does not match "Rewerk"), with exclusion terms. All aliases are compiled into one
regular expression at start-up so matching stays cheap per mention.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from warner.config import BrandConfig

_SPELLED_UMLAUT = re.compile(r"([aou])e")


def fold(text: str) -> str:
    """Lower-case and reduce umlauts, their spelt-out forms and other diacritics to the base
    letter, so that Müller, Mueller and muller all become ``muller``."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPELLED_UMLAUT.sub(r"\1", text)


def _term_pattern(term: str) -> str:
    folded = fold(term).strip()
    # Words inside the alias may be separated by any run of spaces, hyphens or underscores.
    body = r"[\s_-]+".join(re.escape(word) for word in re.split(r"[\s_-]+", folded) if word)
    return f"(?<!\\w){body}(?!\\w)"


class BrandMatcher:
    """Finds which brands a text talks about."""

    def __init__(self, brands: Iterable[BrandConfig]) -> None:
        self._aliases: dict[str, str] = {}
        self._exclusions: dict[str, re.Pattern[str]] = {}
        parts = []
        for brand in brands:
            terms = [brand.name, *brand.aliases] if not brand.aliases else brand.aliases
            for n, term in enumerate(terms):
                if fold(term).strip():
                    group = f"b{len(self._aliases)}_{n}"
                    self._aliases[group] = brand.name
                    parts.append(f"(?P<{group}>{_term_pattern(term)})")
            if brand.exclude:
                self._exclusions[brand.name] = re.compile("|".join(_term_pattern(t) for t in brand.exclude))
        self._pattern = re.compile("|".join(parts)) if parts else None

    def match(self, text: str) -> list[str]:
        """Brands named in ``text``, in order of first appearance; exclusions win."""
        if self._pattern is None or not text:
            return []
        folded = fold(text)
        found: list[str] = []
        for m in self._pattern.finditer(folded):
            brand = self._aliases[m.lastgroup or ""]
            if brand not in found:
                found.append(brand)
        return [b for b in found if not (b in self._exclusions and self._exclusions[b].search(folded))]

    def first(self, text: str) -> str | None:
        matches = self.match(text)
        return matches[0] if matches else None
