"""The service's worker with the detect stage on the test's clock: early judgment, seen from outside.

``ClockedWorker`` sends records through ingest and lets the worker (score, count, detect)
process them with the detect stage's clock where the test says, so that "the open bucket" is
whichever minute the test fills; every incident event is kept.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

ANGRY = [
    "Kesselberg hat mich abgezockt, nie wieder!",
    "Frechheit, das Bier von Kesselberg war schal und teuer",
    "Finger weg von Kesselberg, totaler Betrug",
    "Kesselberg ignoriert jede Beschwerde, unverschämt",
]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class ClockedWorker:
    """The service's worker on the test's Redis, its detect stage on the test's clock, each event kept."""

    def __init__(self, redis: Any, config: Any, now: float) -> None:
        from warner.detect.early import EarlyChecks
        from warner.detect.stage import DetectStage
        from warner.metrics import Metrics
        from warner.service import build_worker

        self.redis, self.config = redis, config
        self.events: list[Any] = []
        self.clock = Clock(now)
        self.worker = build_worker(config, redis, Metrics(), hooks=[self._hook])
        self.stage = next(s for s in self.worker.stages if isinstance(s, DetectStage))
        self.stage.clock = self.clock
        self.stage.early_checks = EarlyChecks(clock=self.clock)  # once a second of the test's clock

    async def _hook(self, event: Any) -> None:
        self.events.append(event)

    async def send(self, records: list[dict[str, Any]], now: float) -> None:
        """The records arrive through ingest at ``now`` and the worker processes them."""
        from warner.ingest.accept import append, resolve
        from warner.ingest.brands import BrandMatcher
        from warner.mention import Mention
        from warner.store.streams import MentionStream

        self.clock.now = now
        mentions = [Mention.model_validate(r) for r in records]
        resolved = resolve(mentions, "webhook", self.config, BrandMatcher(self.config.brands))
        await append(MentionStream(self.redis), resolved, self.config, int(time.time() * 1000))
        await self.worker.drain()

    def pages(self) -> list[Any]:
        return [e for e in self.events if e.incident.severity in ("warning", "critical")]


def post(n: int, at: float, author: str | None = None, text: str | None = None) -> dict[str, Any]:
    """An angry post (or ``text``) at ``at`` from a new person (or ``author``)."""
    return {
        "id": f"p{n}",
        "text": text or ANGRY[n % len(ANGRY)],
        "created_at": datetime.fromtimestamp(at, UTC).isoformat(),
        "author": author or f"person-{n}",
        "author_followers": 300,
    }


def a_minute_ago() -> int:
    """The start of a minute twenty minutes ago: the bucket a test fills."""
    now = int(time.time()) - 1200
    return now - now % 60
