"""Request spans for the Litestar apps (API and scraper), named by route template, when tracing is on."""

from __future__ import annotations

from typing import Any

from litestar.plugins import InitPluginProtocol
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.utils import normalize_path
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import Span

from adapters.telemetry.logging import request_id_var
from adapters.telemetry.tracing import active_provider, scrub_query
from entrypoints.http.envelope import request_trace_var

API_UNTRACED = ["^/api/v1/(health|readiness|metrics)/?$"]
SCRAPER_UNTRACED = ["^/health/?$"]


def request_tracing(untraced: list[str]) -> list[InitPluginProtocol]:
    """The plugin for `Litestar(plugins=...)`: nothing when tracing is off; probes (`untraced`) make no spans."""
    provider = active_provider()
    if provider is None:
        return []
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        exclude=untraced,
        exclude_spans=["receive", "send"],  # one span per request, not one per ASGI message
        scope_span_details_extractor=route_span_details,
        server_request_hook_handler=_on_request,
    )
    return [OpenTelemetryPlugin(config)]


def route_span_details(scope: Any) -> tuple[str, dict[str, Any]]:
    """`POST /api/v1/workspaces/{workspace_id}/enrichment/jobs`: the template, never the ids (a path that
    matches no route is named by its method alone, so scanners cannot flood the span names)."""
    method = str(scope.get("method", "")).strip()
    try:
        *_, template = scope["litestar_app"].asgi_router.handle_routing(
            path=normalize_path(scope["path"]), method=method or None
        )
    except Exception:  # no route: 404/405 are answered further in
        return method or "HTTP", {}
    return f"{method} {template}".strip(), {HTTP_ROUTE: template}


def _on_request(span: Span, scope: Any) -> None:
    scrub_query(span)
    if span.is_recording():  # the access-log line's id, to go from a log line to its trace
        span.set_attribute("cascade.request_id", request_id_var.get())
        context = span.get_span_context()  # and the span's ids for that line, written once the span has ended
        request_trace_var.set({"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"})
