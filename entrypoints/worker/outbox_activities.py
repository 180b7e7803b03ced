"""The Temporal side of the outbox's consumers: one long activity that runs the webhook dispatcher and the
replicator (the search index) side by side, and starting its workflow once per cluster."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from adapters.temporal.contracts import DISPATCH_WEBHOOKS, DispatchRound, DispatchRun
from application.replication.replicator import Replicator
from application.webhook.dispatcher import WebhookDispatcher

DISPATCH_SECONDS = 300.0  # one activity's run; the workflow starts the next at once


class OutboxActivities:
    def __init__(
        self, dispatcher: WebhookDispatcher, replicator: Replicator, *, heartbeat_timeout_seconds: float
    ) -> None:
        self._dispatcher = dispatcher
        self._replicator = replicator
        self._heartbeat_every = heartbeat_timeout_seconds / 4

    @activity.defn(name=DISPATCH_WEBHOOKS)
    async def dispatch_webhooks(self, dispatch: DispatchRound) -> None:
        beat = asyncio.Event()

        async def heart() -> None:
            # A round that hangs (the database gone) stops the beats, and Temporal moves the activity on.
            while True:
                await beat.wait()
                beat.clear()
                activity.heartbeat()
                await asyncio.sleep(self._heartbeat_every)

        beating = asyncio.create_task(heart())
        try:
            await asyncio.gather(
                self._dispatcher.run(seconds=dispatch.seconds, beat=beat),
                self._replicator.run(seconds=dispatch.seconds, beat=beat),
            )
        finally:
            beating.cancel()

    def all(self) -> list[Any]:
        return [self.dispatch_webhooks]


async def ensure_dispatching(client: Client, *, task_queue: str, heartbeat_timeout_seconds: float) -> None:
    """Start the dispatcher workflow of this task queue unless it already runs (every worker asks; one runs)."""
    # Imported here: the workflow module imports this one for `OutboxActivities.dispatch_webhooks`.
    from entrypoints.worker.workflows import WebhookDispatchWorkflow

    await client.start_workflow(
        WebhookDispatchWorkflow.run,
        DispatchRun(seconds=DISPATCH_SECONDS, heartbeat_seconds=heartbeat_timeout_seconds),
        id=f"webhook-dispatch-{task_queue}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
