"""A mention: one post, comment or article that talks about a brand.

It is validated once at the edge (the ingest API, replay) and crosses every stage after
that as this immutable model.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

# Bounds at the edge: what is accepted here must survive every later step (Redis' integers,
# Lua's doubles, local-time week arithmetic, re-reading the stored JSON). A value outside
# them is refused with a 400 naming the field, never accepted and lost later.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # buckets are epoch seconds: no negative ones
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # far beyond any real post; year 9999 breaks zone maths
MAX_FOLLOWERS = 10**10  # more than people on earth; sums of a batch stay exact in Lua (< 2**53)
MAX_EXTRA_DEPTH = 32  # nesting of ``extra``; pydantic re-reads stored JSON only to ~200 levels

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 timestamp with time zone, e.g. 2026-11-21T19:30:00+01:00")
    return value


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return value


def _shallow(value: Any) -> Any:
    """Refuse ``extra`` nested deeper than ``MAX_EXTRA_DEPTH`` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list | tuple) else ()
        for child in children:
            if isinstance(child, dict | list | tuple):
                if depth + 1 > MAX_EXTRA_DEPTH:
                    raise ValueError(f"nested deeper than {MAX_EXTRA_DEPTH} levels")
                stack.append((child, depth + 1))
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
    created_at: Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_range)]
    brand: Annotated[str, Field(max_length=64)] | None = None
    author: Annotated[str, Field(max_length=256)] | None = None
    author_followers: Annotated[int, Field(ge=0, le=MAX_FOLLOWERS)] | None = None
    url: Annotated[str, Field(max_length=2048, pattern=r"^https?://")] | None = None
    lang: Annotated[str, Field(pattern=r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$")] | None = None
    reply_to: Identifier | None = None
    extra: Annotated[dict[str, Any], BeforeValidator(_shallow)] | None = None

    @property
    def reach(self) -> int:
        """Potential audience: the author's followers (0 when unknown)."""
        return self.author_followers or 0

    @property
    def key(self) -> str:
        """Unique across sources: what dedupe and idempotent counting are keyed on."""
        return f"{self.source}:{self.id}"
