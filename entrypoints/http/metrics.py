"""The ASGI layer that counts and times every HTTP request by method, route template and status."""

from __future__ import annotations

import time

from dishka import AsyncContainer
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from adapters.telemetry.prometheus_metrics import PrometheusMetrics
from entrypoints.http.exchange import Exchange

UNMATCHED = "unmatched"  # no route: raw paths would let any client mint series


def measured(app: Litestar, container: AsyncContainer) -> Litestar:
    """Wrap the app, edge included, in the request metrics."""
    app.asgi_handler = HttpMetricsMiddleware(app.asgi_handler, container)
    return app


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp, container: AsyncContainer) -> None:
        self._app, self._container = app, container
        self._metrics: PrometheusMetrics | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        if self._metrics is None:
            self._metrics = await self._container.get(PrometheusMetrics)
        started = time.perf_counter()
        exchange = Exchange(receive, send)
        try:
            await self._app(scope, exchange.receive, exchange.send)
        finally:
            # Litestar's router writes the matched route's template into the scope it was given.
            route = scope.get("path_template") or UNMATCHED
            self._metrics.http_request(scope["method"], route, exchange.status, time.perf_counter() - started)
