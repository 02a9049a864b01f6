"""The detector in the worker: close buckets, advance each brand's state, record incidents.

A bucket is *closed* once the newest mention of its brand is ``lateness`` past its end (or,
for a live brand, once the wall clock is — ``tick`` runs every bucket so quiet minutes are
learnt and storms can end without new mentions). Closing reads the bucket counters (the
source of truth, idempotent), feeds them to the ``Detector`` in order, and saves the state
and the incident writes in one transaction under the brand's lock, so with many workers
each bucket is judged exactly once and a restart resumes where the state says.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import orjson
import redis.asyncio as aioredis
import structlog

from warner.config import Config
from warner.detect.counters import BucketCounter, BucketCounts
from warner.detect.detector import BrandDetector, Decision, Detector, Observation
from warner.incidents import Incident, IncidentEvent, IncidentStore, TopMention
from warner.metrics import Metrics
from warner.pipeline import Envelope
from warner.store import keys
from warner.store.scripts import run_script_calls

log = structlog.get_logger(__name__)

IncidentHook = Callable[[IncidentEvent], Awaitable[None]]

RECENT_SECONDS = 6 * 3600
RECENT_MAX = 2000
LIVE_SECONDS = 86400  # a brand with a mention this recent follows the wall clock

# Remember a brand's recent mentions (for an incident's top posts) and trim to hours and
# RECENT_MAX. ARGV[3] holds "<epoch> <member JSON>" lines (JSON never holds a raw newline):
# one argument instead of two per mention, because redis-py packs each argument in Python.
_REMEMBER = """
local batch = {}
for score, member in string.gmatch(ARGV[3], '(-?%d+) ([^\\n]+)') do
  batch[#batch + 1] = score
  batch[#batch + 1] = member
  if #batch >= 1000 then redis.call('ZADD', KEYS[1], unpack(batch)); batch = {} end
end
if #batch > 0 then redis.call('ZADD', KEYS[1], unpack(batch)) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[2]) - 1)
"""


def observation(c: BucketCounts) -> Observation:
    return Observation(c.start, c.mentions, c.negatives, c.toxic, c.reach, c.authors)


class DetectStage:
    name = "detect"

    def __init__(
        self,
        redis: aioredis.Redis,
        config: Config,
        counter: BucketCounter,
        *,
        hooks: Sequence[IncidentHook] = (),
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.config = config
        self.counter = counter
        self.incidents = IncidentStore(redis)
        self.hooks = list(hooks)
        self.metrics = metrics
        self.clock = clock
        self.width = int(config.bucket.total_seconds())
        self.lateness = int(config.detect.lateness.total_seconds())
        self._detectors: dict[str, Detector] = {}
        self._remember = redis.register_script(_REMEMBER)

    def detector(self, brand: str) -> Detector:
        if brand not in self._detectors:
            b = self.config.brand(brand)
            self._detectors[brand] = Detector(
                self.config.detect, self.config.bucket, budget_per_week=b.alert_budget_per_week if b else None
            )
        return self._detectors[brand]

    async def process(self, batch: Sequence[Envelope]) -> None:
        newest: dict[str, int] = {}
        recent: dict[str, list[bytes]] = defaultdict(list)
        for e in batch:
            brand = e.brand
            if brand is None:
                continue
            at = int(e.mention.created_at.timestamp())
            newest[brand] = max(newest.get(brand, at), at)
            recent[brand].append(b"%d %s" % (at, _recent_member(e)))
        if recent:
            calls = [
                ([keys.recent_mentions(brand)], [newest[brand] - RECENT_SECONDS, RECENT_MAX, b"\n".join(lines)])
                for brand, lines in recent.items()
            ]
            await run_script_calls(self.redis, self._remember, calls)  # a pipeline, or per slot on a cluster
        now = int(self.clock())
        for brand, at in newest.items():
            await self.advance(brand, min(at, now + self.width))

    async def tick(self) -> None:
        """Advance every live brand to the wall clock (quiet buckets count too)."""
        now = int(self.clock())
        for brand in [b.name for b in self.config.brands]:
            raw = await self.redis.get(keys.detector(brand))
            if raw is None:
                continue
            last = orjson.loads(raw).get("last_bucket")
            if last is not None and now - last <= LIVE_SECONDS:
                await self.advance(brand, now)

    async def advance(self, brand: str, until: int) -> list[Decision]:
        """Close every bucket of ``brand`` that ended ``lateness`` before ``until``."""
        closable = (until - self.lateness) // self.width * self.width - self.width
        detector = self.detector(brand)
        # Expires 15 s after a holder died (kill -9); waiting longer than that always wins it.
        async with self.redis.lock(keys.detector_lock(brand), timeout=15, blocking_timeout=20):
            raw = await self.redis.get(keys.detector(brand))
            state = BrandDetector.from_dict(orjson.loads(raw)) if raw else self._new_state(brand)
            if state.last_bucket is not None and closable <= state.last_bucket:
                return []
            first = None if state.last_bucket is None else state.last_bucket + self.width
            counts = await self.counter.read(brand, first, closable)
            if state.last_bucket is None and not counts:
                return []
            decisions: list[Decision] = []
            for c in counts:
                decisions += detector.observe(state, observation(c))
            if state.last_bucket is None or state.last_bucket < closable:
                decisions += detector.observe(state, Observation(closable, 0, 0, 0, 0, 0))
            current = await self._current_incident(brand, decisions)
            top = await self._top(brand, decisions)
            async with self.redis.pipeline(transaction=True) as pipe:
                incident, events = self.incidents.apply(pipe, brand, decisions, current, top)
                pipe.set(keys.detector(brand), orjson.dumps(state.to_dict()))
                await pipe.execute()
        if incident is not None and events:
            await self.incidents.index(incident)
        self._observe_metrics(brand, decisions, events)
        for event in events:
            await self._notify(event)
        return decisions

    def _new_state(self, brand: str) -> BrandDetector:
        b = self.config.brand(brand)
        return self.detector(brand).new_state(b.expected_per_day if b else None)

    async def _current_incident(self, brand: str, decisions: list[Decision]) -> Incident | None:
        number = next((d.episode.number for d in decisions if d.episode is not None), None)
        return None if number is None else await self.incidents.get(brand, number)

    async def _top(self, brand: str, decisions: list[Decision]) -> list[TopMention]:
        since = min((d.episode.start for d in decisions if d.episode is not None), default=None)
        if since is None:
            return []
        mentions = await self.incidents.recent_mentions(brand, since)
        return sorted(mentions, key=lambda m: (-m.reach, m.created_at))[:20]

    def _observe_metrics(self, brand: str, decisions: list[Decision], events: list[IncidentEvent]) -> None:
        if self.metrics and decisions:
            self.metrics.detect_score.labels(brand).set(decisions[-1].score)
            self.metrics.detect_threshold.labels(brand).set(decisions[-1].threshold)
            for e in events:
                self.metrics.incident_events.labels(brand, e.kind).inc()

    async def _notify(self, event: IncidentEvent) -> None:
        log.warning(
            "incident_" + event.kind,
            incident=event.incident.id,
            severity=event.incident.severity,
            at=datetime.fromtimestamp(event.at, UTC).isoformat(),
            mentions=event.incident.mentions,
            expected=round(event.incident.expected, 1),
            negatives=event.incident.negatives,
        )
        for hook in self.hooks:
            try:
                await hook(event)
            except Exception:  # a broken channel must not stop detection
                log.exception("incident_hook_failed", incident=event.incident.id, kind=event.kind)


def _recent_member(e: Envelope) -> bytes:
    m = e.mention
    return orjson.dumps(
        {
            "key": m.key,
            "text": m.text[:500],
            "created_at": int(m.created_at.timestamp()),
            "reach": m.reach,
            "author": m.author,
            "url": m.url,
            "sentiment": e.score.sentiment if e.score else None,
        }
    )
