"""The detector in the worker: close buckets, advance each brand's state, record incidents.

A bucket is *closed* once the newest mention of its brand is ``lateness`` past its end (or,
for a live brand, once the wall clock is — ``tick`` runs every bucket so quiet minutes are
learnt and storms can end without new mentions). Closing reads the bucket counters (the
source of truth, idempotent), feeds them to the ``Detector`` in order, and saves the state
and the incident writes in one transaction under the brand's lock, so with many workers
each bucket is judged exactly once and a restart resumes where the state says.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import orjson
import structlog
from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from warner.detect.config import DetectSettings
from warner.detect.counters import BucketCounter, BucketCounts
from warner.detect.detector import BrandDetector, Decision, Detector, Observation, vouched_negatives
from warner.detect.early import EarlyChecks, could_be_at_once, judge_early
from warner.detect.incident_writes import queue_incident_writes
from warner.incidents.model import Incident, IncidentEvent, TopMention
from warner.incidents.store import IncidentStore
from warner.metrics import Metrics
from warner.pipeline import Envelope
from warner.store import keys
from warner.store.scripts import run_script_calls
from warner.store.streams import MentionStream
from warner.store.tolerant import StateUnreadable

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

    from warner.store.connection import RedisClient

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
        redis: RedisClient,
        config: DetectSettings,
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
        self.stream = MentionStream(redis)
        self.hooks = list(hooks)
        self.metrics = metrics
        self.clock = clock
        self.width = int(config.bucket.total_seconds())
        self.lateness = int(config.detect.lateness.total_seconds())
        self._detectors: dict[str, Detector] = {}
        self._remember = redis.register_script(_REMEMBER)
        self._token = uuid.uuid4().hex.encode()  # this stage's own detector-lock token (see _judging)
        self._judges: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.early_checks = EarlyChecks()

    def detector(self, brand: str) -> Detector:
        if brand not in self._detectors:
            b = self.config.brand(brand)
            self._detectors[brand] = Detector(
                self.config.detect, self.config.bucket, budget_per_week=b.alert_budget_per_week if b else None
            )
        return self._detectors[brand]

    async def process(self, batch: Sequence[Envelope]) -> None:
        newest: dict[str, int] = {}
        buckets: dict[str, set[int]] = defaultdict(set)
        recent: dict[str, list[bytes]] = defaultdict(list)
        angry: set[str] = set()
        for e in batch:
            brand = e.brand
            if brand is None:
                continue
            if e.score is not None and e.score.sentiment == "negative":
                angry.add(brand)
            at = e.created_s
            newest[brand] = max(newest.get(brand, at), at)
            buckets[brand].add(at - at % self.width)
            recent[brand].append(b"%d %s" % (at, _recent_member(e)))
        if recent:
            calls = [
                ([keys.recent_mentions(brand)], [newest[brand] - RECENT_SECONDS, RECENT_MAX, b"\n".join(lines)])
                for brand, lines in recent.items()
            ]
            await run_script_calls(self.redis, self._remember, calls)  # a pipeline, or per slot on a cluster
        now = int(self.clock())
        for brand, at in newest.items():
            await self.advance(brand, min(at, now + self.width), counted=buckets[brand])
        for brand in angry:
            if self.early_checks.due(brand):
                await self.judge_early(brand)

    async def tick(self) -> None:
        """Advance every live brand to the wall clock (quiet buckets count too).

        Never past the oldest mention still in the stream: with a backlog (a burst, a slow
        worker, a dead one's batch waiting to be reclaimed) its buckets are not complete yet.
        """
        now = int(self.clock())
        received = await self.stream.oldest_received_s()
        if received is not None:
            now = min(now, received)
        for brand in [b.name for b in self.config.brands]:
            raw = await self.redis.get(keys.detector(brand))
            if raw is None:
                continue
            last = _read_state(brand, raw).last_bucket
            if last is not None and now - last <= LIVE_SECONDS:
                await self.advance(brand, now)

    async def advance(self, brand: str, until: int, counted: Collection[int] = ()) -> list[Decision]:
        """Close every bucket of ``brand`` that ended ``lateness`` before ``until``.

        ``counted``: the buckets mentions were just counted into; if one was already judged,
        the incident's figures are re-read from the counters (``_recount``).
        """
        closable = (until - self.lateness) // self.width * self.width - self.width
        detector = self.detector(brand)
        async with self._judging(brand):
            raw = await self.redis.get(keys.detector(brand))
            state = _read_state(brand, raw) if raw else self._new_state(brand)
            recounted = None
            late = [b for b in counted if state.last_bucket is not None and b <= state.last_bucket]
            if late:
                recounted = await self._recount(brand, state, late)
            if state.last_bucket is not None and closable <= state.last_bucket:
                if recounted is not None:
                    async with self.redis.pipeline(transaction=True) as pipe:
                        pipe.set(keys.incident(brand, recounted.number), orjson.dumps(recounted.to_json()))
                        pipe.set(keys.detector(brand), orjson.dumps(state.to_dict()))
                        await pipe.execute()
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
                incident, events = queue_incident_writes(pipe, brand, decisions, current, top)
                if recounted is not None and (incident is None or incident.number != recounted.number):
                    pipe.set(keys.incident(brand, recounted.number), orjson.dumps(recounted.to_json()))
                pipe.set(keys.detector(brand), orjson.dumps(state.to_dict()))
                await pipe.execute()
        if incident is not None and events:
            await self.incidents.index(incident)
        self._observe_metrics(brand, decisions, events)
        for event in events:
            await self._notify(event)
        return decisions

    async def judge_early(self, brand: str) -> list[Decision]:
        """Raise an episode now if the buckets not yet judged, the open one included, already justify it.

        See ``early.py``. The counts are read without the lock first: most looks end there, at
        two reads. Returns the decisions that announced it (none: nothing raised).
        """
        detector = self.detector(brand)
        now = int(self.clock())
        state, pending = await self._unjudged(brand, now)
        if not could_be_at_once(detector, pending):
            return []
        async with self._judging(brand):
            state, pending = await self._unjudged(brand, now)
            decisions = judge_early(detector, state, pending)
            if not decisions:
                return []
            decision = decisions[-1]  # the raise
            assert decision.episode is not None  # judge_early returns decisions about an episode
            current = await self.incidents.get(brand, decision.episode.number)
            top = await self._top(brand, decisions)
            async with self.redis.pipeline(transaction=True) as pipe:
                incident, events = queue_incident_writes(pipe, brand, decisions, current, top)
                pipe.set(keys.detector(brand), orjson.dumps(state.to_dict()))
                await pipe.execute()
        if incident is not None and events:
            await self.incidents.index(incident)
        judged = next(o for o in pending if o.start == decision.start)
        log.warning(
            "episode_raised_early",
            brand=brand,
            severity=decision.episode.severity,
            bucket=datetime.fromtimestamp(decision.start, UTC).isoformat(),
            at=datetime.fromtimestamp(now, UTC).isoformat(),
            seconds_into_bucket=now - judged.start,
            people=vouched_negatives(judged),
        )
        self._observe_metrics(brand, decisions, events)
        for event in events:
            await self._notify(event)
        return decisions

    async def _unjudged(self, brand: str, now: int) -> tuple[BrandDetector, list[Observation]]:
        """The brand's state and the counts of its buckets after the last judged one, up to ``now``."""
        raw = await self.redis.get(keys.detector(brand))
        state = _read_state(brand, raw) if raw else self._new_state(brand)
        first = None if state.last_bucket is None else state.last_bucket + self.width
        return state, [observation(c) for c in await self.counter.read(brand, first, now)]

    @asynccontextmanager
    async def _judging(self, brand: str) -> AsyncIterator[None]:
        """One judge of a brand at a time: across processes (a Redis lock), and in this one.

        The Redis lock expires 15 s after a holder died (kill -9); waiting longer than that
        always wins it. It carries this stage's own token and this stage takes it again when
        it finds it (``_OwnLock``): a Redis restart can leave our lock behind (the SET's reply
        was lost, or the release failed) and it must not stall this very worker for 15 s.
        The ticker and the worker share this stage, hence the in-process lock first.
        """
        async with self._judges[brand]:
            lock = _OwnLock(self.redis, keys.detector_lock(brand), timeout=15, blocking_timeout=20)
            if not await lock.acquire(token=self._token):
                raise LockError(f"detector lock of {brand} not acquired within 20 s")
            try:
                yield
            finally:
                await lock.release()

    async def _recount(self, brand: str, state: BrandDetector, late: list[int]) -> Incident | None:
        """Mentions counted into a bucket already judged reach the incident that covers it.

        A worker killed holding a batch, or a sender refused under backpressure and accepted a
        little later, brings counts for buckets the detector has closed. The judgment of those
        buckets stands; the incident's figures (and its episode's, which later buckets add to)
        are re-read from the bucket counters, the source of truth. Returns the corrected
        incident, or None when nothing changed.
        """
        episode = state.episode or state.last_episode
        if episode is None:
            return None
        incident = await self.incidents.get(brand, episode.number)
        if incident is None or not any(incident.started_at <= b <= incident.updated_at for b in late):
            return None
        counts = await self.counter.read(brand, incident.started_at, incident.updated_at)
        delta = {
            "mentions": sum(c.mentions for c in counts) - incident.mentions,
            "negatives": sum(c.negatives for c in counts) - incident.negatives,
            "toxic": sum(c.toxic for c in counts) - incident.toxic,
            "reach": sum(c.reach for c in counts) - incident.reach,
        }
        peak = max(counts, key=lambda c: c.mentions, default=None)
        grown_peak = peak is not None and peak.mentions > incident.peak_count
        if not any(delta.values()) and not grown_peak:
            return None
        for target in (incident, episode):
            for name, change in delta.items():
                setattr(target, name, getattr(target, name) + change)
        if grown_peak and peak is not None:
            incident.peak_at, incident.peak_count = peak.start, peak.mentions
            episode.peak_bucket, episode.peak_count = peak.start, peak.mentions
        log.info("incident_recounted", incident=incident.id, buckets=sorted(late), **delta)
        return incident

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


class _OwnLock(Lock):
    """A lock its holder's token takes again: a SET whose reply a Redis restart lost is ours, not a rival's."""

    async def do_acquire(self, token: str | bytes) -> bool:
        if await super().do_acquire(token):
            return True
        # Still holding our token: reset its expiry and go on (one atomic step, Lock's own script).
        assert self.timeout is not None  # _judging always gives one
        reacquire = cast("AsyncScript", self.lua_reacquire)  # registered by Lock.__init__; redis-py declares it None
        ours = await reacquire(keys=[self.name], args=[token, int(self.timeout * 1000)], client=self.redis)
        return bool(ours)


def _recent_member(e: Envelope) -> bytes:
    m = e.mention
    return orjson.dumps(
        {
            "key": m.key,
            "text": m.text[:500],
            "created_at": e.created_s,
            "reach": m.reach,
            "author": m.author,
            "url": m.url,
            "sentiment": e.score.sentiment if e.score else None,
            "lang": e.score.lang if e.score else None,
        }
    )


def _read_state(brand: str, raw: bytes | str) -> BrandDetector:
    """The brand's stored detector state, or ``StateUnreadable``: the worker's own state, never a mention's fault."""
    try:
        return BrandDetector.from_dict(orjson.loads(raw))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # not JSON, or not a shape this version reads
        raise StateUnreadable(f"the detector state of {brand}", keys.detector(brand), exc) from exc
