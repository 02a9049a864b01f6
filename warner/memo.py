"""Looking up many keys in a memory at once, making each missing value once.

The scorer (words, n-grams) and the brand matcher (pieces of text) keep a dict
of what they worked out for each distinct key, because keys repeat from one text to the next.
Looking a batch of keys up one by one in a Python loop cost more than the work it saved, so
the lookups run in C (``map``) and Python only touches the keys not seen before.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from itertools import compress, repeat
from operator import is_
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def remembered(keys: list[K], memory: dict[K, V], make: Callable[[K], V]) -> list[V]:
    """``memory[k]`` for every key, in order; a key not in memory gets ``make(key)``, once, and keeps it.

    ``make`` must never return None (None marks a key not yet known).
    """
    found = list(map(memory.get, keys))
    if None in found:
        for key in dict.fromkeys(compress(keys, map(is_, found, repeat(None)))):  # in order: reproducible
            memory[key] = make(key)
        return list(map(memory.__getitem__, keys))
    return found  # type: ignore[return-value]  # no None among them, as just checked
