"""`GET /metrics`: Prometheus' text format, not the JSON envelope; unauthenticated, like health."""

from __future__ import annotations

from dishka import FromDishka
from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from prometheus_client import CollectorRegistry, generate_latest

from entrypoints.http.injection import inject

EXPOSITION = "text/plain; version=0.0.4"  # Litestar adds "; charset=utf-8"
SAMPLE = """# HELP cascade_jobs_submitted_total Enrichment jobs submitted
# TYPE cascade_jobs_submitted_total counter
cascade_jobs_submitted_total 3.0
"""


class MetricsController(Controller):
    tags = ["ops"]

    @get(
        "/metrics",
        summary="Prometheus metrics of this process, in the text exposition format (not enveloped)",
        description="Requests, jobs, provider calls, credits, circuits, webhook deliveries and the database pool. "
        "Label values are names, outcomes and route templates, never ids. Restrict it at the network edge.",
        media_type=EXPOSITION,
        responses={
            200: ResponseSpec(
                str,
                generate_examples=False,
                description="Prometheus text format 0.0.4",
                media_type=EXPOSITION,
                examples=[Example(summary="one counter", value=SAMPLE)],
            )
        },
    )
    @inject
    async def metrics(self, registry: FromDishka[CollectorRegistry]) -> Response[bytes]:
        return Response(generate_latest(registry), media_type=EXPOSITION)
