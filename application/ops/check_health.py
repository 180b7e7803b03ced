from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ports.health import CacheProbe, ComponentHealth, DatabaseProbe, Status, WorkflowProbe


@dataclass(slots=True, kw_only=True, frozen=True)
class HealthReport:
    status: Status
    components: list[ComponentHealth]

    @property
    def ready(self) -> bool:
        return self.status != "down"


class CheckHealth:
    """Each component's status, checked concurrently.

    Rules: a required component that is down makes the whole system down
    (not ready); an optional one that is not ok makes it degraded.
    """

    def __init__(self, database: DatabaseProbe, cache: CacheProbe, workflows: WorkflowProbe) -> None:
        self._probes = [database, cache, workflows]

    async def __call__(self) -> HealthReport:
        components = list(await asyncio.gather(*(probe.check() for probe in self._probes)))
        if any(c.required and c.status == "down" for c in components):
            status: Status = "down"
        elif any(c.status != "ok" for c in components):
            status = "degraded"
        else:
            status = "ok"
        return HealthReport(status=status, components=components)
