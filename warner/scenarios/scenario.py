"""What a scenario is: a stream of mention records plus what a detector should make of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from warner.ingest.config import BrandConfig

Severity = Literal["info", "warning", "critical"]

# What a record is, by construction (``Scenario.kinds``): the ground truth a test or a
# benchmark compares the pipeline's view with.
BRAND = "brand"  # everyday talk about the scenario's brand
EVENT = "event"  # a post of the event: the storm, the wave, the flood
NEIGHBOUR = "neighbour"  # everyday talk about another configured brand
LOOKALIKE = "lookalike"  # looks like a brand but matches none (excluded term, no alias)
KINDS = (BRAND, EVENT, NEIGHBOUR, LOOKALIKE)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named stream of mention records (dicts in the ingest API's format) and its verdict.

    The stream runs from ``start`` to ``end``; everything before ``judged_from`` is history a
    learning detector may use as its baseline, and alerts there are not judged. From
    ``judged_from`` on, the detector is judged for ``brand`` only:

    - ``expect_alert``: an episode must open between ``onset`` and ``event_end``;
    - ``max_severity``: no episode in the judged part may exceed it; ``None`` means no
      episode may open at all (a quiet week must stay silent);
    - ``deadline``: when set, someone must have been paged (``warning`` or ``critical``)
      within this long of the onset.

    ``brands`` are the brands the stream talks about, in ``BrandConfig``'s shape, so a test
    can build a config that matches the texts; ``kinds`` says, per record id, what the
    record is (``BRAND``, ``EVENT``, ``NEIGHBOUR``, ``LOOKALIKE``).
    """

    name: str
    description: str
    brand: str
    start: datetime
    end: datetime
    onset: datetime | None
    mentions: list[dict[str, Any]]
    judged_from: datetime
    event_end: datetime | None = None
    expect_alert: bool = True
    max_severity: Severity | None = "critical"
    deadline: timedelta | None = None
    brands: list[dict[str, Any]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def storm_start(self) -> datetime | None:
        """The older name of ``onset``."""
        return self.onset

    @property
    def history(self) -> timedelta:
        """How much of the stream comes before the judged part."""
        return self.judged_from - self.start

    def brand_configs(self) -> list[BrandConfig]:
        """The scenario's brands as validated config sections."""
        return [BrandConfig.model_validate(b) for b in self.brands]
