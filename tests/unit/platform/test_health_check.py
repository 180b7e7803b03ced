"""Health and readiness check the components at most once per FRESH_SECONDS; the processes beside are live."""

from __future__ import annotations

from application.ops.check_health import FRESH_SECONDS, CheckHealth, ProcessHealth
from ports.health import ComponentHealth
from tests.support.clock import ManualClock


class CountingProbe:
    def __init__(self, name: str) -> None:
        self.name, self.checks, self.status = name, 0, "ok"

    async def check(self) -> ComponentHealth:
        self.checks += 1
        return ComponentHealth(name=self.name, status=self.status, latency_ms=0.1, required=self.name == "database")


async def test_the_components_are_checked_at_most_once_per_fresh_seconds() -> None:
    clock = ManualClock()
    database, cache, workflows = CountingProbe("database"), CountingProbe("redis"), CountingProbe("temporal")
    replication = CountingProbe("replication")
    health = CheckHealth(database, cache, workflows, replication, monotonic=clock)  # type: ignore[arg-type]

    assert (await health()).status == "ok"
    cache.status = "degraded"
    assert (await health()).status == "ok", "the last check answers until it is FRESH_SECONDS old"
    starting = ProcessHealth(name="worker", status="starting", detail="starting")
    assert (await health([starting])).status == "degraded", "the processes beside are never cached"
    assert database.checks == 1

    clock.advance(FRESH_SECONDS)
    assert (await health()).status == "degraded"
    assert (database.checks, cache.checks, workflows.checks, replication.checks) == (2, 2, 2, 2)
