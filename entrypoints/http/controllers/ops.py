from __future__ import annotations

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, MediaType, Response, get
from litestar.openapi.datastructures import ResponseSpec

from application.ops.check_health import CheckHealth, HealthReport
from entrypoints.http.envelope import Envelope, ok


class ComponentOut(msgspec.Struct, rename="camel"):
    name: str
    status: str
    latency_ms: float
    required: bool
    detail: str


class HealthOut(msgspec.Struct, rename="camel"):
    status: str
    components: list[ComponentOut]


def _health(report: HealthReport) -> Envelope[HealthOut]:
    return ok(
        HealthOut(
            status=report.status,
            components=[
                ComponentOut(
                    name=c.name, status=c.status, latency_ms=c.latency_ms, required=c.required, detail=c.detail
                )
                for c in report.components
            ],
        )
    )


class OpsController(Controller):
    tags = ["ops"]

    @get("/health", summary="Liveness, with each component's status")
    @inject
    async def health(self, uc: FromDishka[CheckHealth]) -> Envelope[HealthOut]:
        return _health(await uc())

    @get(
        "/readiness",
        summary="200 when the system can serve requests, 503 when a required component is down",
        responses={503: ResponseSpec(Envelope[HealthOut], description="a required component is down")},
    )
    @inject
    async def readiness(self, uc: FromDishka[CheckHealth]) -> Response[Envelope[HealthOut]]:
        report = await uc()
        return Response(_health(report), status_code=200 if report.ready else 503, media_type=MediaType.JSON)
