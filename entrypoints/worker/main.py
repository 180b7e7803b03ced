"""`cascade worker`: runs enrichment jobs from the Temporal task queue until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal

import structlog
from prometheus_client import CollectorRegistry
from temporalio.client import Client
from temporalio.worker import Worker

from adapters.telemetry.tracing import temporal_interceptors
from application.job.job_runner import JobRunner
from application.replication.replicator import Replicator
from application.webhook.dispatcher import WebhookDispatcher
from entrypoints.wiring.container import build_container
from entrypoints.wiring.settings import ConfigError, Settings
from entrypoints.worker.activities import JobActivities
from entrypoints.worker.metrics_server import serve_metrics
from entrypoints.worker.outbox_activities import OutboxActivities, ensure_dispatching
from entrypoints.worker.workflows import EnrichmentJobWorkflow, WebhookDispatchWorkflow
from ports.metrics import Metrics

log = structlog.get_logger("cascade.worker")


async def run_worker(settings: Settings) -> None:
    if not settings.temporal.address:
        raise ConfigError("CASCADE_TEMPORAL_ADDRESS: required by the worker")
    container = build_container(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await container.get(Metrics)  # every series exists (at zero) from the first scrape, not from its first event
    stop_metrics = serve_metrics(settings, await container.get(CollectorRegistry))
    try:
        runner = await container.get(JobRunner)
        activities = JobActivities(
            runner,
            heartbeat_timeout_seconds=settings.jobs.heartbeat_timeout_seconds,
            batch_attempts=settings.jobs.batch_attempts,
        )
        outbox = OutboxActivities(
            await container.get(WebhookDispatcher),
            await container.get(Replicator),
            heartbeat_timeout_seconds=settings.jobs.heartbeat_timeout_seconds,
        )
        # The worker inherits the client's interceptors: workflows and activities continue the caller's trace.
        client = await Client.connect(
            settings.temporal.address, namespace=settings.temporal.namespace, interceptors=temporal_interceptors()
        )
        worker = Worker(
            client,
            task_queue=settings.temporal.task_queue,
            workflows=[EnrichmentJobWorkflow, WebhookDispatchWorkflow],
            activities=[*activities.all(), *outbox.all()],
            # Each batch activity holds concurrency / parallel_batches records in flight.
            max_concurrent_activities=max(8, settings.jobs.parallel_batches * 4),
        )
        async with worker:
            await ensure_dispatching(
                client,
                task_queue=settings.temporal.task_queue,
                heartbeat_timeout_seconds=settings.jobs.heartbeat_timeout_seconds,
            )
            log.info("worker_started", task_queue=settings.temporal.task_queue, address=settings.temporal.address)
            await stop.wait()
            log.info("worker_stopping")
    finally:
        stop_metrics()
        await container.close()
