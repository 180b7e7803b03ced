"""Temporal workflows. Deterministic and thin: every step is an activity.

The sandbox re-imports this module for each run, so it imports nothing but
temporalio and the standard library, and has no side effects.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

# A run handles this many batches, then continues as new: the history stays small however large the job.
BATCHES_PER_RUN = 40
STEP_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
NOT_RETRIED = ["NotFound"]


@workflow.defn(name="EnrichmentJob")
class EnrichmentJobWorkflow:
    @workflow.run
    async def run(self, workspace_id: str, job_id: str, first_batch: int) -> str:
        plan: dict[str, Any] = await workflow.execute_activity(
            "begin_job",
            args=[workspace_id, job_id],
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=1),
                maximum_interval=timedelta(seconds=30),
                maximum_attempts=20,
                non_retryable_error_types=NOT_RETRIED,
            ),
        )
        batches: list[list[int]] = plan["batches"]
        these = batches[first_batch : first_batch + BATCHES_PER_RUN]
        error: str | None = None
        stopped = False
        slots = asyncio.Semaphore(plan["parallelBatches"])

        async def batch(start: int, end: int) -> None:
            nonlocal stopped
            async with slots:
                if stopped:
                    return
                result: dict[str, Any] = await workflow.execute_activity(
                    "enrich_batch",
                    args=[workspace_id, job_id, start, end],
                    start_to_close_timeout=timedelta(minutes=30),
                    heartbeat_timeout=timedelta(seconds=plan["heartbeatTimeoutSeconds"]),
                    retry_policy=RetryPolicy(
                        initial_interval=timedelta(seconds=1),
                        maximum_interval=timedelta(seconds=30),
                        maximum_attempts=plan["batchAttempts"],
                        non_retryable_error_types=NOT_RETRIED,
                    ),
                )
                stopped = stopped or result["stopped"]

        outcomes = await asyncio.gather(*(batch(s, e) for s, e in these), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            first = failures[0]
            cause = first.cause if isinstance(first, ActivityError) and first.cause else first
            error = f"a batch failed after its retries: {cause}"
        elif not stopped and first_batch + BATCHES_PER_RUN < len(batches):
            workflow.continue_as_new(args=[workspace_id, job_id, first_batch + BATCHES_PER_RUN])
        await workflow.execute_activity(
            "finish_job",
            args=[workspace_id, job_id, error],
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=1),
                maximum_interval=timedelta(seconds=60),
                non_retryable_error_types=NOT_RETRIED,
            ),
        )
        return error or "finished"


# The webhook dispatcher runs as one long activity at a time; after this many, the workflow continues as new.
DISPATCH_RUNS_PER_WORKFLOW = 100


@workflow.defn(name="WebhookDispatch")
class WebhookDispatchWorkflow:
    """Keeps the webhook dispatcher running on some worker, forever.

    Each activity publishes the outbox and delivers webhooks for `seconds`, heartbeating; a worker that dies
    stops the heartbeats and Temporal runs the activity again on another worker (its claimed deliveries come
    back when their lease ends). Retries never stop: the dispatcher must outlive any outage.
    """

    @workflow.run
    async def run(self, seconds: float, heartbeat_seconds: float) -> None:
        for _ in range(DISPATCH_RUNS_PER_WORKFLOW):
            await workflow.execute_activity(
                "dispatch_webhooks",
                args=[seconds],
                start_to_close_timeout=timedelta(seconds=seconds + 120),
                heartbeat_timeout=timedelta(seconds=heartbeat_seconds),
                retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10)),
            )
        workflow.continue_as_new(args=[seconds, heartbeat_seconds])
