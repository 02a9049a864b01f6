"""The scorer's inner loops, compiled: a text's n-gram counts, TF-IDF and the linear heads in one pass.

``Featurizer.counts`` (features.py) defines the features and ``Featurizer.weight(counts) @
weights + intercepts`` the logits. In Python and scipy that is a dict lookup per word pair,
a sparse matrix per block, then sorting, logarithms, scaling, normalising and multiplying,
each a pass over every n-gram of the batch with a new array in between. Here numba compiles
one loop per text over the word table's arrays (word_table.py):

* negation marks (``mark_negation_tokens``) from per-token flags (``negation_marks``);
* the word block: each marked token's column and lexicon column, each pair's column (the
  MurmurHash3 of the two tokens' UTF-8 bytes joined by a space, as scikit-learn hashes it),
  the negative-phrase token;
* the character block: each token's stored ``char_wb`` row;
* counts gathered in a dense scratch vector (only the columns a text touches are read back
  and cleared), then 1 + log(count), times idf, L2-normalised, times the heads.

The values are scikit-learn's (float32 TF-IDF); the sums (the norm, each head's dot product)
run in float64 in the order the text's tokens touch the columns. Sorting the columns to sum in
scipy's order would cost more than everything else here together; in float64 the order hardly
matters, the logits equal scipy's to float32 precision (tests/scoring/test_fused.py) and
depend on the text alone, never on the rest of its batch or on what the scorer saw before.

numba installs from a wheel; the compiled code is cached beside this file, or where numba finds
room (``$NUMBA_CACHE_DIR``, ``~/.cache/numba``), so only the first start after an install
compiles (a few seconds). Where there is no room at all (a read-only install and home), it
compiles at every start rather than refusing to start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

_MASK32 = 0xFFFFFFFF


class TokenArrays(NamedTuple):
    """What the loops need of every token, indexed by token id (word_table.py keeps them)."""

    unigram: NDArray[np.int32]  # column in the word block
    lexicon: NDArray[np.int32]  # column of the token's lexicon token, -1 for none
    byte_start: NDArray[np.int64]  # the token's UTF-8 bytes: token_bytes[byte_start:byte_start + byte_size]
    byte_size: NDArray[np.int64]
    token_bytes: NDArray[np.uint8]
    char_start: NDArray[np.int64]  # its char_wb row: char_indices/char_data[char_start:char_start + char_size]
    char_size: NDArray[np.int64]
    char_indices: NDArray[np.int32]
    char_data: NDArray[np.float32]


class Layout(NamedTuple):
    """The feature space: ``FeatureConfig`` as the loops need it."""

    word_features: int  # the character block's columns start here
    bigrams: bool
    lexicon: bool
    phrases: NDArray[np.int64]  # sorted (id << 32 | id) pairs that add the ``xlexneg`` token
    xlexneg: int


def negation_marks(
    tokens: NDArray[np.int64], text_ptr: NDArray[np.int64], negator: NDArray[np.bool_],
    scope_end: NDArray[np.bool_], markable: NDArray[np.bool_], scope: int,
) -> NDArray[np.bool_]:
    """Which positions ``mark_negation_tokens`` prefixes with ``neg_``, by the tokens' flags."""
    marks: NDArray[np.bool_] = _negation_marks(tokens, text_ptr, negator, scope_end, markable, scope)
    return marks


