"""Tracing (issue 7): one trace from an HTTP request through Temporal to each provider call.

Each test turns tracing on with the SDK's in-memory exporter (conftest turns it off everywhere else)
and off again at its end, so the rest of the suite runs untraced.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import structlog
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from adapters.telemetry.logging import configure_logging
from adapters.telemetry.tracing import active_provider, setup_tracing, shutdown_tracing, temporal_interceptors
from entrypoints.http.app import create_app
from entrypoints.http.tracing import API_UNTRACED, request_tracing
from entrypoints.scraper.app import create_scraper_app
from entrypoints.wiring.settings import Settings
from tests.api import PASSWORD, create_workspace, register
from tests.conftest import test_settings
from tests.fakes.harness import KEYS, FakeProviders, running_fakes
from tests.support.enrichment import provider_settings
from tests.support.jobs import crowd, submit, wait_until_finished
from tests.support.temporal import in_process_worker

SCRAPER_KEY = "tracing-test-service-key-0123456789"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    monkeypatch.setenv("OTEL_ENABLED", "true")
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    exporter = InMemorySpanExporter()
    assert setup_tracing("cascade-test", span_processor=SimpleSpanProcessor(exporter)) is not None
    yield exporter
    shutdown_tracing()


@pytest.fixture
def pg_settings(migrated_url: str, clean_redis: str, clean_pool: Any) -> Settings:
    return test_settings(profile="local", database_url=migrated_url, redis_url=clean_redis)


def server_span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    found = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER and s.name == name]
    assert len(found) == 1, [s.name for s in exporter.get_finished_spans()]
    return found[0]


def children(exporter: InMemorySpanExporter, parent: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.parent and s.parent.span_id == parent.context.span_id]


async def test_a_request_span_is_the_parent_of_its_queries_and_redis_commands(
    spans: InMemorySpanExporter, pg_settings: Settings
) -> None:
    async with AsyncTestClient(app=create_app(pg_settings)) as api:
        account = await register(api)
        workspace = await create_workspace(api, account)
        spans.clear()
        login = await api.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        one = await api.get(f"/api/v1/workspaces/{workspace}?email=ann@example.com", headers=account.headers)
        assert one.status_code == 200, one.text

    login_span = server_span(spans, "POST /api/v1/auth/login")
    systems = {s.attributes.get("db.system") for s in children(spans, login_span) if s.attributes}
    assert {"postgresql", "redis"} <= systems, "queries and limiter commands are children of the request"
    read = server_span(spans, "GET /api/v1/workspaces/{workspace_id}")  # the route, never the id
    assert read.attributes is not None
    assert read.attributes["http.route"] == "/api/v1/workspaces/{workspace_id}"
    assert read.attributes["cascade.request_id"] == one.headers["x-request-id"]
    assert "ann@example.com" not in json.dumps(dict(read.attributes)), "query strings stay out of spans"
    assert any(s.attributes and s.attributes.get("db.system") == "postgresql" for s in children(spans, read))


async def test_probes_make_no_spans(spans: InMemorySpanExporter, pg_settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(pg_settings)) as api:
        for path in ("/api/v1/health", "/api/v1/readiness", "/api/v1/metrics"):
            assert (await api.get(path)).status_code < 500, path
    settings = test_settings(scraper_service_keys=SCRAPER_KEY)
    async with AsyncTestClient(app=create_scraper_app(settings)) as scraper:
        assert (await scraper.get("/health")).status_code == 200
        assert spans.get_finished_spans() == (), "neither the probes nor their queries and pings"
        listed = await scraper.get("/v1/extractors", headers={"X-Service-Key": SCRAPER_KEY})
        assert listed.status_code == 200
    assert [s.name for s in spans.get_finished_spans()] == ["GET /v1/extractors"], "the scraper's routes are traced"


async def test_log_lines_inside_a_span_carry_its_ids(
    spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    structlog.get_logger("test").info("outside")
    provider = active_provider()
    assert provider is not None
    with provider.get_tracer("test").start_as_current_span("work") as work:
        structlog.get_logger("test").info("inside")
    settings = test_settings(scraper_service_keys=SCRAPER_KEY)
    async with AsyncTestClient(app=create_scraper_app(settings)) as scraper:
        assert (await scraper.get("/v1/extractors", headers={"X-Service-Key": "wrong"})).status_code == 401
    lines = {line["event"]: line for line in map(json.loads, capsys.readouterr().out.splitlines())}

    assert "trace_id" not in lines["outside"]
    assert "span_id" not in lines["outside"]
    assert lines["inside"]["trace_id"] == f"{work.get_span_context().trace_id:032x}"
    assert lines["inside"]["span_id"] == f"{work.get_span_context().span_id:016x}"
    request = server_span(spans, "GET /v1/extractors")
    assert lines["security_event"]["trace_id"] == f"{request.context.trace_id:032x}", "a handler's log line"
    assert lines["security_event"]["span_id"] == f"{request.context.span_id:016x}"
    assert lines["request"]["trace_id"] == f"{request.context.trace_id:032x}", "the access-log line, written after"
    assert lines["request"]["span_id"] == f"{request.context.span_id:016x}"


async def test_otel_enabled_false_makes_no_provider_no_instrumentation_and_no_spans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_ENABLED", "false")
    exporter = InMemorySpanExporter()
    assert setup_tracing("cascade-test", span_processor=SimpleSpanProcessor(exporter)) is None
    assert active_provider() is None
    assert request_tracing(API_UNTRACED) == []
    assert temporal_interceptors() == []
    assert not hasattr(psycopg.AsyncConnection.connect, "__wrapped__"), "psycopg is not instrumented"
    async with AsyncTestClient(app=create_app(test_settings())) as api:
        await register(api)
    assert exporter.get_finished_spans() == ()


def test_setup_is_idempotent_and_otel_service_name_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_ENABLED", "true")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "cascade-eu-api")
    try:
        first = setup_tracing("cascade-api", span_processor=SimpleSpanProcessor(InMemorySpanExporter()))
        assert first is not None
        assert setup_tracing("cascade-api") is first, "a second call changes nothing"
        assert first.resource.attributes["service.name"] == "cascade-eu-api"
    finally:
        shutdown_tracing()


async def test_an_unreachable_collector_neither_slows_nor_breaks_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_ENABLED", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    assert setup_tracing("cascade-test") is not None  # the real OTLP/HTTP batch export
    try:
        async with AsyncTestClient(app=create_app(test_settings())) as api:
            started = time.monotonic()
            for _ in range(5):
                await register(api)
            assert time.monotonic() - started < 5, "requests never wait for the exporter"
    finally:
        started = time.monotonic()
        shutdown_tracing(timeout_seconds=1)
        assert time.monotonic() - started < 2, "a stop waits a bounded time for the collector, then drops"


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with running_fakes() as running:
        yield running


@pytest.fixture
def job_settings(pg_settings: Settings, fakes: FakeProviders, temporal_address: str) -> Settings:
    keys = {"apollo": KEYS["apollo"], "hunter": KEYS["hunter"], "clearbit": KEYS["clearbit"]}
    return test_settings(
        profile="local",
        database_url=pg_settings.database.url,
        redis_url=pg_settings.redis_url,
        temporal_address=temporal_address,
        temporal_task_queue=f"tracing-{uuid.uuid4().hex[:8]}",
        **provider_settings(fakes, **keys),
    )


def ancestry(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_a_job_is_one_trace_from_the_request_to_each_provider_call(
    spans: InMemorySpanExporter, job_settings: Settings, fakes: FakeProviders
) -> None:
    async with AsyncTestClient(app=create_app(job_settings)) as api, in_process_worker(job_settings):
        owner = await register(api)
        workspace = await create_workspace(api, owner)
        response = await submit(api, owner, workspace, {"records": crowd(3, prefix="traced"), "fields": ["title"]})
        assert response.status_code == 202, response.text
        done = await wait_until_finished(api, owner, workspace, response.json()["data"]["id"], within=60)
        assert done["status"] == "completed", done

    request = server_span(spans, "POST /api/v1/workspaces/{workspace_id}/enrichment/jobs")
    one_trace = [s for s in spans.get_finished_spans() if s.context.trace_id == request.context.trace_id]
    by_id = {s.context.span_id: s for s in one_trace}
    names = {s.name for s in one_trace}
    assert {"StartWorkflow:EnrichmentJob", "RunWorkflow:EnrichmentJob"} <= names
    assert {"StartActivity:enrich_batch", "RunActivity:enrich_batch"} <= names
    calls = [s for s in one_trace if s.kind is SpanKind.CLIENT and str(_url(s)).startswith(fakes.apollo)]
    assert calls, f"no provider call in the request's trace: {sorted(names)}"
    # The workflow's spans hang off the start it carries in its headers: RunWorkflow (zero length, as
    # Temporal's interceptor records it) beside the activities it schedules.
    assert ancestry(calls[0], by_id) == [
        "RunActivity:enrich_batch",
        "StartActivity:enrich_batch",
        "StartWorkflow:EnrichmentJob",
        request.name,
    ]
    run = next(s for s in one_trace if s.name == "RunWorkflow:EnrichmentJob")
    assert ancestry(run, by_id) == ["StartWorkflow:EnrichmentJob", request.name]


def _url(span: ReadableSpan) -> object:
    attributes = span.attributes or {}
    return attributes.get("url.full") or attributes.get("http.url")
