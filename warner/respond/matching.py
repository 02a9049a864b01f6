"""Which crisis is this? Scoring playbooks against the mentions of an incident.

Two kinds of evidence, both explainable to the person who has to answer:

- trigger keywords: whole words (``verletz*`` = prefix), case-, umlaut- and ß-insensitive
  ("Rückruf", "Rueckruf" and "RUCKRUF" are one word); both languages' keywords count, since
  German posts are full of English words and vice versa. Score: how many distinct keywords
  hit (up to 4) and the share of mentions with any hit.
- similarity to the playbook's examples: TF-IDF over character n-grams (robust to typos,
  inflection and compounds), fitted once over every example; per mention the mean of its
  top-3 cosine similarities to the playbook's examples, averaged over the mentions.

``score = 0.6 * keywords + 0.4 * similarity``, similarity rescaled from 0 at the noise floor
(0.15, what unrelated posts share in common n-grams) to 1 at 0.5 (a close paraphrase). Below ``threshold``
nothing matches and the generic playbook answers. Deterministic: no randomness, ties broken by playbook id.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from warner.core import Language
from warner.respond.schema import Playbook

THRESHOLD = 0.2
KEYWORD_WEIGHT = 0.6
SIMILARITY_WEIGHT = 0.4
DISTINCT_FOR_FULL = 4
SIMILARITY_FLOOR = 0.15  # cosine that unrelated short posts reach by shared n-grams ("ich", "ist", "the")
SIMILARITY_FULL = 0.5  # cosine of a close paraphrase of an example
TOP_K = 3

_WORD = re.compile(r"\w+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_CACHE_LIMIT = 100_000  # words remembered by the per-word caches before they start over
_DIGRAPHS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def fold(text: str) -> str:
    """Lower case without accents, umlauts as plain vowels, ß as ss ("Rückruf" = "Rueckruf" = "ruckruf")."""
    text = text.casefold().replace("ß", "ss")
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    for digraph, vowel in _DIGRAPHS:
        text = text.replace(digraph, vowel)
    return text


@dataclass(frozen=True, slots=True)
class _Keyword:
    owner: int  # index of the playbook
    label: str  # as written in the playbook
    words: tuple[str, ...]  # folded
    prefix: bool


class _KeywordIndex:
    """Every playbook's keywords, looked up per token (a dict probe per token and prefix length)."""

    def __init__(self, playbooks: list[Playbook]):
        self.exact: dict[str, list[_Keyword]] = {}
        self.prefix: dict[str, list[_Keyword]] = {}
        seen: set[tuple[int, tuple[str, ...], bool]] = set()
        for owner, playbook in enumerate(playbooks):
            for raw in [*playbook.triggers.keywords.de, *playbook.triggers.keywords.en]:
                label = raw.strip()
                prefix = label.endswith("*")
                words = tuple(_WORD.findall(fold(label.rstrip("*"))))
                if not words or (owner, words, prefix) in seen:
                    continue
                seen.add((owner, words, prefix))
                keyword = _Keyword(owner, label, words, prefix)
                if len(words) == 1:
                    (self.prefix if prefix else self.exact).setdefault(words[0], []).append(keyword)
                else:  # several words: found by the first, verified on the following tokens
                    self.exact.setdefault(words[0], []).append(keyword)
        self.longest_prefix = max((len(p) for p in self.prefix), default=0)
        self._single: dict[str, tuple[_Keyword, ...]] = {}

    def hits(self, tokens: list[str]) -> set[_Keyword]:
        found: set[_Keyword] = set()
        for i, token in enumerate(tokens):
            single = self._single.get(token)
            if single is None:
                single = self._single_word_hits(token)
            found.update(single)
            for keyword in self.exact.get(token, ()):
                if len(keyword.words) > 1 and _follows(keyword, tokens, i):
                    found.add(keyword)
        return found

    def _single_word_hits(self, token: str) -> tuple[_Keyword, ...]:
        hits = [k for k in self.exact.get(token, ()) if len(k.words) == 1]
        for length in range(1, min(len(token), self.longest_prefix) + 1):
            hits += self.prefix.get(token[:length], ())
        if len(self._single) >= _CACHE_LIMIT:
            self._single.clear()
        self._single[token] = result = tuple(hits)
        return result


def _follows(keyword: _Keyword, tokens: list[str], i: int) -> bool:
    rest = keyword.words[1:]
    following = tokens[i + 1 : i + 1 + len(rest)]
    if len(following) < len(rest):
        return False
    *whole, last = rest
    return list(whole) == following[:-1] and (
        following[-1] == last or (keyword.prefix and following[-1].startswith(last))
    )


@dataclass(frozen=True, slots=True)
class Match:
    """How well one playbook fits, and why."""

    playbook: Playbook
    score: float
    keywords: tuple[tuple[str, int], ...]  # (keyword, mentions containing it), most frequent first
    keyword_score: float
    similarity: float
    nearest_example: str | None

    def reason(self, lang: Language) -> str:
        """'Treffer: rückruf (12), glassplitter (3) · ähnlich zu: „…“ · Wert 0.71'."""
        parts = []
        if self.keywords:
            words = ", ".join(f"{k} ({n})" if n > 1 else k for k, n in self.keywords[:6])
            parts.append(("Treffer: " if lang == "de" else "matched: ") + words)
        if self.nearest_example and self.similarity > 0:
            example = _clip(self.nearest_example, 60)
            parts.append(f"ähnlich zu: „{example}“" if lang == "de" else f'similar to: "{example}"')
        parts.append(("Wert " if lang == "de" else "score ") + f"{self.score:.2f}")
        return " · ".join(parts)


