"""The outermost ASGI layer: request ids, security headers, one access-log line."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import structlog
from dishka import AsyncContainer
from dishka.integrations.litestar import setup_dishka
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from adapters.telemetry.logging import debug_enabled, redact, redact_path
from entrypoints.http.envelope import request_id_var, request_trace_var
from entrypoints.http.errors import document_errors
from entrypoints.http.exchange import Exchange
from entrypoints.http.options import allow_every_method
from entrypoints.http.strict_body import document_strict_bodies

log = structlog.get_logger("cascade.http")

_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._\-]{8,128}$")
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
_LOGGED_HEADERS = {b"authorization", b"cookie", b"x-service-key", b"user-agent", b"content-type", b"content-length"}


def with_edge(app: Litestar, container: AsyncContainer, *, body_timeout_seconds: float) -> Litestar:
    """What every Cascade app gets last: errors and closed bodies documented, a full `Allow`, DI, the edge outside."""
    document_errors(app)
    document_strict_bodies(app)
    allow_every_method(app)
    setup_dishka(container, app)
    app.asgi_handler = EdgeMiddleware(app.asgi_handler, body_timeout_seconds=body_timeout_seconds)
    return app


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, body_timeout_seconds: float) -> None:
        self._app = app
        self._body_timeout = body_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        trace_token = request_trace_var.set(None)
        started = time.perf_counter()
        rid_header = (b"x-request-id", request_id.encode())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *SECURITY_HEADERS, rid_header]
            await send(message)

        exchange = Exchange(receive, send_with_headers, body_timeout=self._body_timeout)
        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                await self._app(scope, exchange.receive, exchange.send)
        finally:
            _access_log(scope, exchange.status, started)
            request_trace_var.reset(trace_token)
            request_id_var.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _VALID_REQUEST_ID.match(value):
            return value.decode()
    return os.urandom(16).hex()  # 128 random bits, as a uuid4's hex, in a fifth of its time


def _access_log(scope: Any, status: int, started: float) -> None:
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": redact_path(scope["path"], scope.get("path_params")),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "client": scope["client"][0] if scope.get("client") else None,
        "request_id": request_id_var.get(),
        **(request_trace_var.get() or {}),  # the request span's, when it was traced
    }
    if status >= 500:
        log.error("request", **fields)
        return
    log.info("request", **fields)
    if not debug_enabled():
        return
    # Redacted here as well as in the log pipeline: a secret never reaches a processor.
    headers = {k.decode(): v.decode("latin-1") for k, v in scope["headers"] if k in _LOGGED_HEADERS}
    log.debug("request_headers", headers=redact(headers))
