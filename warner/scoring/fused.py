"""TF-IDF weighting and the linear heads in one compiled pass over each text's n-grams.

``Featurizer.weight(counts) @ weights + intercepts`` builds a sparse count matrix, sorts it,
takes logarithms, scales, normalises and multiplies, each a pass over every n-gram of the
batch with a Python/scipy call and a new array in between: about half of what scoring a new
text cost. Here numba compiles one loop that does all of it text by text, with the counts
gathered in a dense scratch vector (only the columns a text touches are read back and
cleared). The values are scikit-learn's (float32 TF-IDF); the sums (the norm, each head's dot
product) run in float64, in the order the text's tokens touch the columns. Sorting the columns
to sum in scipy's order would cost more than everything else here together; in float64 the
order hardly matters, the logits equal scipy's to float32 precision (tests/scoring/test_fused.py)
and depend on the text alone, never on the rest of its batch or on what the scorer saw before.

numba installs from a wheel; the compiled code is cached beside this file (or in
``$NUMBA_CACHE_DIR``), so only the first start after an install compiles (about a second).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


def logits(
    word_ptr: NDArray[np.int64],
    word_cols: NDArray[np.int64],
    token_ptr: NDArray[np.int64],
    tokens: NDArray[np.int64],
    char_start: NDArray[np.int64],
    char_size: NDArray[np.int64],
    char_indices: NDArray[np.int32],
    char_data: NDArray[np.float32],
    char_offset: int,
    idf: NDArray[np.float32],
    weights: NDArray[np.float32],
    intercepts: NDArray[np.float32],
) -> NDArray[np.float32]:
    """Logits (texts x heads' columns) of texts given as n-gram columns.

    Text ``i`` counts each of ``word_cols[word_ptr[i]:word_ptr[i + 1]]`` once, and for each
    token ``t`` of ``tokens[token_ptr[i]:token_ptr[i + 1]]`` the character row stored at
    ``char_start[t]`` (``char_size[t]`` entries of ``char_indices``/``char_data``; a column
    there is ``char_offset`` plus the index). Sublinear TF (1 + log count) times ``idf``,
    L2-normalised, times ``weights`` plus ``intercepts``.
    """
    scratch = np.zeros(len(idf), dtype=np.float32)
    out: NDArray[np.float32] = _logits(
        word_ptr, word_cols, token_ptr, tokens, char_start, char_size, char_indices, char_data,
        char_offset, idf, weights, intercepts, scratch,
    )
    return out


@njit(cache=True, nogil=True)
def _logits(word_ptr, word_cols, token_ptr, tokens, char_start, char_size, char_indices, char_data,  # type: ignore[no-untyped-def]  # numba infers the types
            char_offset, idf, weights, intercepts, scratch):
    n = len(word_ptr) - 1
    k = weights.shape[1]
    out = np.empty((n, k), dtype=np.float32)
    widest = 0
    for i in range(n):
        size = word_ptr[i + 1] - word_ptr[i]
        for j in range(token_ptr[i], token_ptr[i + 1]):
            size += char_size[tokens[j]]
        widest = max(widest, size)
    touched = np.empty(widest, dtype=np.int64)
    z = np.empty(k, dtype=np.float64)
    for i in range(n):
        used = 0
        for j in range(word_ptr[i], word_ptr[i + 1]):
            column = word_cols[j]
            if scratch[column] == 0:
                touched[used] = column
                used += 1
            scratch[column] += np.float32(1)
        for j in range(token_ptr[i], token_ptr[i + 1]):
            start = char_start[tokens[j]]
            for r in range(start, start + char_size[tokens[j]]):
                column = char_offset + char_indices[r]
                if scratch[column] == 0:
                    touched[used] = column
                    used += 1
                scratch[column] += char_data[r]
        norm = 0.0
        z[:] = 0.0
        for j in range(used):
            column = touched[j]
            value = (np.float32(1) + np.log(scratch[column])) * idf[column]
            scratch[column] = 0
            norm += np.float64(value) * value
            for h in range(k):
                z[h] += value * np.float64(weights[column, h])
        if norm > 0:
            norm = np.sqrt(norm)
            for h in range(k):
                z[h] /= norm
        for h in range(k):
            out[i, h] = np.float32(z[h]) + intercepts[h]
    return out
