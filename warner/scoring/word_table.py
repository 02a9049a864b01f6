"""Count matrices and logits for many texts at once, from a table of every word already seen.

``Featurizer.counts`` (features.py) is the definition: normalise, mark negation, count
hashed word 1-2-grams and lexicon tokens, count hashed ``char_wb`` 2-5-grams. It works text
by text and token by token in Python. Here each distinct raw word is worked out once — its
normalised tokens — and each distinct token once — its word-block column, lexicon column,
negation flags, UTF-8 bytes and character n-gram row — and kept in arrays indexed by token
id. A batch then costs one dict lookup per raw word; the rest (negation marks, word pairs,
counts, TF-IDF, the heads) is compiled code over those arrays (fused.py). Python touches
only words never seen before. The counts equal ``Featurizer.counts`` value for value
(tests/scoring/test_word_table.py).

The table forgets everything when it holds ``memory`` tokens and starts afresh, so a worker
that runs for months stays bounded; ``generation`` counts the starts, because token ids mean
something else after one. Raw words come and go faster (every number, link and handle is
one), so they alone are forgotten when ``memory`` of them are held.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, islice
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from warner.memo import remembered
from warner.scoring import fused
from warner.scoring.features import FeatureConfig
from warner.scoring.hashing import column_of
from warner.scoring.polarity import NEGATIVE_PHRASES, lexicon_class
from warner.scoring.text import (
    DIGITS,
    ELONGATION,
    NEGATION_SCOPE,
    PLACEHOLDERS,
    SCOPE_END,
    is_negator,
    normalise_prepared,
    prepare,
    takes_negation,
)

TextIds = tuple[int, ...]


class _Column:
    """A numpy array that grows (capacity doubles) as tokens are added; ``values`` may be longer than used."""

    def __init__(self, dtype: type[np.generic], fill: int = 0) -> None:
        self.values: NDArray[Any] = np.full(1024, fill, dtype=dtype)
        self.fill = fill
        self.size = 0  # used by ``extend``

    def _room(self, size: int) -> None:
        if size > len(self.values):
            grown = np.full(max(2 * len(self.values), size), self.fill, dtype=self.values.dtype)
            grown[: len(self.values)] = self.values
            self.values = grown

    def put(self, index: int, value: object) -> None:
        self._room(index + 1)
        self.values[index] = value

    def extend(self, values: NDArray[Any]) -> None:
        self._room(self.size + len(values))
        self.values[self.size : self.size + len(values)] = values
        self.size += len(values)


class WordTable:
    """Raw texts → token ids → the count matrix of ``Featurizer.counts`` (word and character blocks)."""

    def __init__(self, config: FeatureConfig, memory: int = 200_000) -> None:
        if config.word_max_n not in (1, 2) or not config.negation:
            raise ValueError("WordTable covers word 1-2-grams with negation marking (the shipped models)")
        self.config = config
        self.memory = memory
        self.generation = 0
        self._word_features = 1 << config.word_bits
        self._reset()

    def _reset(self) -> None:
        self.generation += 1
        self._raw: dict[str, TextIds] = {}  # raw word -> its tokens' ids
        self._elongated: set[str] = set()  # raw words that add ``xelong`` to their text
        self._ids: dict[str, int] = {}
        self._tokens: list[str] = []
        self._unigram = _Column(np.int32)  # column in the word block
        self._lexicon = _Column(np.int32, -1)  # column of the token's lexicon token, -1 for none
        self._negator = _Column(np.bool_)
        self._scope_end = _Column(np.bool_)  # ends a negation's scope
        self._markable = _Column(np.bool_)  # takes a ``neg_`` prefix in a negation's scope
        self._negated = _Column(np.int64, -1)  # id of ``neg_`` + the token, -1 until needed
        self._byte_start = _Column(np.int64)  # the token's UTF-8 bytes in ``_bytes`` (word pairs are hashed from them)
        self._byte_size = _Column(np.int64)
        self._bytes = _Column(np.uint8)
        self._word = _Column(np.bool_)  # counts as a word for "does this text have words" (models.py)
        self._char_start = _Column(np.int64)
        self._char_size = _Column(np.int64)
        self._char_indices = _Column(np.int32)  # every token's row, one after the other
        self._char_data = _Column(np.float32)
        self._char_known = 0  # tokens with a character row; the rest are made at the next ``counts``
        phrases = np.array(sorted(self._id(a) << 32 | self._id(b) for a, b in NEGATIVE_PHRASES), dtype=np.int64)
        self._layout = fused.Layout(self._word_features, self.config.word_max_n == 2, self.config.lexicon, phrases,
                                    column_of("xlexneg", self._word_features))
        self._xelong = self._id("xelong")
        self._zero = (self._id("0"),)

    # -- texts to ids ------------------------------------------------------------------------------

    def ids(self, texts: Sequence[str | None]) -> list[TextIds]:
        """The token ids of each text: ``normalise(text).split()``, as ids of this generation."""
        if len(self._ids) > self.memory:
            self._reset()
        elif len(self._raw) > self.memory:  # unique raw words (numbers, links, handles) come and go: ids stay
            self._raw.clear()
            self._elongated.clear()
        split = [prepare(text).split() if text else [] for text in texts]
        # One lookup of the whole batch's words (new words are learnt in text order), then cut per text.
        parts = iter(remembered(list(chain.from_iterable(split)), self._raw, self._learn, forget=str.isdecimal))
        out: list[TextIds] = []
        elongated = self._elongated
        for words in split:
            ids = tuple(chain.from_iterable(islice(parts, len(words))))
            if elongated and not elongated.isdisjoint(words):
                ids += (self._xelong,)
            out.append(ids)
        return out

    def _learn(self, word: str) -> TextIds:
        if word.isdecimal():  # digits of any script; normalised, every number is the token "0"
            return self._zero
        tokens, elongated = _plain_word(word) if word.isascii() and word.isalnum() else normalise_prepared(word)
        if elongated:
            self._elongated.add(word)
        return tuple(map(self._id, tokens.split()))

    def _id(self, token: str) -> int:
        known = self._ids.get(token)
        if known is not None:
            return known
        i = self._ids[token] = len(self._tokens)
        self._tokens.append(token)
        self._unigram.put(i, column_of(token, self._word_features))
        lexicon = lexicon_class(token)
        self._lexicon.put(i, column_of(lexicon, self._word_features) if lexicon else -1)
        self._negator.put(i, is_negator(token))
        self._scope_end.put(i, token in SCOPE_END)
        self._markable.put(i, takes_negation(token))
        self._negated.put(i, -1)
        encoded = np.frombuffer(token.encode("utf-8"), dtype=np.uint8)
        self._byte_start.put(i, self._bytes.size)
        self._byte_size.put(i, len(encoded))
        self._bytes.extend(encoded)
        self._word.put(i, token not in PLACEHOLDERS and token[0].isalpha() and len(token) > 1)
        return i

    def has_words(self, texts: list[TextIds]) -> list[bool]:
        """Whether each text has a real word (not only placeholders, digits, punctuation, emoji)."""
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        flat = np.fromiter(chain.from_iterable(texts), dtype=np.int64, count=int(sizes.sum()))
        words_before = np.concatenate([[0], np.cumsum(self._word.values[flat])])
        ends = np.cumsum(sizes)
        return (words_before[ends] > words_before[ends - sizes]).tolist()  # type: ignore[no-any-return]  # a list of bools

    # -- ids to counts -----------------------------------------------------------------------------

    def counts(self, texts: list[TextIds]) -> sp.csr_matrix:
        """Raw hashed n-gram counts, equal to ``Featurizer.counts`` of the texts the ids came from."""
        tokens, marked, text_ptr = self._prepared(texts)
        return fused.counts(tokens, marked, text_ptr, self._arrays(), self._layout, self.config.n_features)

    def logits(self, texts: list[TextIds], rows: NDArray[np.float32],
               intercepts: NDArray[np.float32]) -> NDArray[np.float32]:
        """``Featurizer.weight(self.counts(texts)) @ weights + intercepts`` in one compiled pass (fused.py);
        ``rows`` is ``fused.head_rows(idf, weights)``."""
        tokens, marked, text_ptr = self._prepared(texts)
        return fused.logits(tokens, marked, text_ptr, self._arrays(), self._layout, rows, intercepts)

    def _prepared(self, texts: list[TextIds]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """The batch as flat token ids, the same after negation marking, and where each text starts."""
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        tokens = np.fromiter(chain.from_iterable(texts), dtype=np.int64, count=int(sizes.sum()))
        text_ptr = np.concatenate([[0], np.cumsum(sizes)])
        marks = fused.negation_marks(tokens, text_ptr, self._negator.values, self._scope_end.values,
                                     self._markable.values, NEGATION_SCOPE)
        marked = tokens
        if marks.any():
            negated = tokens[marks]
            for t in np.unique(negated[self._negated.values[negated] < 0]).tolist():
                self._negated.put(t, self._id("neg_" + self._tokens[t]))
            marked = tokens.copy()
            marked[marks] = self._negated.values[negated]
        self._make_char_rows()  # after marking, which may add tokens
        return tokens, marked, text_ptr

    def _arrays(self) -> fused.TokenArrays:
        return fused.TokenArrays(
            self._unigram.values, self._lexicon.values, self._byte_start.values, self._byte_size.values,
            self._bytes.values, self._char_start.values, self._char_size.values, self._char_indices.values,
            self._char_data.values,
        )

    def _make_char_rows(self) -> None:
        """Character n-gram rows for the tokens added since the last batch, in one pass."""
        new = self._tokens[self._char_known :]
        if not new:
            return
        config = self.config
        made = fused.char_rows(new, config.char_min_n, config.char_max_n, 1 << config.char_bits)
        first = self._char_known
        starts = self._char_indices.size + made.indptr[:-1]
        for k, (start, size) in enumerate(zip(starts.tolist(), np.diff(made.indptr).tolist(), strict=True)):
            self._char_start.put(first + k, start)
            self._char_size.put(first + k, size)
        self._char_indices.extend(made.indices)
        self._char_data.extend(made.data)
        self._char_known = len(self._tokens)


def _plain_word(word: str) -> tuple[str, bool]:
    """``normalise_prepared`` of an ASCII letters-and-digits word, without the scans that cannot apply.

    Only three patterns can touch such a word: ``xD`` (an emoticon: left to the full path),
    elongation and digits. It stays one token.
    """
    if "xD" in word or "XD" in word:
        return normalise_prepared(word)
    text = word.lower()
    elongated = ELONGATION.search(text) is not None
    if elongated:
        text = ELONGATION.sub(r"\1", text)
    return (text if text.isalpha() else DIGITS.sub("0", text)), elongated
