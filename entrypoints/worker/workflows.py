"""Temporal workflows. Deterministic and thin: every step is an activity.

The sandbox re-imports this module for each run, so it has no side effects: beside temporalio and the standard
library it imports only the contracts and the activity classes (for their typed methods), passed through the
sandbox, never re-imported by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from adapters.temporal.contracts import (
        ENRICHMENT_JOB,
        NOT_FOUND,
        WEBHOOK_DISPATCH,
        BatchDone,
        BatchRef,
        DispatchRound,
        DispatchRun,
        JobEnd,
        JobPlanned,
        JobRef,
        JobRun,
    )
    from entrypoints.worker.activities import JobActivities
    from entrypoints.worker.outbox_activities import OutboxActivities

# A run handles this many batches, then continues as new: the history stays small however large the job.
BATCHES_PER_RUN = 40
NOT_RETRIED = (NOT_FOUND,)  # a job that is gone stays gone


def step_retry(
    *, attempts: int = 0, max_interval: timedelta = timedelta(seconds=30), final: Sequence[str] = NOT_RETRIED
) -> RetryPolicy:
    """How a step is retried: from 1 s, doubling up to `max_interval`; `attempts` tries (0: no end); `final`
    error types are never retried."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=1),
        maximum_interval=max_interval,
        maximum_attempts=attempts,
        non_retryable_error_types=final,
    )


@workflow.defn(name=ENRICHMENT_JOB)
class EnrichmentJobWorkflow:
    @workflow.run
    async def run(self, job: JobRun) -> str:
        plan: JobPlanned = await workflow.execute_activity_method(
            JobActivities.begin_job,
            JobRef(workspace_id=job.workspace_id, job_id=job.job_id),
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=step_retry(attempts=20),
        )
        these = plan.batches[job.first_batch : job.first_batch + BATCHES_PER_RUN]
        error: str | None = None
        stopped = False
        slots = asyncio.Semaphore(plan.parallel_batches)

        async def batch(start: int, end: int) -> None:
            nonlocal stopped
            async with slots:
                if stopped:
                    return
                result: BatchDone = await workflow.execute_activity_method(
                    JobActivities.enrich_batch,
                    BatchRef(workspace_id=job.workspace_id, job_id=job.job_id, start=start, end=end),
                    start_to_close_timeout=timedelta(minutes=30),
                    heartbeat_timeout=timedelta(seconds=plan.heartbeat_timeout_seconds),
                    retry_policy=step_retry(attempts=plan.batch_attempts),
                )
                stopped = stopped or result.stopped

        outcomes = await asyncio.gather(*(batch(s, e) for s, e in these), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            first = failures[0]
            cause = first.cause if isinstance(first, ActivityError) and first.cause else first
            error = f"a batch failed after its retries: {cause}"
        elif not stopped and job.first_batch + BATCHES_PER_RUN < len(plan.batches):
            workflow.continue_as_new(replace(job, first_batch=job.first_batch + BATCHES_PER_RUN))
        await workflow.execute_activity_method(
            JobActivities.finish_job,
            JobEnd(workspace_id=job.workspace_id, job_id=job.job_id, error=error),
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=step_retry(max_interval=timedelta(seconds=60)),
        )
        return error or "finished"


# The webhook dispatcher runs as one long activity at a time; after this many, the workflow continues as new.
DISPATCH_RUNS_PER_WORKFLOW = 100


@workflow.defn(name=WEBHOOK_DISPATCH)
class WebhookDispatchWorkflow:
    """Keeps the outbox's consumers (the webhook dispatcher and the replicator) running on some worker, forever.

    Each activity publishes the outbox and delivers webhooks for `seconds`, heartbeating; a worker that dies
    stops the heartbeats and Temporal runs the activity again on another worker (its claimed deliveries come
    back when their lease ends). Retries never stop, whatever the error: the dispatcher must outlive any outage.
    """

    @workflow.run
    async def run(self, dispatch: DispatchRun) -> None:
        for _ in range(DISPATCH_RUNS_PER_WORKFLOW):
            await workflow.execute_activity_method(
                OutboxActivities.dispatch_webhooks,
                DispatchRound(seconds=dispatch.seconds),
                start_to_close_timeout=timedelta(seconds=dispatch.seconds + 120),
                heartbeat_timeout=timedelta(seconds=dispatch.heartbeat_seconds),
                retry_policy=step_retry(max_interval=timedelta(seconds=10), final=()),
            )
        workflow.continue_as_new(dispatch)
