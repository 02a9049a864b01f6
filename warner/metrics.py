"""Prometheus metrics of one warner process, in a registry of its own (tests run many).

Alerting rules (deploy/prometheus/warner-rules.yml) use ``rate()`` and ``absent()``, which see
nothing of a labelled series until it exists: ``start_*_at_zero`` create the series whose label
values are known at start, so a rule works from the first scrape, not from the first failure.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

# The reasons ingest refuses a request with (ingest/app.py ``_refuse``).
REJECT_REASONS = (
    "unauthorized", "unsupported_media_type", "too_large", "bad_body", "forbidden", "invalid", "bad_signature",
    "replayed", "rate_limited", "store_unavailable", "backpressure",
)
DEAD_LETTER_REASONS = ("max_deliveries", "undecodable")  # worker.py
PAGE_RESULTS = ("ok", "transient", "permanent", "unreachable")  # notify/delivery.py
SOURCE_ERROR_KINDS = ("transient", "rate_limited", "permanent")  # ingest/sources/runner.py
INCIDENT_KINDS = ("opened", "escalated", "subsiding", "closed", "reopened")  # incidents/model.py EventKind


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # process_* (CPU, RSS, open fds, start time), python_info and python_gc_*: the same collectors
        # prometheus_client puts on its global registry, here on ours (the global one is never served).
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self.accepted = Counter("warner_ingest_accepted", "Mentions accepted into the stream", ["source"], registry=r)
        self.duplicates = Counter(
            "warner_ingest_duplicates", "Mentions already seen, acknowledged again", ["source"], registry=r
        )
        self.unmatched = Counter(
            "warner_ingest_unmatched", "Mentions accepted that match no configured brand", ["source"], registry=r
        )
        self.rejected = Counter("warner_ingest_rejected_requests", "Ingest requests refused", ["reason"], registry=r)
        self.request_seconds = Histogram(
            "warner_ingest_request_seconds",
            "Time to answer an ingest request",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.backlog = Gauge("warner_stream_backlog", "Mentions accepted but not yet processed", registry=r)
        self.store_writable = Gauge(
            "warner_store_writable", "1 while this process's writes to Redis work (store/write_health.py), else 0",
            registry=r,
        )
        self.processed = Counter("warner_worker_processed", "Stream entries processed and acknowledged", registry=r)
        self.counted = Counter("warner_worker_counted", "Mentions newly counted into buckets", ["brand"], registry=r)
        self.reclaimed = Counter("warner_worker_reclaimed", "Entries taken over from idle consumers", registry=r)
        self.score_lookups = Counter("warner_score_cache_lookups", "Texts the scorer was asked to score", registry=r)
        self.score_hits = Counter(
            "warner_score_cache_hits", "Texts scored from memory: a copy of a normalised text scored before",
            registry=r,
        )
        self.dead_lettered = Counter(
            "warner_worker_dead_lettered", "Entries moved to the dead-letter stream", ["reason"], registry=r
        )
        self.failures = Counter("warner_worker_stage_failures", "Stage errors", ["stage"], registry=r)
        self.decision_seconds = Histogram(
            "warner_ingest_to_decision_seconds",
            "From acceptance to the end of the pipeline",
            # Fine enough for a p50/p99 read off the buckets (bench/load.py does).
            buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5,
                     10, 15, 30, 60),
            registry=r,
        )
        self.detect_score = Gauge(
            "warner_detect_score", "Storm evidence of the last closed bucket", ["brand"], registry=r
        )
        self.detect_threshold = Gauge(
            "warner_detect_threshold", "Evidence that opens an episode", ["brand"], registry=r
        )
        self.incident_events = Counter("warner_incident_events", "Incident events", ["brand", "kind"], registry=r)
        self.page_attempts = Counter(
            "warner_page_attempts",
            "Attempts to deliver a page, by channel and result (ok, transient, permanent, unreachable)",
            ["channel", "result"],
            registry=r,
        )
        self.page_attempt_seconds = Histogram(
            "warner_page_attempt_seconds",
            "Time one delivery attempt took",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.pages_delivered = Counter("warner_pages_delivered", "Pages delivered, by channel", ["channel"], registry=r)
        self.pages_undeliverable = Counter(
            "warner_pages_undeliverable", "Pages no channel could deliver (someone was not reached)", registry=r
        )
        self.telegram_poller_up = Gauge(
            "warner_telegram_poller_up",
            "1 while this process polls Telegram and its last getUpdates worked; 0 when it fails or another "
            "process polls (alert on the max over workers, polling mode only)",
            registry=r,
        )
        # Pulled sources (ingest/sources/runner.py), one series per source.
        self.source_last_success = Gauge(
            "warner_source_last_success_timestamp_seconds", "When the source last polled successfully", ["source"],
            registry=r,
        )
        self.source_errors = Counter(
            "warner_source_errors", "Failed polls, by kind (transient, rate_limited, permanent)", ["source", "kind"],
            registry=r,
        )
        self.source_mentions = Counter(
            "warner_source_mentions", "Mentions a source added to the stream", ["source"], registry=r
        )
        self.source_entries_skipped = Counter(
            "warner_source_entries_skipped", "Malformed entries a source skipped", ["source"], registry=r
        )
        self.source_lag = Gauge(
            "warner_source_lag_seconds", "Poll time minus the newest new mention's time", ["source"], registry=r
        )
        self.source_lease_held = Gauge(
            "warner_source_lease_held", "1 while this process is the one polling the source", ["source"], registry=r
        )
        self.source_failures = Gauge(
            "warner_source_consecutive_failures", "Failed polls in a row (0 = healthy)", ["source"], registry=r
        )
        # The weekly digest (digest/schedule.py): sent by whichever worker claims it, so sum over processes.
        self.digest_sent = Counter("warner_digest_sent", "Weekly digests sent by the scheduler", registry=r)
        self.digest_failures = Counter(
            "warner_digest_failures",
            "Failed tries to send the weekly digest, by reason (digest/failures.py: token_refused, "
            "telegram_unreachable, mail_unreachable, recipients_refused, not_configured, redis, error)",
            ["reason"],
            registry=r,
        )
        self.digest_given_up = Counter(
            "warner_digest_given_up", "Weekly digests given up after their last try, by reason", ["reason"], registry=r
        )
        self.digest_last_success = Gauge(
            "warner_digest_last_success_timestamp_seconds",
            "When the last weekly digest was sent (read from Redis, so any worker reports it)",
            registry=r,
        )
        # Redis memory, read from INFO memory at each scrape (store/scrape.py): with noeviction a full
        # Redis refuses writes, so this is what to alert on before ingest answers 503.
        self.redis_used_memory = Gauge(
            "warner_redis_used_memory_bytes", "used_memory of the Redis server nearest its maxmemory", registry=r
        )
        self.redis_maxmemory = Gauge(
            "warner_redis_maxmemory_bytes", "maxmemory of that server (0: no limit set)", registry=r
        )

    def start_ingest_at_zero(self, sources: Iterable[str]) -> None:
        """The API's labelled counters at 0: per configured source, per refusal reason."""
        for source in sources:
            for counter in (self.accepted, self.duplicates, self.unmatched):
                counter.labels(source)
        for reason in REJECT_REASONS:
            self.rejected.labels(reason)

    def start_worker_at_zero(
        self,
        *,
        brands: Iterable[str],
        stages: Iterable[str],
        channels: Iterable[str],
        pulled_sources: Iterable[str],
        digest_reasons: Iterable[str],
    ) -> None:
        """A worker's labelled counters at 0: what it counts per brand, stage, channel, source, reason."""
        for reason in DEAD_LETTER_REASONS:
            self.dead_lettered.labels(reason)
        for stage in stages:
            self.failures.labels(stage)
        for brand in brands:
            self.counted.labels(brand)
            for kind in INCIDENT_KINDS:
                self.incident_events.labels(brand, kind)
        for channel in channels:
            self.pages_delivered.labels(channel)
            for result in PAGE_RESULTS:
                self.page_attempts.labels(channel, result)
        for source in pulled_sources:
            self.source_mentions.labels(source)
            self.source_entries_skipped.labels(source)
            self.source_failures.labels(source)  # 0 failures in a row until a poll says otherwise
            for kind in SOURCE_ERROR_KINDS:
                self.source_errors.labels(source, kind)
        for reason in digest_reasons:
            self.digest_failures.labels(reason)
            self.digest_given_up.labels(reason)
