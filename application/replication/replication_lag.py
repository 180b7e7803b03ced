"""How far behind the outbox each sink is: for `GET /health` (degraded past a bound, or with dead letters)
and for the replication gauges of `/metrics`."""

from __future__ import annotations

import time

from domain.replication.replication import ConsumerStatus
from ports.health import ComponentHealth, Status
from ports.metrics import Metrics
from ports.replication import ReplicationReader, ReplicationSink
from ports.system import Clock


class ReplicationLag:
    """Rules: a sink whose oldest waiting event is older than `degraded_seconds`, or that holds dead letters,
    makes replication degraded (never down: records are written and read whatever the index does); the
    detail names each sink's events behind, seconds behind and dead letters."""

    def __init__(
        self,
        reader: ReplicationReader,
        sinks: list[ReplicationSink],
        clock: Clock,
        metrics: Metrics,
        degraded_seconds: float,
    ) -> None:
        self._reader, self._clock, self._metrics = reader, clock, metrics
        self._sinks = [sink.name for sink in sinks]
        self._degraded_seconds = degraded_seconds

    async def statuses(self) -> list[ConsumerStatus]:
        """Each sink's status, told to the metrics too."""
        now = self._clock.now()
        statuses = [await self._reader.status(name, now) for name in self._sinks]
        for s in statuses:
            self._metrics.replication_lag(s.name, events=s.behind, seconds=s.seconds_behind, dead_letters=s.dead)
        return statuses

    async def check(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            statuses = await self.statuses()
        except Exception as exc:  # the database's own probe says why; here it only means "unknown"
            return ComponentHealth(name="replication", status="degraded", latency_ms=_since(started),
                                   detail=f"unknown ({type(exc).__name__})", required=False)  # fmt: skip
        late = any(s.seconds_behind > self._degraded_seconds or s.dead for s in statuses)
        status: Status = "degraded" if late else "ok"
        detail = "; ".join(
            f"{s.name}: {s.behind} events behind ({s.seconds_behind:.1f} s), {s.dead} dead letters" for s in statuses
        )
        return ComponentHealth(
            name="replication", status=status, latency_ms=_since(started), detail=detail, required=False
        )


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
