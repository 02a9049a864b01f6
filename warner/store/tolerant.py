"""Stored state read tolerantly, and what to raise when it cannot be read at all.

Processes of two versions share one Redis during a rolling upgrade (and after a rollback), so
a stored shape may carry a field this version does not know (written by a newer one) or lack
one it expects (written by an older one). ``known_fields`` keeps what this version knows and
lets a missing field start at its default — the failure this prevents was an older worker
dead-lettering every mention on ``WindowEvidence.__init__() got an unexpected keyword
argument 'authors'``. A change an older version cannot read this way is a change of the data
format (``store/data_format.py``).

``StateUnreadable`` says "my own stored state is unreadable", as opposed to "this mention is
bad": the worker stops on it and leaves the mentions pending for a worker that can read it,
instead of dead-lettering them (``warner/worker.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any


class StateUnreadable(Exception):
    """Stored state (a detector, an incident) that this version cannot read; never the mention's fault."""

    def __init__(self, what: str, key: str, error: BaseException | str) -> None:
        self.what = what
        self.key = key
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        super().__init__(f"{what} in {key} cannot be read by this warner ({reason})")


def known_fields(cls: type[Any], data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The entries of ``data`` that are fields of the dataclass ``cls`` (unknown ones dropped).

    A field missing from ``data`` is left out, so the constructor gives it its default; a
    required field that is missing still fails there (a ``TypeError``: that state is unreadable).
    """
    if not is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in dict(data or {}).items() if k in names}
