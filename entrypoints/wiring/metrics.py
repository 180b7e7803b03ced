"""dishka wiring of Prometheus metrics: one registry per container, the `Metrics` port, the metered breaker."""

from __future__ import annotations

from dishka import Provider, Scope, alias, decorate, provide
from prometheus_client import CollectorRegistry, ProcessCollector
from psycopg_pool import AsyncConnectionPool

from adapters.telemetry.metered_breaker import MeteredCircuitBreaker
from adapters.telemetry.prometheus_metrics import PoolCollector, PrometheusMetrics
from ports.enrichment import CircuitBreaker
from ports.metrics import Metrics


class MetricsWiring(Provider):
    """After the stores and limits: it decorates the circuit breaker they provide."""

    scope = Scope.APP

    @provide
    def registry(self) -> CollectorRegistry:
        # Not the library's global registry: each container (an app in a test, a worker) counts on its own.
        registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        return registry

    @provide
    def prometheus(self, registry: CollectorRegistry) -> PrometheusMetrics:
        return PrometheusMetrics(registry)

    metrics = alias(source=PrometheusMetrics, provides=Metrics)

    @decorate
    def breaker(self, breaker: CircuitBreaker, metrics: Metrics) -> CircuitBreaker:
        return MeteredCircuitBreaker(breaker, metrics)


class PoolMetricsWiring(Provider):
    """The PostgreSQL pool's statistics, read at scrape time (profiles with a database)."""

    scope = Scope.APP

    @decorate
    def pool(self, pool: AsyncConnectionPool, registry: CollectorRegistry) -> AsyncConnectionPool:
        registry.register(PoolCollector(pool))
        return pool
