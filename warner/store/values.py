"""Values as Redis hands them back: bytes from warner's clients (they do not decode), str where types allow it."""

from __future__ import annotations


def as_text(value: bytes | str) -> str:
    """A reply, hash field or value as text (UTF-8, which is how warner writes every one)."""
    return value.decode() if isinstance(value, bytes) else value