class Matcher:
    """Scores every playbook of a set against mention texts; fit once, reuse for every incident."""

    def __init__(self, playbooks: Iterable[Playbook], threshold: float = THRESHOLD):
        self.playbooks = list(playbooks)
        self.threshold = threshold
        self._keywords = _KeywordIndex(self.playbooks)
        examples: list[str] = []
        self._owner: list[int] = []
        for index, playbook in enumerate(self.playbooks):
            for text in [*playbook.triggers.examples.de, *playbook.triggers.examples.en]:
                examples.append(text)
                self._owner.append(index)
        self._examples = examples
        self._vectorizer: TfidfVectorizer | None = None
        if examples:
            self._vectorizer = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(3, 5), lowercase=False, sublinear_tf=True, dtype=np.float32
            )
            self._matrix = self._vectorizer.fit_transform([fold(e) for e in examples]).T.tocsr()
            self._analyze = self._vectorizer.build_analyzer()
            self._vocabulary: dict[str, int] = self._vectorizer.vocabulary_
            self._idf = self._vectorizer.idf_.astype(np.float32)
            self._word_features: dict[str, list[int]] = {}
        owners = np.array(self._owner)
        self._columns = [np.flatnonzero(owners == index) for index in range(len(self.playbooks))]

    def rank(self, texts: Sequence[str]) -> list[Match]:
        """Every playbook at or above the threshold, best first."""
        texts = [t for t in texts if t and t.strip()]
        if not texts or not self.playbooks:
            return []
        folded = [fold(t) for t in texts]
        similarities, nearest = self._similarities(folded)
        counts = [Counter[str]() for _ in self.playbooks]
        covered = [0] * len(self.playbooks)
        for text in folded:
            hits = self._keywords.hits(_WORD.findall(text))
            for keyword in hits:
                counts[keyword.owner][keyword.label] += 1
            for owner in {k.owner for k in hits}:
                covered[owner] += 1
        matches = []
        for index, playbook in enumerate(self.playbooks):
            distinct = min(len(counts[index]), DISTINCT_FOR_FULL) / DISTINCT_FOR_FULL
            keyword_score = 0.5 * distinct + 0.5 * covered[index] / len(texts)
            similar = (similarities[index] - SIMILARITY_FLOOR) / (SIMILARITY_FULL - SIMILARITY_FLOOR)
            score = KEYWORD_WEIGHT * keyword_score + SIMILARITY_WEIGHT * min(max(similar, 0.0), 1.0)
            ranked_words = tuple(sorted(counts[index].items(), key=lambda kv: (-kv[1], kv[0])))
            matches.append(
                Match(playbook, score, ranked_words, keyword_score, float(similarities[index]), nearest[index])
            )
        matches.sort(key=lambda m: (-m.score, m.playbook.id))
        return [m for m in matches if m.score >= self.threshold]

    def _similarities(self, folded: list[str]) -> tuple[np.ndarray, list[str | None]]:
        """Per playbook: mean over mentions of the mean top-k cosine to its examples; its nearest example."""
        n = len(self.playbooks)
        if self._vectorizer is None:
            return np.zeros(n), [None] * n
        cosine = (self.vectorize(folded) @ self._matrix).toarray()  # rows are l2-normalised
        means = np.zeros(n)
        nearest: list[str | None] = [None] * n
        for index in range(n):
            columns = self._columns[index]
            block = cosine[:, columns]
            k = min(TOP_K, block.shape[1])
            top = -np.sort(-block, axis=1)[:, :k]
            means[index] = float(top.mean(axis=1).mean())
            best = np.unravel_index(int(np.argmax(block)), block.shape)
            if block[best] > 0:
                nearest[index] = self._examples[columns[best[1]]]
        return means, nearest

    def vectorize(self, folded: list[str]) -> csr_matrix:
        """``TfidfVectorizer.transform`` for char_wb n-grams, with each word's n-grams looked up once.

        char_wb n-grams never cross a space, so a text's n-grams are its words' n-grams; words
        repeat across a storm's mentions, which makes this several times faster than sklearn's.
        """
        columns: list[int] = []
        lengths: list[int] = []
        cache = self._word_features
        for text in folded:
            before = len(columns)
            for word in text.split():
                features = cache.get(word)
                columns += features if features is not None else self._features(word)
            lengths.append(len(columns) - before)
        rows = np.repeat(np.arange(len(folded), dtype=np.int32), lengths)
        counts = coo_matrix(
            (np.ones(len(columns), dtype=np.float32), (rows, np.asarray(columns, dtype=np.int32))),
            shape=(len(folded), len(self._vocabulary)),
        ).tocsr()  # duplicates summed: term counts
        counts.data = (1.0 + np.log(counts.data)) * self._idf[counts.indices]
        matrix = counts
        return normalize(matrix)

    def _features(self, word: str) -> list[int]:
        vocabulary = self._vocabulary
        features = [vocabulary[g] for g in self._analyze(word) if g in vocabulary]
        if len(self._word_features) >= _CACHE_LIMIT:
            self._word_features.clear()
        self._word_features[word] = features
        return features


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
