"""Hashed word n-gram counts with a memory of hashes already computed.

The models were trained on scikit-learn's ``HashingVectorizer(analyzer="word",
token_pattern=r"\\S+", lowercase=False, alternate_sign=False, norm=None)``. That is: split
on whitespace, add the space-joined n-grams,
MurmurHash3 (seed 0, signed 32 bit) of each n-gram's UTF-8 bytes, column ``abs(h) %
n_features``. Hashing is most of its cost, and words repeat from one mention to the next,
so ``HashedNgrams`` remembers the column of every n-gram it has seen (up to ``memory``
entries, then it starts afresh: memory stays bounded in a long-running worker). The
matrix is the same as scikit-learn's, value for value (tests/scoring/test_hashing.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

_MIN_INT32 = -(2**31)


class HashedNgrams:
    """Counts of hashed word 1..``max_n``-grams, as ``HashingVectorizer`` makes them."""

    def __init__(self, bits: int, max_n: int = 1, memory: int = 200_000) -> None:
        self.n_features = 1 << bits
        self.max_n = max_n
        self.memory = memory
        self._columns: dict[str, int] = {}

    def column(self, gram: str) -> int:
        h: int = murmurhash3_32(gram, seed=0, positive=False)
        if h == _MIN_INT32:  # abs(-2**31) overflows int32; scikit-learn defines it so
            return (2**31 - 1 - (self.n_features - 1)) % self.n_features
        return abs(h) % self.n_features

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        """One row of n-gram counts per document (float32, column indices sorted)."""
        columns = self._columns
        if len(columns) > self.memory:
            columns.clear()
        cols: list[int] = []
        indptr = [0]
        for doc in docs:
            tokens = doc.split()  # str.split and the regex \S+ agree on what whitespace is
            grams = tokens
            if self.max_n >= 2 and len(tokens) > 1:
                grams = list(tokens)
                for n in range(2, self.max_n + 1):
                    grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
            for gram in grams:
                col = columns.get(gram)
                if col is None:
                    col = columns[gram] = self.column(gram)
                cols.append(col)
            indptr.append(len(cols))
        matrix = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), np.array(cols, dtype=np.int32), np.array(indptr, dtype=np.int32)),
            shape=(len(docs), self.n_features),
        )
        matrix.sum_duplicates()
        return matrix
