"""The loop that keeps every sink (the search index, later analytics) up with the outbox.

Each sink is followed on its own: a batch at a time while events wait, then a pause of `poll_seconds`. A sink
that cannot apply anything (its engine is away) is asked again after a wait that doubles up to
`max_backoff_seconds`; the database blinking is logged and the step tried again. Nothing is lost either way:
the events stay in the outbox until the sink's position passes them.

It runs inside the Temporal activity `replicate_outbox` on workers, or as a background task of the API when
there is no Temporal. Each drain is a unit of work of its own (`drain`, provided by the composition root).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from domain.kernel.errors import DomainError
from domain.replication.replication import SinkUnavailable
from ports.replication import ReplicationSink

log = structlog.get_logger("cascade.replication")


@dataclass(slots=True, kw_only=True, frozen=True)
class ReplicationTuning:
    batch: int = 500
    poll_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    measure_seconds: float = 5.0  # how often the lag is measured for the metrics


class Replicator:
    def __init__(
        self,
        sinks: list[ReplicationSink],
        drain: Callable[[ReplicationSink], Awaitable[int]],
        tuning: ReplicationTuning,
        *,
        measure: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.sinks = sinks
        self._drain = drain
        self.tuning = tuning
        self._measure = measure
        self._background: asyncio.Task[None] | None = None

    async def run(self, *, seconds: float | None = None, beat: asyncio.Event | None = None) -> None:
        """Follow every sink until cancelled, or for `seconds`. Each step sets `beat` (for heartbeats)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        await asyncio.gather(*(self._follow(sink, deadline, beat) for sink in self.sinks), self._measuring(deadline))

    def start_background(self) -> None:
        """Run in this process until `stop` (the API without Temporal)."""
        if self._background is None and self.sinks:
            self._background = asyncio.create_task(self.run(), name="replicator")

    async def stop(self) -> None:
        task, self._background = self._background, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _measuring(self, deadline: float | None) -> None:
        """The lag, measured every `measure_seconds` for the metrics of the process that drains."""
        while self._measure is not None and (deadline is None or time.monotonic() < deadline):
            try:
                await self._measure()
            except (DomainError, OSError) as exc:
                log.warning("replication_lag_unmeasured", error=str(exc))
            left = self.tuning.measure_seconds if deadline is None else deadline - time.monotonic()
            await asyncio.sleep(max(0.0, min(self.tuning.measure_seconds, left)))

    async def _follow(self, sink: ReplicationSink, deadline: float | None, beat: asyncio.Event | None) -> None:
        backoff = self.tuning.poll_seconds
        while deadline is None or time.monotonic() < deadline:
            try:
                handled = await self._drain(sink)
                backoff = self.tuning.poll_seconds
            except SinkUnavailable as exc:
                log.warning("replication_sink_unavailable", sink=sink.name, error=exc.message, retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.tuning.max_backoff_seconds)
                continue
            except (DomainError, OSError) as exc:
                log.warning("replication_step_failed", sink=sink.name, error=str(exc))
                await asyncio.sleep(self.tuning.poll_seconds)
                continue
            except Exception:  # a bug must not stop replication for good: logged, and the step tried again
                log.exception("replication_step_crashed", sink=sink.name)
                await asyncio.sleep(self.tuning.max_backoff_seconds)
                continue
            finally:
                if beat is not None:
                    beat.set()
            if handled < self.tuning.batch:
                await asyncio.sleep(self.tuning.poll_seconds)
