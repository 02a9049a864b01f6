"""Hashed word and character n-gram counts with a memory of hashes already computed.

The models were trained on scikit-learn's ``HashingVectorizer(analyzer="word",
token_pattern=r"\\S+", lowercase=False, alternate_sign=False, norm=None)``. That is: split
on whitespace, add the space-joined n-grams,
MurmurHash3 (seed 0, signed 32 bit) of each n-gram's UTF-8 bytes, column ``abs(h) %
n_features``. Hashing is most of its cost, and words repeat from one mention to the next,
so ``HashedNgrams`` remembers the column of every n-gram it has seen (up to ``memory``
entries, then it starts afresh: memory stays bounded in a long-running worker). The
matrix is the same as scikit-learn's, value for value (tests/scoring/test_hashing.py).

``HashedCharNgrams`` does the same for ``analyzer="char_wb"`` on single words: each word
padded with one space on either side, its n-grams of every length from ``min_n`` to
``max_n`` (a word shorter than ``n`` counts once, as itself, and ends the lengths).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from warner.memo import remembered

_MIN_INT32 = -(2**31)


class HashedNgrams:
    """Counts of hashed word 1..``max_n``-grams, as ``HashingVectorizer`` makes them."""

    def __init__(self, bits: int, max_n: int = 1, memory: int = 200_000) -> None:
        self.n_features = 1 << bits
        self.max_n = max_n
        self.memory = memory
        self._columns: dict[str, int] = {}

    def column(self, gram: str) -> int:
        return column_of(gram, self.n_features)

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        """One row of n-gram counts per document (float32, column indices sorted)."""
        # str.split and the regex \S+ agree on what whitespace is
        return self.transform_tokens([doc.split() for doc in docs])

    def transform_tokens(self, docs: Sequence[list[str]], extra: Sequence[list[str]] | None = None) -> sp.csr_matrix:
        """``transform`` of documents already split into tokens; ``extra`` adds unigrams to each row
        (counted as if they were more tokens, but never part of an n-gram)."""
        columns = self._columns
        if len(columns) > self.memory:
            columns.clear()
        grams: list[str] = []
        ends = []
        for i, tokens in enumerate(docs):
            grams += tokens
            if self.max_n >= 2 and len(tokens) > 1:
                grams += map(" ".join, zip(tokens, tokens[1:], strict=False))
                for n in range(3, self.max_n + 1):
                    grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
            if extra is not None:
                grams += extra[i]
            ends.append(len(grams))
        return _gram_counts(grams, ends, columns, self.n_features)


class HashedCharNgrams:
    """Counts of hashed ``char_wb`` n-grams of single words, as ``HashingVectorizer`` makes them."""

    def __init__(self, bits: int, min_n: int, max_n: int, memory: int = 200_000) -> None:
        self.n_features = 1 << bits
        self.min_n = min_n
        self.max_n = max_n
        self.memory = memory
        self._columns: dict[str, int] = {}

    def transform(self, words: Sequence[str]) -> sp.csr_matrix:
        """One row of n-gram counts per word (float32, column indices sorted)."""
        if len(self._columns) > self.memory:
            self._columns.clear()
        grams: list[str] = []
        ends = []
        for word in words:
            padded = f" {word} "
            size = len(padded)
            for n in range(self.min_n, self.max_n + 1):
                if size <= n:
                    grams.append(padded)
                    break
                grams += [padded[i : i + n] for i in range(size - n + 1)]
            ends.append(len(grams))
        return _gram_counts(grams, ends, self._columns, self.n_features)


def _gram_counts(grams: list[str], ends: list[int], columns: dict[str, int], n_features: int) -> sp.csr_matrix:
    """Rows of counts: row ``i`` counts ``grams[ends[i - 1]:ends[i]]`` (float32, column indices sorted)."""
    found = remembered(grams, columns, lambda gram: column_of(gram, n_features))
    matrix = sp.csr_matrix(
        (np.ones(len(found), dtype=np.float32), np.array(found, dtype=np.int32), np.array([0, *ends], dtype=np.int64)),
        shape=(len(ends), n_features),
    )
    matrix.sum_duplicates()
    return matrix


def column_of(gram: str, n_features: int) -> int:
    h: int = murmurhash3_32(gram, seed=0, positive=False)
    if h == _MIN_INT32:  # abs(-2**31) overflows int32; scikit-learn defines it so
        return (2**31 - 1 - (n_features - 1)) % n_features
    return abs(h) % n_features


