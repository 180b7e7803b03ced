"""OpenTelemetry tracing: one provider per process, spans batched to an OTLP/HTTP collector.

Set up once at process start, before any pool, client or app is built, from the
standard variables: `OTEL_ENABLED` ("false" turns it all off: no provider, no
exporter, no instrumentation), `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`.
Export runs on the batch processor's own thread: a collector that is down costs
dropped spans, never a slower request.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

import httpx
import structlog
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.httpx import AsyncOpenTelemetryTransport, HTTPXClientInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes
from temporalio.contrib.opentelemetry import TracingInterceptor

from adapters.telemetry.logging import redact_path

_OFF = {"false", "0", "no", "off"}
_EXIT_FLUSH_SECONDS = 2.0
_URL_ATTRIBUTES = ("http.url", "url.full", "http.target", "url.path")
_INSTRUMENTORS = (PsycopgInstrumentor, RedisInstrumentor, HTTPXClientInstrumentor)

log = structlog.get_logger("cascade.tracing")
_provider: TracerProvider | None = None
_lock = threading.Lock()


def tracing_enabled() -> bool:
    off = os.environ.get("OTEL_ENABLED", "true").strip().lower() in _OFF
    return not off and os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() != "true"


def setup_tracing(service_name: str, *, span_processor: SpanProcessor | None = None) -> TracerProvider | None:
    """The process's tracer provider, made on the first call; None when tracing is off.

    `span_processor` replaces the OTLP batch export (tests pass an in-memory one).
    """
    global _provider
    with _lock:
        if _provider is not None:
            return _provider
        if not tracing_enabled():
            return None
        name = os.environ.get("OTEL_SERVICE_NAME", "").strip() or service_name
        provider = TracerProvider(
            resource=Resource.create({SERVICE_NAME: name}),
            sampler=ParentBased(root=_NoOrphanClientSpans()),
            shutdown_on_exit=False,  # shutdown_tracing (at exit) bounds the wait for a collector that is down
        )
        provider.add_span_processor(span_processor or BatchSpanProcessor(OTLPSpanExporter(endpoint=_endpoint())))
        # One error line per dropped batch is enough; the exporter also warns on every retry.
        logging.getLogger("opentelemetry.exporter").setLevel(logging.ERROR)
        # The global provider can be set once per process; everything of ours is handed `provider` itself.
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            trace.set_tracer_provider(provider)
        PsycopgInstrumentor().instrument(tracer_provider=provider)
        RedisInstrumentor().instrument(tracer_provider=provider)
        HTTPXClientInstrumentor().instrument(
            tracer_provider=provider, request_hook=_scrub_client_url, async_request_hook=_scrub_client_url_async
        )
        atexit.unregister(shutdown_tracing)
        atexit.register(shutdown_tracing)
        _provider = provider
        return provider


def active_provider() -> TracerProvider | None:
    return _provider


def shutdown_tracing(timeout_seconds: float = _EXIT_FLUSH_SECONDS) -> None:
    """Undo the instrumentation and flush what is queued, waiting at most `timeout_seconds`."""
    global _provider
    with _lock:
        provider, _provider = _provider, None
        if provider is None:
            return
        for instrumentor in _INSTRUMENTORS:
            instrumentor().uninstrument()
    flushing = threading.Thread(target=provider.shutdown, name="otel-shutdown", daemon=True)
    flushing.start()
    flushing.join(timeout_seconds)
    if flushing.is_alive():
        log.warning("traces_dropped", reason="the collector did not take the last spans in time")


def temporal_interceptors() -> list[TracingInterceptor]:
    """For `Client.connect`: workflow starts carry the caller's span; workers built on the client inherit it."""
    return [TracingInterceptor(_provider.get_tracer("temporalio"))] if _provider else []


def traced_transport(transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """httpx's instrumentation patches its own transport only; another (aiohttp's) is wrapped here."""
    if _provider is None:
        return transport
    return AsyncOpenTelemetryTransport(transport, tracer_provider=_provider, request_hook=_scrub_client_url_async)


def scrub_query(span: trace.Span) -> None:
    """Query strings carry emails and domains: spans keep the path only, token-like segments redacted."""
    attributes: Any = getattr(span, "attributes", None) or {}
    for key in _URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str):
            scrubbed = redact_path(value.split("?", 1)[0])
            if scrubbed != value:
                span.set_attribute(key, scrubbed)
    if attributes.get("url.query"):
        span.set_attribute("url.query", "[REDACTED]")


def _scrub_client_url(span: trace.Span, request: Any) -> None:
    scrub_query(span)


async def _scrub_client_url_async(span: trace.Span, request: Any) -> None:
    scrub_query(span)


def _endpoint() -> str | None:
    """A full `.../v1/traces` URL is taken as given; otherwise the exporter resolves the standard variables
    (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else localhost:4318)."""
    base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    return base if base.rstrip("/").endswith("/v1/traces") else None


class _NoOrphanClientSpans(Sampler):
    """A query, Redis command or HTTP call outside any request or job (pollers, health checks) starts no trace."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "NoOrphanClientSpans"
