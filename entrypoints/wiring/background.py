"""What the API process runs besides answering requests, where no worker does (no Temporal): enrichment jobs,
resumed when the process starts, webhook deliveries and replication (the search index). Started once start-up
is done, stopped before the container closes the pools and clients that work uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dishka import AsyncContainer, Provider, Scope, provide

from application.job.inline_orchestrator import InlineOrchestrator
from application.replication.replicator import Replicator
from application.webhook.dispatcher import WebhookDispatcher
from entrypoints.wiring.topology import Topology
from ports.jobs import JobReader


class BackgroundWork:
    def __init__(self, topology: Topology, container: AsyncContainer) -> None:
        self._topology = topology
        self._container = container
        self._stops: list[Callable[[], Awaitable[None]]] = []

    async def start(self) -> None:
        if self._topology.workflows or self._stops:
            return
        jobs = await self._container.get(InlineOrchestrator)
        jobs.resume_in_background(await self._container.get(JobReader))  # finish what a stop left unfinished
        self._stops.append(jobs.close)
        webhooks = await self._container.get(WebhookDispatcher)
        webhooks.start_background()
        self._stops.append(webhooks.stop)
        replicator = await self._container.get(Replicator)
        replicator.start_background()
        self._stops.append(replicator.stop)

    async def stop(self) -> None:
        stops, self._stops = self._stops, []
        for stop in reversed(stops):
            await stop()


class BackgroundWiring(Provider):
    scope = Scope.APP
    work = provide(BackgroundWork)
