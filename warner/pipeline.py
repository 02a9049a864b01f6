"""What flows through the worker, and the one interface every stage implements.

A stage receives a batch of envelopes in stream order and enriches them (score) or
records them (count, detect, …). Stages must be idempotent: after a crash the same batch
may be delivered again, and must not be counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from warner.core import TextScore
from warner.mention import Mention


@dataclass(slots=True)
class Envelope:
    """A mention in flight, with what the stages have learnt about it so far."""

    entry_id: str
    mention: Mention
    received_ms: int
    score: TextScore | None = None
    # When the mention was posted, epoch seconds: counting and detection both need it, and
    # datetime.timestamp() per use was a measurable share of a busy worker's time.
    created_s: int = field(init=False)

    def __post_init__(self) -> None:
        self.created_s = int(self.mention.created_at.timestamp())

    @property
    def brand(self) -> str | None:
        return self.mention.brand


class Stage(Protocol):
    """One step of the pipeline; see the module docstring for the idempotence contract."""

    name: str

    async def process(self, batch: Sequence[Envelope]) -> None: ...
