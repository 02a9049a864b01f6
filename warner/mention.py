"""A mention: one post, comment or article that talks about a brand.

It is validated once at the edge (the ingest API, replay) and crosses every stage after
that as this immutable model.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 timestamp with time zone, e.g. 2026-11-21T19:30:00+01:00")
    return value


def _id_text(value: Any) -> Any:
    """Numeric ids (as many platforms send them) are kept as their decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Identifier = Annotated[str, BeforeValidator(_id_text), Field(min_length=1, max_length=512)]


class Mention(BaseModel):
    """A mention as accepted by warner; ``brand`` and ``source`` are always set once stored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    id: Identifier
    source: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    text: Annotated[str, Field(max_length=50_000)]
    created_at: Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
    brand: Annotated[str, Field(max_length=64)] | None = None
    author: Annotated[str, Field(max_length=256)] | None = None
    author_followers: Annotated[int, Field(ge=0)] | None = None
    url: Annotated[str, Field(max_length=2048, pattern=r"^https?://")] | None = None
    lang: Annotated[str, Field(pattern=r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$")] | None = None
    reply_to: Identifier | None = None
    extra: dict[str, Any] | None = None

    @property
    def reach(self) -> int:
        """Potential audience: the author's followers (0 when unknown)."""
        return self.author_followers or 0

    @property
    def key(self) -> str:
        """Unique across sources: what dedupe and idempotent counting are keyed on."""
        return f"{self.source}:{self.id}"
