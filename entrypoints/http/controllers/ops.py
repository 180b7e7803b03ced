from __future__ import annotations

import msgspec
from dishka import FromDishka
from litestar import Controller, Litestar, MediaType, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from application.ops.check_health import CheckHealth, HealthReport, ProcessBoard, ProcessHealth
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.injection import inject

_BOARD = "cascade_process_board"


def watch_processes(app: Litestar, board: ProcessBoard) -> None:
    """Health lists the processes of `board` too: `cascade dev` shows its worker and scraper there."""
    app.state[_BOARD] = board


def _processes(state: State) -> list[ProcessHealth]:
    board = state.get(_BOARD)
    return board.snapshot() if isinstance(board, ProcessBoard) else []


class ComponentOut(msgspec.Struct, rename="camel"):
    name: str
    status: str  # ok, degraded or down; a process started beside the API: starting, ok or down
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
            ]
            # Processes beside the API: their supervisor's last sight of them, so no latency of their own.
            + [
                ComponentOut(name=p.name, status=p.status, latency_ms=0.0, required=False, detail=p.detail)
                for p in report.processes
            ],
        )
    )


class OpsController(Controller):
    tags = ["ops"]

    @get("/health", summary="Liveness, with each component's status")
    @inject
    async def health(self, uc: FromDishka[CheckHealth], state: State) -> Envelope[HealthOut]:
        return _health(await uc(_processes(state)))

    @get(
        "/readiness",
        summary="200 when the system can serve requests, 503 when a required component is down",
        responses={503: ResponseSpec(Envelope[HealthOut], description="a required component is down")},
    )
    @inject
    async def readiness(self, uc: FromDishka[CheckHealth], state: State) -> Response[Envelope[HealthOut]]:
        report = await uc(_processes(state))
        return Response(_health(report), status_code=200 if report.ready else 503, media_type=MediaType.JSON)
