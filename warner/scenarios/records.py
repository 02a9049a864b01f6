"""Turning posts into ingest records: ids, authors, Berlin timestamps, duplicate deliveries."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warner.core import BERLIN
from warner.scenarios.rhythm import followers, poisson


@dataclass(frozen=True, slots=True)
class Post:
    """One post as a scenario invents it; ``author``/``followers`` default to a random person."""

    text: str
    kind: str
    author: str | None = None
    followers: int | None = None
    lang: str | None = None
    reply_to: str | None = None


class RecordLog:
    """Collects posts in any order and delivers them as a webhook would: in time order,
    a small share twice (same source and id)."""

    def __init__(self, prefix: str, seed: int, rng: random.Random) -> None:
        self._prefix = f"{prefix}-{seed}"
        self._rng = rng
        self._rows: list[tuple[int, dict[str, Any]]] = []
        self.kinds: dict[str, str] = {}

    def add(self, epoch: int, post: Post) -> str:
        """Record ``post`` as created at ``epoch``; return its id."""
        n = len(self._rows)
        record_id = f"{self._prefix}-{n:06d}"
        record: dict[str, Any] = {
            "id": record_id,
            "source": "webhook",
            "text": post.text,
            "created_at": datetime.fromtimestamp(epoch, BERLIN).isoformat(timespec="seconds"),
            "author": post.author or f"user{self._rng.randrange(1, 60_000)}",
            "author_followers": post.followers if post.followers is not None else followers(self._rng),
            "url": f"https://social.example/p/{self._prefix}-{n}",
        }
        if post.lang:
            record["lang"] = post.lang
        if post.reply_to:
            record["reply_to"] = post.reply_to
        self._rows.append((epoch, record))
        self.kinds[record_id] = post.kind
        return record_id

    def emit(self, start: datetime, per_minute: Sequence[float], post: Callable[[random.Random, int], Post]) -> None:
        """A Poisson number of posts in each minute from ``start``; ``post(rng, minute)`` writes each."""
        t0 = int(start.timestamp())
        rng = self._rng
        for minute, lam in enumerate(per_minute):
            for _ in range(poisson(rng, lam)):
                self.add(t0 + minute * 60 + rng.randrange(60), post(rng, minute))

    def deliveries(self, duplicate_share: float) -> list[dict[str, Any]]:
        """All records in time order; ``duplicate_share`` of them delivered a second time."""
        out: list[dict[str, Any]] = []
        for _, record in sorted(self._rows, key=lambda row: row[0]):
            out.append(record)
            if self._rng.random() < duplicate_share:
                out.append(dict(record))
        return out
