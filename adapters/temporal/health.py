"""Temporal's health as the API sees it: can it reach the frontend that starts jobs?"""

from __future__ import annotations

import asyncio
import time

from temporalio.service import RPCError

from adapters.temporal.orchestrator import TemporalJobOrchestrator
from domain.kernel.errors import ServiceUnavailable
from ports.health import ComponentHealth


class TemporalProbe:
    """Optional: while Temporal is down jobs are accepted but wait to start; everything else is served."""

    def __init__(self, orchestrator: TemporalJobOrchestrator, *, timeout_seconds: float = 1.0) -> None:
        self._orchestrator = orchestrator
        self._timeout = timeout_seconds

    async def check(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                client = await self._orchestrator.client()
                serving = await client.service_client.check_health()
        except (ServiceUnavailable, RPCError, RuntimeError, OSError, TimeoutError):
            serving = False
        latency = round((time.perf_counter() - started) * 1000, 2)
        if not serving:
            return ComponentHealth(
                name="temporal", status="degraded", latency_ms=latency, required=False,
                detail="temporal is unavailable; new jobs cannot start",
            )  # fmt: skip
        return ComponentHealth(name="temporal", status="ok", latency_ms=latency, required=False)
