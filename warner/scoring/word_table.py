"""Count matrices for many texts at once, from a table of every word already seen.

``Featurizer.counts`` (features.py) is the definition: normalise, mark negation, count
hashed word 1-2-grams and lexicon tokens, count hashed ``char_wb`` 2-5-grams. It works text
by text and token by token in Python. Here each distinct raw word is worked out once — its
normalised tokens — and each distinct token once — its word-block column, lexicon column,
negation role and character n-gram row — and kept in a table indexed by token id. A batch
then costs one dict lookup per raw word and numpy over flat id arrays; Python walks tokens
only for texts with a negator and for words never seen. The matrices equal
``Featurizer.counts`` value for value (tests/scoring/test_word_table.py).

The table forgets everything when it holds ``memory`` tokens and starts afresh, so a worker
that runs for months stays bounded; ``generation`` counts the starts, because token ids mean
something else after one. Raw words come and go faster (every number, link and handle is
one), so they alone are forgotten when ``memory`` of them are held; word pairs when twice
as many are.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from warner.memo import remembered
from warner.scoring import fused
from warner.scoring.features import FeatureConfig
from warner.scoring.hashing import HashedCharNgrams, column_of
from warner.scoring.polarity import NEGATIVE_PHRASES, lexicon_class
from warner.scoring.text import (
    DIGITS,
    ELONGATION,
    NEGATORS,
    PLACEHOLDERS,
    mark_negation_tokens,
    normalise_prepared,
    prepare,
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
        self._chars = HashedCharNgrams(config.char_bits, config.char_min_n, config.char_max_n)
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
        self._word = _Column(np.bool_)  # counts as a word for "does this text have words" (models.py)
        self._char_start = _Column(np.int64)
        self._char_size = _Column(np.int64)
        self._char_indices = _Column(np.int32)  # every token's row, one after the other
        self._char_data = _Column(np.float32)
        self._char_known = 0  # tokens with a character row; the rest are made at the next ``counts``
        self._bigrams: dict[int, int] = {}  # (id << 32 | id) -> column in the word block
        self._phrases = np.array(sorted(self._id(a) << 32 | self._id(b) for a, b in NEGATIVE_PHRASES), dtype=np.int64)
        self._xelong = self._id("xelong")
        self._xlexneg = column_of("xlexneg", self._word_features)

    # -- texts to ids ------------------------------------------------------------------------------

    def ids(self, texts: Sequence[str | None]) -> list[TextIds]:
        """The token ids of each text: ``normalise(text).split()``, as ids of this generation."""
        if len(self._ids) > self.memory:
            self._reset()
        elif len(self._raw) > self.memory:  # unique raw words (numbers, links, handles) come and go: ids stay
            self._raw.clear()
            self._elongated.clear()
        raw = self._raw
        out: list[TextIds] = []
        for text in texts:
            if not text:
                out.append(())
                continue
            words = prepare(text).split()
            parts: list[TextIds] = remembered(words, raw, self._learn)
            ids = tuple(chain.from_iterable(parts))
            if self._elongated and not self._elongated.isdisjoint(words):
                ids += (self._xelong,)
            out.append(ids)
        return out

    def _learn(self, word: str) -> TextIds:
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
        self._negator.put(i, token in NEGATORS or token.endswith("n't"))
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
        n = len(texts)
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        flat = np.fromiter(chain.from_iterable(texts), dtype=np.int64, count=int(sizes.sum()))
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        rows, columns = self._word_entries(texts, flat, sizes, indptr)
        words = sp.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), (rows, columns)), shape=(n, self._word_features)
        )
        words.sum_duplicates()
        chars = self._char_block(flat, indptr, n)
        return sp.hstack([words, chars], format="csr")

    def logits(self, texts: list[TextIds], idf: NDArray[np.float32], weights: NDArray[np.float32],
               intercepts: NDArray[np.float32]) -> NDArray[np.float32]:
        """``Featurizer.weight(self.counts(texts)) @ weights + intercepts`` in one compiled pass (fused.py)."""
        n = len(texts)
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        flat = np.fromiter(chain.from_iterable(texts), dtype=np.int64, count=int(sizes.sum()))
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        rows, columns = self._word_entries(texts, flat, sizes, indptr)
        self._make_char_rows()
        order = np.argsort(rows, kind="stable")
        word_ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
        return fused.logits(
            word_ptr, columns[order], indptr, flat,
            self._char_start.values, self._char_size.values, self._char_indices.values, self._char_data.values,
            self._word_features, idf, weights, intercepts,
        )

    def _marked(self, texts: list[TextIds], flat: NDArray[np.int64], indptr: NDArray[np.int64]) -> NDArray[np.int64]:
        """``flat`` with negation marking: only texts with a negator are walked in Python."""
        negator = self._negator.values[flat]
        if not negator.any():
            return flat
        marked = flat.copy()
        with_negator = np.unique(np.searchsorted(indptr, np.flatnonzero(negator), side="right") - 1)
        tokens = self._tokens
        for t in with_negator.tolist():
            start, end = int(indptr[t]), int(indptr[t + 1])
            words = mark_negation_tokens([tokens[i] for i in texts[t]])
            found = list(map(self._ids.get, words))
            marked[start:end] = [self._id(w) if i is None else i for w, i in zip(words, found, strict=True)]
        return marked

    def _word_entries(self, texts: list[TextIds], flat: NDArray[np.int64], sizes: NDArray[np.int64],
                      indptr: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(text, word-block column) of every word n-gram and lexicon token; each counts once."""
        marked = self._marked(texts, flat, indptr)  # may add ids: read the columns after it
        rows = np.repeat(np.arange(len(texts)), sizes)
        row_parts = [rows]
        col_parts = [self._unigram.values[marked].astype(np.int64)]
        if len(marked) > 1:
            same_text = rows[:-1] == rows[1:]
            pair_keys = (marked[:-1] << 32 | marked[1:])[same_text]
            pair_rows = rows[:-1][same_text]
            if self.config.word_max_n == 2:
                row_parts.append(pair_rows)
                col_parts.append(np.asarray(self._bigram_columns(pair_keys), dtype=np.int64))
            if self.config.lexicon and len(self._phrases):
                phrase = np.isin(pair_keys, self._phrases)
                row_parts.append(pair_rows[phrase])
                col_parts.append(np.full(int(phrase.sum()), self._xlexneg, dtype=np.int64))
        if self.config.lexicon:
            lexicon = self._lexicon.values[marked]
            hit = lexicon >= 0
            row_parts.append(rows[hit])
            col_parts.append(lexicon[hit].astype(np.int64))
        return np.concatenate(row_parts).astype(np.int64), np.concatenate(col_parts)

    def _bigram_columns(self, keys: NDArray[np.int64]) -> list[int]:
        if len(self._bigrams) > 2 * self.memory:  # pairs outnumber words: forget them alone, ids stay
            self._bigrams.clear()
        tokens, mask = self._tokens, (1 << 32) - 1
        return remembered(keys.tolist(), self._bigrams,
                          lambda key: column_of(f"{tokens[key >> 32]} {tokens[key & mask]}", self._word_features))

    def _char_block(self, flat: NDArray[np.int64], indptr: NDArray[np.int64], n: int) -> sp.csr_matrix:
        """(text x token counts) @ (token x character n-gram counts), rows gathered from the table."""
        self._make_char_rows()
        n_chars = 1 << self.config.char_bits
        if not len(flat):
            return sp.csr_matrix((n, n_chars), dtype=np.float32)
        distinct, column = np.unique(flat, return_inverse=True)
        tokens_in_texts = sp.csr_matrix(
            (np.ones(len(flat), dtype=np.float32), column.astype(np.int32), indptr), shape=(n, len(distinct))
        )
        tokens_in_texts.sum_duplicates()
        starts, sizes = self._char_start.values[distinct], self._char_size.values[distinct]
        row_ptr = np.concatenate([[0], np.cumsum(sizes)])
        gather = np.repeat(starts - row_ptr[:-1], sizes) + np.arange(row_ptr[-1])
        token_ngrams = sp.csr_matrix(
            (self._char_data.values[gather], self._char_indices.values[gather], row_ptr),
            shape=(len(distinct), n_chars),
        )
        return (tokens_in_texts @ token_ngrams).tocsr()

    def _make_char_rows(self) -> None:
        """Character n-gram rows for the tokens added since the last batch, in one pass."""
        new = self._tokens[self._char_known :]
        if not new:
            return
        made = self._chars.transform(new)
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
