from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ports.health import CacheProbe, ComponentHealth, DatabaseProbe, ReplicationProbe, Status, WorkflowProbe

ProcessStatus = Literal["starting", "ok", "down"]
# How long one check of the components answers health and readiness.
FRESH_SECONDS = 1.0


@dataclass(slots=True, kw_only=True, frozen=True)
class ProcessHealth:
    """A process started beside this one (the worker and the scraper of `cascade dev`), as its supervisor saw it:
    `starting` until first seen ready, then `ok`, and `down` once it has exited."""

    name: str
    status: ProcessStatus
    detail: str = ""


@dataclass(slots=True)
class ProcessBoard:
    """What a supervisor knows of the processes it started. The supervisor's watcher writes it as it polls them;
    health reads it without any I/O, so listing them costs a request nothing."""

    _states: dict[str, ProcessHealth] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, name: str, status: ProcessStatus, detail: str = "") -> None:
        with self._lock:
            self._states[name] = ProcessHealth(name=name, status=status, detail=detail)

    def snapshot(self) -> list[ProcessHealth]:
        with self._lock:
            return list(self._states.values())


@dataclass(slots=True, kw_only=True, frozen=True)
class HealthReport:
    status: Status
    components: list[ComponentHealth]
    processes: list[ProcessHealth] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.status != "down"


class CheckHealth:
    """Each component's status, checked concurrently (at most once per FRESH_SECONDS: health and readiness
    answer from the last check until then), and the processes started beside this one.

    Rules: a required component that is down makes the whole system down
    (not ready); an optional one that is not ok makes it degraded. A process
    beside it that is starting or down makes it degraded, never down: the
    API serves without them (jobs wait for a worker, the scraper provider
    is skipped).
    """

    def __init__(
        self,
        database: DatabaseProbe,
        cache: CacheProbe,
        workflows: WorkflowProbe,
        replication: ReplicationProbe,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probes = [database, cache, workflows, replication]
        self._monotonic = monotonic
        self._last: tuple[float, list[ComponentHealth]] | None = None

    async def __call__(self, processes: Sequence[ProcessHealth] = ()) -> HealthReport:
        components = await self._components()
        if any(c.required and c.status == "down" for c in components):
            status: Status = "down"
        elif any(c.status != "ok" for c in components) or any(p.status != "ok" for p in processes):
            status = "degraded"
        else:
            status = "ok"
        return HealthReport(status=status, components=components, processes=list(processes))

    async def _components(self) -> list[ComponentHealth]:
        """Checked at most once per FRESH_SECONDS: a load balancer's (or a load test's) probes cost no more."""
        now = self._monotonic()
        if self._last is not None and now - self._last[0] < FRESH_SECONDS:
            return self._last[1]
        components = list(await asyncio.gather(*(probe.check() for probe in self._probes)))
        self._last = (now, components)
        return components
