"""Health lists the processes `cascade dev` started beside the API, as its watcher last saw them."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from application.ops.check_health import ProcessBoard
from entrypoints.http.app import create_app
from entrypoints.http.controllers.ops import watch_processes
from tests.conftest import test_settings


def processes(body: dict[str, Any]) -> dict[str, tuple[str, bool, str]]:
    return {
        c["name"]: (c["status"], c["required"], c["detail"])
        for c in body["data"]["components"]
        if c["name"] in ("worker", "scraper")
    }


async def test_a_process_still_starting_shows_and_degrades_health_but_not_readiness() -> None:
    board = ProcessBoard()
    board.set("worker", "starting", "pid 41: waiting for it to poll task queue 'enrichment'")
    board.set("scraper", "ok", "pid 42")
    app = create_app(test_settings())
    watch_processes(app, board)
    async with AsyncTestClient(app=app) as client:
        health = (await client.get("/api/v1/health")).json()
        assert health["data"]["status"] == "degraded"
        assert processes(health) == {
            "worker": ("starting", False, "pid 41: waiting for it to poll task queue 'enrichment'"),
            "scraper": ("ok", False, "pid 42"),
        }
        readiness = await client.get("/api/v1/readiness")
        assert readiness.status_code == 200, "the API serves while the worker starts: jobs wait for it"

        board.set("worker", "ok", "pid 41")
        health = (await client.get("/api/v1/health")).json()
        assert health["data"]["status"] == "ok"
        assert processes(health)["worker"] == ("ok", False, "pid 41")

        board.set("scraper", "down", "pid 42 exited with code 1")
        assert (await client.get("/api/v1/health")).json()["data"]["status"] == "degraded"
        assert processes((await client.get("/api/v1/readiness")).json())["scraper"][0] == "down"


async def test_without_a_supervisor_health_lists_no_processes() -> None:
    async with AsyncTestClient(app=create_app(test_settings())) as client:
        health = (await client.get("/api/v1/health")).json()
    assert processes(health) == {}
    assert health["data"]["status"] == "ok"
