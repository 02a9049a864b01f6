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


def remembered(
    keys: list[K], memory: dict[K, V], make: Callable[[K], V], forget: Callable[[K], bool] | None = None
) -> list[V]:
    """``memory[k]`` for every key, in order; a key not in memory gets ``make(key)``, once, and keeps it.

    ``make`` must never return None (None marks a key not yet known). A new key for which
    ``forget(key)`` holds is made but not kept: keys that will not come again (every number is a
    word of its own) would only fill the memory and make it start afresh sooner.
    """
    found = list(map(memory.get, keys))
    if None in found:
        missing = list(dict.fromkeys(compress(keys, map(is_, found, repeat(None)))))  # in order: reproducible
        for key in missing:
            memory[key] = make(key)
        made = list(map(memory.__getitem__, keys))
        if forget is not None:
            for key in filter(forget, missing):
                del memory[key]
        return made
    return found  # type: ignore[return-value]  # no None among them, as just checked
