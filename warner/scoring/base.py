"""The scoring contract every scorer fulfils, so the worker does not care which one runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from warner.core import TextScore


class Scorer(Protocol):
    """Scores texts in batches; batching is what makes vectorised models fast."""

    name: str

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[TextScore]:
        """Return one score per text, in order. ``langs`` are hints from the source, may be None."""
        ...