def head_rows(idf: NDArray[np.float32], weights: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each feature's head weights and then its idf in one row of a multiple of 16 float32s (64 bytes).

    A text touches a few hundred columns scattered over the feature space, and each touch read
    the column's weights (40 bytes that straddle a cache line every other time) and its idf
    (another array): two or three cache misses. One aligned row is one.
    """
    n, k = weights.shape
    width = -(-(k + 1) // 16) * 16
    rows = np.zeros((n, width), dtype=np.float32)  # a large zeroed block comes page-aligned from the allocator
    rows[:, :k] = weights
    rows[:, k] = idf
    return rows


def logits(
    tokens: NDArray[np.int64], marked: NDArray[np.int64], text_ptr: NDArray[np.int64], table: TokenArrays,
    layout: Layout, rows: NDArray[np.float32], intercepts: NDArray[np.float32],
) -> NDArray[np.float32]:
    """Logits (texts x the heads' columns): ``weight(counts) @ weights + intercepts``.

    Text ``i`` is ``tokens[text_ptr[i]:text_ptr[i + 1]]`` (ids; the character block) and the
    same span of ``marked`` (the ids after negation marking; the word block). ``rows`` holds
    the weights and the idf (``head_rows``).
    """
    scratch = np.zeros(len(rows), dtype=np.float32)
    out: NDArray[np.float32] = _logits(tokens, marked, text_ptr, *table, *layout, rows, intercepts, scratch)
    return out


def counts(
    tokens: NDArray[np.int64], marked: NDArray[np.int64], text_ptr: NDArray[np.int64], table: TokenArrays,
    layout: Layout, n_features: int,
) -> sp.csr_matrix:
    """The raw count matrix the logits are made from (column indices sorted): what tests compare."""
    scratch = np.zeros(n_features, dtype=np.float32)
    indptr, indices, data = _counts(tokens, marked, text_ptr, *table, *layout, scratch)
    return sp.csr_matrix((data, indices, indptr), shape=(len(text_ptr) - 1, n_features))


def char_rows(words: list[str], min_n: int, max_n: int, n_features: int) -> sp.csr_matrix:
    """``HashedCharNgrams(bits, min_n, max_n).transform(words)``, compiled: for the tokens a batch brings new.

    Each word padded with a space on either side, its n-grams of ``min_n`` to ``max_n``
    characters (a padded word no longer than ``n`` counts once, as itself, and ends the
    lengths), each hashed from its UTF-8 bytes; rows with sorted columns and summed counts.
    """
    sizes = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    code_points = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32)
    word_ptr = np.concatenate([[0], np.cumsum(sizes)])
    indptr, indices, data = _char_rows(code_points, word_ptr, min_n, max_n, n_features)
    return sp.csr_matrix((data, indices, indptr), shape=(len(words), n_features))


def murmur3_32(data: bytes) -> int:
    """MurmurHash3 (x86, 32 bit, seed 0) of ``data`` as a signed int: scikit-learn's ``murmurhash3_32``."""
    return int(_murmur(np.frombuffer(data, dtype=np.uint8), 0, len(data)))


# -- compiled ------------------------------------------------------------------------------------
# numba infers every type below; mypy sees untyped functions.


def _compiled(inline: Literal["never", "always"] = "never") -> Callable[[Callable[..., Any]], Any]:
    """``njit`` with its code cached on disk when numba finds a writable place for it."""

    def wrap(function: Callable[..., Any]) -> Any:
        try:
            return njit(cache=True, nogil=True, inline=inline)(function)
        except RuntimeError:  # "no locator available": nowhere to write the cache; compile at each start
            return njit(cache=False, nogil=True, inline=inline)(function)

    return wrap


@_compiled()
def _negation_marks(tokens, text_ptr, negator, scope_end, markable, scope):  # type: ignore[no-untyped-def]  # numba infers the types
    marks = np.zeros(len(tokens), dtype=np.bool_)
    for i in range(len(text_ptr) - 1):
        left = 0
        for j in range(text_ptr[i], text_ptr[i + 1]):
            t = tokens[j]
            if scope_end[t]:
                left = 0
            elif negator[t]:
                left = scope
            elif left > 0 and markable[t]:
                left -= 1
                marks[j] = True
    return marks


@_compiled()
def _rotl(x, r):  # type: ignore[no-untyped-def]  # numba infers the types
    return ((x << r) | (x >> (32 - r))) & _MASK32


@_compiled()
def _murmur(data, start, size):  # type: ignore[no-untyped-def]  # numba infers the types
    """MurmurHash3_x86_32 of ``data[start:start + size]``, seed 0, as a signed 32-bit value (int64)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = 0
    end = start + size - size % 4
    for b in range(start, end, 4):
        k = np.int64(data[b]) | np.int64(data[b + 1]) << 8 | np.int64(data[b + 2]) << 16 | np.int64(data[b + 3]) << 24
        k = _rotl((k * c1) & _MASK32, 15)
        k = (k * c2) & _MASK32
        h = _rotl(h ^ k, 13)
        h = (h * 5 + 0xE6546B64) & _MASK32
    tail = size % 4
    if tail:
        k = np.int64(0)
        if tail == 3:
            k ^= np.int64(data[end + 2]) << 16
        if tail >= 2:
            k ^= np.int64(data[end + 1]) << 8
        k ^= np.int64(data[end])
        k = _rotl((k * c1) & _MASK32, 15)
        k = (k * c2) & _MASK32
        h ^= k
    h ^= size
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK32
    h ^= h >> 16
    return h - (1 << 32) if h >= 1 << 31 else h


@_compiled()
def _utf8(code_points, start, end, out):  # type: ignore[no-untyped-def]  # numba infers the types
    """Write ``code_points[start:end]`` as UTF-8 into ``out``; returns the number of bytes."""
    k = 0
    for j in range(start, end):
        c = code_points[j]
        if c < 0x80:
            out[k] = c
            k += 1
        elif c < 0x800:
            out[k] = 0xC0 | (c >> 6)
            out[k + 1] = 0x80 | (c & 0x3F)
            k += 2
        elif c < 0x10000:
            out[k] = 0xE0 | (c >> 12)
            out[k + 1] = 0x80 | ((c >> 6) & 0x3F)
            out[k + 2] = 0x80 | (c & 0x3F)
            k += 3
        else:
            out[k] = 0xF0 | (c >> 18)
            out[k + 1] = 0x80 | ((c >> 12) & 0x3F)
            out[k + 2] = 0x80 | ((c >> 6) & 0x3F)
            out[k + 3] = 0x80 | (c & 0x3F)
            k += 4
    return k


@_compiled()
def _char_rows(code_points, word_ptr, min_n, max_n, n_features):  # type: ignore[no-untyped-def]  # numba infers the types
    n = len(word_ptr) - 1
    longest = 0
    total = 0
    for i in range(n):
        size = word_ptr[i + 1] - word_ptr[i] + 2
        longest = max(longest, size)
        total += size * (max_n - min_n + 1)
    padded = np.empty(longest, dtype=np.uint32)
    gram = np.empty(4 * max_n + 4 * longest, dtype=np.uint8)
    columns = np.empty(total, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices = np.empty(total, dtype=np.int32)
    data = np.empty(total, dtype=np.float32)
    for i in range(n):
        size = word_ptr[i + 1] - word_ptr[i] + 2
        padded[0] = 32
        padded[1 : size - 1] = code_points[word_ptr[i] : word_ptr[i + 1]]
        padded[size - 1] = 32
        used = 0
        for g in range(min_n, max_n + 1):
            if size <= g:
                columns[used] = _column(_murmur(gram, 0, _utf8(padded, 0, size, gram)), n_features)
                used += 1
                break
            for start in range(size - g + 1):
                columns[used] = _column(_murmur(gram, 0, _utf8(padded, start, start + g, gram)), n_features)
                used += 1
        row = np.sort(columns[:used])
        at = indptr[i]
        k = -1
        for j in range(used):
            if k >= 0 and indices[at + k] == row[j]:
                data[at + k] += 1
            else:
                k += 1
                indices[at + k] = row[j]
                data[at + k] = 1
        indptr[i + 1] = at + k + 1
    return indptr, indices[: indptr[n]], data[: indptr[n]]


@_compiled()
def _column(h, n):  # type: ignore[no-untyped-def]  # numba infers the types
    if h == -(1 << 31):  # abs(-2**31) overflows int32; scikit-learn defines it so
        return (2**31 - 1 - (n - 1)) % n
    return abs(h) % n


@_compiled()
def _widest(tokens, marked, text_ptr, byte_size, char_size):  # type: ignore[no-untyped-def]  # numba infers the types
    """The most entries any text can touch, and the longest (marked) token in bytes."""
    widest, longest = 0, 0
    for i in range(len(text_ptr) - 1):
        # up to 4 word-block columns a token, counted twice over: _gather lists them at the end
        # of ``touched`` while it fills the front, and the front must never reach the list
        size = 8 * (text_ptr[i + 1] - text_ptr[i])
        for j in range(text_ptr[i], text_ptr[i + 1]):
            size += char_size[tokens[j]]
        widest = max(widest, size)
    for j in range(len(marked)):
        longest = max(longest, byte_size[marked[j]])
    return widest, longest


@_compiled(inline="always")
def _gather(i, tokens, marked, text_ptr, unigram, lexicon, byte_start, byte_size, token_bytes,  # type: ignore[no-untyped-def]  # numba infers the types
            char_start, char_size, char_indices, char_data, word_features, bigrams, use_lexicon, phrases, xlexneg,
            scratch, touched, pair):
    """Count text ``i``'s n-grams into ``scratch``; their columns, first touch first, into ``touched``.

    The word block's columns are listed first (at the end of ``touched``), then counted with
    the character rows' in one place: a helper function per count would cost more than the
    counting (numba counts references to the arrays passed on each call).
    """
    first, last = text_ptr[i], text_ptr[i + 1]
    words = len(touched)
    for j in range(first, last):
        t = marked[j]
        words -= 1
        touched[words] = unigram[t]
        if use_lexicon and lexicon[t] >= 0:
            words -= 1
            touched[words] = lexicon[t]
        if j + 1 < last:
            u = marked[j + 1]
            if bigrams:
                a, b = byte_size[t], byte_size[u]
                for q in range(a):
                    pair[q] = token_bytes[byte_start[t] + q]
                pair[a] = 32  # the space that joins them
                for q in range(b):
                    pair[a + 1 + q] = token_bytes[byte_start[u] + q]
                words -= 1
                touched[words] = _column(_murmur(pair, 0, a + 1 + b), word_features)
            if use_lexicon and len(phrases):
                key = t << 32 | u
                k = np.searchsorted(phrases, key)
                if k < len(phrases) and phrases[k] == key:
                    words -= 1
                    touched[words] = xlexneg
    used = 0
    for q in range(len(touched) - 1, words - 1, -1):
        column = touched[q]
        if scratch[column] == 0:
            touched[used] = column
            used += 1
        scratch[column] += np.float32(1)
    for j in range(first, last):
        start = char_start[tokens[j]]
        for r in range(start, start + char_size[tokens[j]]):
            column = word_features + char_indices[r]
            if scratch[column] == 0:
                touched[used] = column
                used += 1
            scratch[column] += char_data[r]
    return used


@_compiled()
def _logits(tokens, marked, text_ptr, unigram, lexicon, byte_start, byte_size, token_bytes,  # type: ignore[no-untyped-def]  # numba infers the types
            char_start, char_size, char_indices, char_data, word_features, bigrams, use_lexicon, phrases, xlexneg,
            rows, intercepts, scratch):
    n = len(text_ptr) - 1
    k = len(intercepts)  # rows[:, :k] are the heads' weights, rows[:, k] the idf
    out = np.empty((n, k), dtype=np.float32)
    widest, longest = _widest(tokens, marked, text_ptr, byte_size, char_size)
    touched = np.empty(widest, dtype=np.int64)
    pair = np.empty(2 * longest + 1, dtype=np.uint8)
    z = np.empty(k, dtype=np.float64)
    for i in range(n):
        used = _gather(i, tokens, marked, text_ptr, unigram, lexicon, byte_start, byte_size, token_bytes,
                       char_start, char_size, char_indices, char_data, word_features, bigrams, use_lexicon, phrases,
                       xlexneg, scratch, touched, pair)
        norm = 0.0
        z[:] = 0.0
        for j in range(used):
            column = touched[j]
            value = (np.float32(1) + np.log(scratch[column])) * rows[column, k]
            scratch[column] = 0
            norm += np.float64(value) * value
            for h in range(k):
                z[h] += value * np.float64(rows[column, h])
        if norm > 0:
            norm = np.sqrt(norm)
            for h in range(k):
                z[h] /= norm
        for h in range(k):
            out[i, h] = np.float32(z[h]) + intercepts[h]
    return out


@_compiled()
def _counts(tokens, marked, text_ptr, unigram, lexicon, byte_start, byte_size, token_bytes,  # type: ignore[no-untyped-def]  # numba infers the types
            char_start, char_size, char_indices, char_data, word_features, bigrams, use_lexicon, phrases, xlexneg,
            scratch):
    n = len(text_ptr) - 1
    widest, longest = _widest(tokens, marked, text_ptr, byte_size, char_size)
    touched = np.empty(widest, dtype=np.int64)
    pair = np.empty(2 * longest + 1, dtype=np.uint8)
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices = np.empty(n * widest, dtype=np.int32)
    data = np.empty(n * widest, dtype=np.float32)
    for i in range(n):
        used = _gather(i, tokens, marked, text_ptr, unigram, lexicon, byte_start, byte_size, token_bytes,
                       char_start, char_size, char_indices, char_data, word_features, bigrams, use_lexicon, phrases,
                       xlexneg, scratch, touched, pair)
        columns = np.sort(touched[:used])
        at = indptr[i]
        for j in range(used):
            indices[at + j] = columns[j]
            data[at + j] = scratch[columns[j]]
            scratch[columns[j]] = 0
        indptr[i + 1] = at + used
    return indptr, indices[: indptr[n]], data[: indptr[n]]
