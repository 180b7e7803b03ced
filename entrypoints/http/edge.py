"""The outermost ASGI layer: request ids, security headers, the request's container, metrics, one access-log line."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

import structlog
from dishka import AsyncContainer
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from adapters.telemetry.logging import debug_enabled, redact, redact_path, request_id_var, write_line
from adapters.telemetry.prometheus_metrics import PrometheusMetrics
from entrypoints.http.envelope import request_trace_var
from entrypoints.http.errors import document_errors
from entrypoints.http.exchange import Exchange
from entrypoints.http.options import allow_every_method
from entrypoints.http.request_container import CONTAINER_KEY, RequestContainer
from entrypoints.http.strict_body import document_strict_bodies

log = structlog.get_logger("cascade.http")
UNMATCHED = "unmatched"  # the metrics' route of a request no route matched: raw paths would let any client mint series

_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._\-]{8,128}$")
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
_LOGGED_HEADERS = {b"authorization", b"cookie", b"x-service-key", b"user-agent", b"content-type", b"content-length"}


def with_edge(
    app: Litestar,
    container: AsyncContainer,
    *,
    body_timeout_seconds: float,
    measured: bool = False,
) -> Litestar:
    """What every Cascade app gets last: errors and closed bodies documented, a full `Allow`, the edge outside.

    `measured`: every request is counted and timed by method, route template and status."""
    document_errors(app)
    document_strict_bodies(app)
    allow_every_method(app)
    app.state.dishka_container = container
    app.asgi_handler = EdgeMiddleware(
        app.asgi_handler, container, body_timeout_seconds=body_timeout_seconds, measured=measured
    )
    return app


class EdgeMiddleware:
    """One layer for the edge's concerns, so a request pays for one wrapper of `send`, not one per concern."""

    def __init__(
        self,
        app: ASGIApp,
        container: AsyncContainer,
        *,
        body_timeout_seconds: float,
        measured: bool,
    ) -> None:
        self._app, self._container = app, container
        self._body_timeout = body_timeout_seconds
        self._measured = measured
        self._metrics: PrometheusMetrics | None = None  # resolved by the first request: the container is async

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        if self._measured and self._metrics is None:
            self._metrics = await self._container.get(PrometheusMetrics)
        started = time.perf_counter()
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        trace_token = request_trace_var.set(None)
        added_headers = [*SECURITY_HEADERS, (b"x-request-id", request_id.encode())]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added_headers]
            await send(message)

        exchange = Exchange(receive, send_with_headers, body_timeout=self._body_timeout)
        request_container = RequestContainer(self._container)
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state[CONTAINER_KEY] = request_container
        try:
            try:
                await self._app(scope, exchange.receive, exchange.send)
            except BaseException as error:
                await request_container.close(error)
                raise
            await request_container.close()
        finally:
            seconds = time.perf_counter() - started
            if self._metrics is not None:
                # Litestar's router writes the matched route's template into the scope it was given.
                route = scope.get("path_template") or UNMATCHED
                self._metrics.http_request(scope["method"], route, exchange.status, seconds)
            _access_log(scope, exchange.status, seconds)
            request_trace_var.reset(trace_token)
            request_id_var.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _VALID_REQUEST_ID.match(value):
            return value.decode()
    return os.urandom(16).hex()  # 128 random bits, as a uuid4's hex, in a fifth of its time


def _access_log(scope: Any, status: int, seconds: float) -> None:
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": redact_path(scope["path"], scope.get("path_params")),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "client": scope["client"][0] if scope.get("client") else None,
        "request_id": request_id_var.get(),
        **(request_trace_var.get() or {}),  # the request span's, when it was traced
    }
    # The path is redacted and every other field is ours: the line needs none of the log pipeline's work.
    write_line(logging.ERROR if status >= 500 else logging.INFO, "request", fields)
    if status >= 500 or not debug_enabled():
        return
    # Redacted here as well as in the log pipeline: a secret never reaches a processor.
    headers = {k.decode(): v.decode("latin-1") for k, v in scope["headers"] if k in _LOGGED_HEADERS}
    log.debug("request_headers", headers=redact(headers))
