"""What crosses Temporal, named once: the workflows' and activities' names, inputs and outputs.

The API's orchestrator (here, in adapters) starts workflows; the worker (in entrypoints) runs them and their
activities. Both import these, so a start and the run it starts agree on one name and one shape. Standard
library only: the workflow sandbox imports this module too. Temporal's default JSON converter carries each
dataclass as an object of its fields (ids as strings, a tuple as an array) and rebuilds it from the type hints.
"""

from __future__ import annotations

from dataclasses import dataclass

# Workflow names: traces (`RunWorkflow:EnrichmentJob`) and workflow ids speak of these.
ENRICHMENT_JOB = "EnrichmentJob"
WEBHOOK_DISPATCH = "WebhookDispatch"

# Activity names (`RunActivity:enrich_batch`).
BEGIN_JOB = "begin_job"
ENRICH_BATCH = "enrich_batch"
FINISH_JOB = "finish_job"
DISPATCH_WEBHOOKS = "dispatch_webhooks"

# The error type an activity fails with when its job is gone: final, never retried.
NOT_FOUND = "NotFound"


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRun:
    """The `EnrichmentJob` workflow's input: a job, from the batch this run starts at (continued as new)."""

    workspace_id: str
    job_id: str
    first_batch: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRef:
    """`begin_job`'s input."""

    workspace_id: str
    job_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class JobPlanned:
    """`begin_job`'s result: the batches to run, and how the workflow runs them."""

    batches: tuple[tuple[int, int], ...]  # positions [start, end) per batch
    parallel_batches: int  # batches in flight at once
    heartbeat_timeout_seconds: float  # a batch activity silent this long has lost its worker
    batch_attempts: int  # tries of one batch before the job fails


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchRef:
    """`enrich_batch`'s input: the job's records at positions [start, end)."""

    workspace_id: str
    job_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchDone:
    """`enrich_batch`'s result."""

    done: int  # records this call finished
    stopped: bool  # the job was cancelled or finished meanwhile: run no more batches


@dataclass(frozen=True, slots=True, kw_only=True)
class JobEnd:
    """`finish_job`'s input: `error` says why the job failed, None when it ran to its end."""

    workspace_id: str
    job_id: str
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchRun:
    """The `WebhookDispatch` workflow's input."""

    seconds: float  # one dispatch activity's run
    heartbeat_seconds: float  # an activity silent this long has lost its worker


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchRound:
    """`dispatch_webhooks`'s input: publish the outbox and deliver webhooks for this long."""

    seconds: float
