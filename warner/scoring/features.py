"""One shared feature space for every model: hashed word and character n-grams, TF-IDF.

Texts are normalised and hashed once per batch; language, sentiment and toxicity
models are linear on the same matrix, which is what makes scoring all of them at
once fast. Hashing keeps artifacts free of vocabularies: the only fitted state is the
``idf`` vector, learnt on the union of all training texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.preprocessing import normalize as l2_normalise

from warner.scoring.hashing import HashedCharNgrams, HashedNgrams
from warner.scoring.polarity import lexicon_tokens_of
from warner.scoring.text import mark_negation_tokens, normalise

CHAR_MEMORY = 200_000  # distinct words whose character n-grams a featurizer remembers


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """How texts become vectors; stored in the artifact beside the weights."""

    word_bits: int = 18
    char_bits: int = 18
    word_max_n: int = 2
    char_min_n: int = 2
    char_max_n: int = 5
    negation: bool = True
    sublinear_tf: bool = True
    # Polarity-lexicon tokens (``warner.scoring.polarity``) counted in the word block.
    # Off by default so bundles written before it existed keep their meaning.
    lexicon: bool = False

    def to_dict(self) -> dict[str, int | bool]:
        return asdict(self)

    @property
    def n_features(self) -> int:
        return (1 << self.word_bits) + (1 << self.char_bits)


class Featurizer:
    """Normalise, hash and weight texts; ``fit_idf`` once, then ``transform`` many times."""

    def __init__(self, config: FeatureConfig, idf: NDArray[np.float32] | None = None) -> None:
        self.config = config
        self.idf = idf
        # Word block: HashingVectorizer(analyzer="word", token_pattern=r"\S+") made faster by
        # remembering hashes (warner/scoring/hashing.py); the matrices are the same.
        self._words = HashedNgrams(config.word_bits, config.word_max_n)
        self._char_rows: dict[str, tuple[NDArray[np.int32], NDArray[np.float32]]] = {}
        # Character block: HashingVectorizer(analyzer="char_wb"), word by word (see _char_counts).
        self._chars = HashedCharNgrams(config.char_bits, config.char_min_n, config.char_max_n)

    def counts(self, texts: Sequence[str | None]) -> sp.csr_matrix:
        """Raw hashed n-gram counts of the texts."""
        return self.counts_normalised([normalise(t) for t in texts])

    def counts_normalised(self, plain: list[str]) -> sp.csr_matrix:
        """Raw hashed n-gram counts of texts already passed through ``normalise``."""
        if not plain:
            return sp.csr_matrix((0, self.config.n_features), dtype=np.float32)
        tokens = [p.split() for p in plain]
        marked = [mark_negation_tokens(t) for t in tokens] if self.config.negation else tokens
        # Lexicon tokens are unigrams of the word block, never in a bigram with real words.
        lexicon = [lexicon_tokens_of(m) for m in marked] if self.config.lexicon else None
        word_counts = self._words.transform_tokens(marked, lexicon)
        return sp.hstack([word_counts, self._char_counts(tokens)], format="csr")

    def _char_counts(self, tokens: list[list[str]]) -> sp.csr_matrix:
        """``char_wb`` n-grams work word by word, so each distinct word is hashed once and remembered.

        Equal to ``HashingVectorizer(analyzer="char_wb").transform(plain)``, several times faster
        on tweets because words repeat: counts = (text x word counts) @ (word x n-gram counts),
        and the n-gram row of a word already seen (up to ``CHAR_MEMORY`` words) is taken from
        memory rather than made again.
        """
        n_chars = 1 << self.config.char_bits
        flat = [word for words in tokens for word in words]
        if not flat:
            return sp.csr_matrix((len(tokens), n_chars), dtype=np.float32)
        distinct = list(dict.fromkeys(flat))
        rows = self._char_rows
        if len(rows) > CHAR_MEMORY:
            rows.clear()
        missing = [word for word in distinct if word not in rows]
        if missing:
            made = self._chars.transform(missing)
            for i, word in enumerate(missing):
                start, end = made.indptr[i], made.indptr[i + 1]
                rows[word] = (made.indices[start:end], made.data[start:end])
        known = list(map(rows.__getitem__, distinct))
        word_ngrams = sp.csr_matrix(
            (np.concatenate([r[1] for r in known]), np.concatenate([r[0] for r in known]),
             np.cumsum([0, *(len(r[0]) for r in known)], dtype=np.int64)),
            shape=(len(distinct), n_chars),
        )
        position = dict(zip(distinct, range(len(distinct)), strict=True))
        words_in_texts = sp.csr_matrix(
            (np.ones(len(flat), dtype=np.float32), np.fromiter(map(position.__getitem__, flat), np.int32, len(flat)),
             np.cumsum([0, *map(len, tokens)], dtype=np.int64)),
            shape=(len(tokens), len(distinct)),
        )
        words_in_texts.sum_duplicates()
        return (words_in_texts @ word_ngrams).tocsr()

    def fit_idf(self, texts: Sequence[str | None]) -> Featurizer:
        """Learn smoothed inverse document frequencies (as scikit-learn's TfidfTransformer)."""
        counts = self.counts(texts)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        n = counts.shape[0]
        self.idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        return self

    def weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF weight and L2-normalise a count matrix."""
        if self.idf is None:
            raise RuntimeError("Featurizer.fit_idf must run before transform")
        x = counts.copy()
        # Sums (the norm, then each head's dot product) run in column order: the same scores for a
        # text whatever order its counts were built in.
        x.sort_indices()
        if self.config.sublinear_tf:
            np.log(x.data, out=x.data)
            x.data += 1
        x.data *= self.idf[x.indices]
        return l2_normalise(x, copy=False)

    def transform(self, texts: Sequence[str | None]) -> sp.csr_matrix:
        return self.weight(self.counts(texts))
