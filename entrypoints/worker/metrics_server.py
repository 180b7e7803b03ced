"""The worker's Prometheus endpoint: its container's registry on a port of its own (the worker has no HTTP API)."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from prometheus_client import CollectorRegistry, start_http_server

from entrypoints.wiring.settings import Settings

log = structlog.get_logger("cascade.worker")


def serve_metrics(settings: Settings, registry: CollectorRegistry) -> Callable[[], None]:
    """Serve `registry` on CASCADE_WORKER_METRICS_HOST:PORT in a thread (port 0: not at all); returns the stop.

    A port already taken (a second worker on the host) costs that worker its metrics, not its work."""
    host, port = settings.worker_metrics.host, settings.worker_metrics.port
    if not port:
        return lambda: None
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        log.error("worker_metrics_unavailable", host=host, port=port, error=str(exc))
        return lambda: None
    log.info("worker_metrics_serving", url=f"http://{host}:{port}/metrics")

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
