"""The `Metrics` port on prometheus-client, plus the HTTP series the API's middleware records.

Every series lives in the `CollectorRegistry` given, one per container (so per process, and per app in
tests), never the library's global one. Labels take a closed set of values: names of providers, outcomes,
statuses, route templates; never an id, an email or a URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from psycopg_pool import AsyncConnectionPool

from domain.credits.ledger import EntryKind
from domain.enrichment.circuit_breaker import Circuit
from domain.jobs.job import JobStatus

CIRCUIT_VALUE = {Circuit.CLOSED: 0, Circuit.HALF_OPEN: 1, Circuit.OPEN: 2}
WEBHOOK_OUTCOMES = ("succeeded", "failed", "dead_lettered")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds: providers and webhook receivers are remote calls with deadlines of up to 120 s.
REMOTE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class PrometheusMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._http_requests = Counter(
            "cascade_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=registry
        )
        # As bounded as the series: methods outside HTTP_METHODS are one, routes are templates.
        self._http_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._http_seconds = Histogram(
            "cascade_http_request_duration_seconds",
            "Time to answer an HTTP request, first byte in to last byte out",
            ["method", "route", "status"],
            registry=registry,
        )
        self._jobs_submitted = Counter("cascade_jobs_submitted", "Enrichment jobs submitted", registry=registry)
        self._jobs_finished = Counter(
            "cascade_jobs_finished", "Enrichment jobs finished, by final status", ["status"], registry=registry
        )
        self._job_records = Counter(
            "cascade_job_records_done", "Records of jobs saved as done, by outcome", ["outcome"], registry=registry
        )
        self._attempts = Counter(
            "cascade_provider_attempts",
            "Calls to enrichment providers by outcome (skipped: not called, no key or circuit open)",
            ["provider", "outcome"],
            registry=registry,
        )
        self._provider_seconds = Histogram(
            "cascade_provider_latency_seconds",
            "Time a provider took to answer",
            ["provider"],
            registry=registry,
            buckets=REMOTE_BUCKETS,
        )
        self._cache = Counter(
            "cascade_lookup_cache_lookups",
            "Lookups of the provider answer cache, by result (hit or miss)",
            ["provider", "result"],
            registry=registry,
        )
        self._credits = Counter(
            "cascade_credits_moved", "Credits moved by committed ledger entries, by kind", ["kind"], registry=registry
        )
        self._circuits = Gauge(
            "cascade_circuit_breaker_state",
            "A provider's circuit as this process last saw it: 0 closed, 1 half-open, 2 open",
            ["provider"],
            registry=registry,
        )
        self._deliveries = Counter(
            "cascade_webhook_deliveries",
            "Webhook delivery attempts recorded, by outcome",
            ["outcome"],
            registry=registry,
        )
        self._delivery_seconds = Histogram(
            "cascade_webhook_delivery_latency_seconds",
            "Time a webhook receiver took to answer",
            registry=registry,
            buckets=REMOTE_BUCKETS,
        )
        self._lag_events = Gauge(
            "cascade_replication_lag_events",
            "Events of the outbox a sink has not applied yet, as last measured",
            ["sink"],
            registry=registry,
        )
        self._lag_seconds = Gauge(
            "cascade_replication_lag_seconds",
            "Age of the oldest event a sink has not applied yet (0 when caught up)",
            ["sink"],
            registry=registry,
        )
        self._dead_letters = Gauge(
            "cascade_replication_dead_letters",
            "Events a sink gave up on, until replayed or discarded",
            ["sink"],
            registry=registry,
        )
        # Known label values start at zero, so a first increase is a rate and not a series appearing.
        for status in JobStatus:
            if status.finished:
                self._jobs_finished.labels(status.value)
        for kind in EntryKind:
            self._credits.labels(kind.value)
        for outcome in WEBHOOK_OUTCOMES:
            self._deliveries.labels(outcome)

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """`route` is the route's template (`/api/v1/workspaces/{workspace_id}`), never the raw path."""
        key = (method if method in HTTP_METHODS else "OTHER", route, status)
        series = self._http_series.get(key)
        if series is None:  # a series' children are looked up once: `labels()` costs more than the counting
            labels = (key[0], route, str(status))
            series = self._http_series[key] = (self._http_requests.labels(*labels), self._http_seconds.labels(*labels))
        series[0].inc()
        series[1].observe(seconds)

    def provider_attempt(self, provider: str, outcome: str, latency_ms: float | None) -> None:
        self._attempts.labels(provider, outcome).inc()
        if latency_ms is not None:
            self._provider_seconds.labels(provider).observe(latency_ms / 1000)

    def lookup_cache(self, provider: str, *, hit: bool) -> None:
        self._cache.labels(provider, "hit" if hit else "miss").inc()

    def credits_moved(self, kind: EntryKind, amount: int) -> None:
        self._credits.labels(kind.value).inc(max(amount, 0))

    def job_submitted(self) -> None:
        self._jobs_submitted.inc()

    def job_finished(self, status: JobStatus) -> None:
        self._jobs_finished.labels(status.value).inc()

    def job_record_done(self, outcome: str) -> None:
        self._job_records.labels(outcome).inc()

    def circuit_state(self, provider: str, circuit: Circuit) -> None:
        self._circuits.labels(provider).set(CIRCUIT_VALUE[circuit])

    def webhook_delivery(self, outcome: str, latency_ms: float | None) -> None:
        self._deliveries.labels(outcome).inc()
        if latency_ms is not None:
            self._delivery_seconds.observe(latency_ms / 1000)

    def replication_lag(self, sink: str, *, events: int, seconds: float, dead_letters: int) -> None:
        self._lag_events.labels(sink).set(events)
        self._lag_seconds.labels(sink).set(seconds)
        self._dead_letters.labels(sink).set(dead_letters)


class PoolCollector(Collector):
    """The PostgreSQL pool's `get_stats()`, read at scrape time."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    def collect(self) -> Iterator[Metric]:
        stats = self._pool.get_stats()
        size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
        yield GaugeMetricFamily("cascade_db_pool_connections", "Connections the pool holds open", value=size)
        yield GaugeMetricFamily("cascade_db_pool_connections_idle", "Open connections not lent out", value=idle)
        yield GaugeMetricFamily("cascade_db_pool_connections_in_use", "Connections lent out", value=size - idle)
        yield GaugeMetricFamily("cascade_db_pool_min_size", "The pool's minimum size", value=stats.get("pool_min", 0))
        yield GaugeMetricFamily("cascade_db_pool_max_size", "The pool's maximum size", value=stats.get("pool_max", 0))
        yield GaugeMetricFamily(
            "cascade_db_pool_requests_waiting",
            "Callers waiting for a connection",
            value=stats.get("requests_waiting", 0),
        )
        yield CounterMetricFamily(
            "cascade_db_pool_requests", "Connections asked of the pool", value=stats.get("requests_num", 0)
        )
        yield CounterMetricFamily(
            "cascade_db_pool_request_errors",
            "Requests for a connection that failed (timeout, pool closed)",
            value=stats.get("requests_errors", 0),
        )
        yield CounterMetricFamily(
            "cascade_db_pool_request_wait_seconds",
            "Time callers spent waiting for a connection",
            value=stats.get("requests_wait_ms", 0) / 1000,
        )
