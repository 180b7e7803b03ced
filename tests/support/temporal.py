"""Workers for the jobs on real Temporal: one in this process, or a `cascade worker` process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.client import Client
from temporalio.worker import Worker

from adapters.telemetry.tracing import temporal_interceptors
from application.job.job_runner import JobRunner
from entrypoints.wiring.container import build_container
from entrypoints.wiring.settings import Settings, env_name, flat
from entrypoints.worker.activities import JobActivities
from entrypoints.worker.workflows import EnrichmentJobWorkflow


@asynccontextmanager
async def in_process_worker(settings: Settings) -> AsyncIterator[None]:
    container = build_container(settings)
    try:
        runner = await container.get(JobRunner)
        activities = JobActivities(runner, heartbeat_timeout_seconds=2, batch_attempts=5)
        # as `cascade worker` builds it: with tracing on, the client's interceptor is inherited by the worker
        client = await Client.connect(settings.temporal.address, interceptors=temporal_interceptors())
        async with Worker(
            client,
            task_queue=settings.temporal.task_queue,
            workflows=[EnrichmentJobWorkflow],
            activities=activities.all(),
        ):
            yield
    finally:
        await container.close()


def worker_process(settings: Settings) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    for name, value in flat(settings).items():
        env[env_name(name)] = str(value)
    env[env_name("log_level")] = "WARNING"
    return subprocess.Popen([sys.executable, "-m", "entrypoints.cli.main", "worker"], env=env)
