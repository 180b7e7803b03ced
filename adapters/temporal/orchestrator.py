"""The JobOrchestrator on Temporal: starts one `EnrichmentJob` workflow per job, by name.

The workflow and its activities live in `entrypoints/worker/`; this client
only knows the workflow's name and input (in `contracts`, which the worker
shares) and its task queue. The workflow id is the job's, so starting a job
twice (a retried request) attaches to the run already there.
"""

from __future__ import annotations

from uuid import UUID

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from adapters.telemetry.tracing import temporal_interceptors
from adapters.temporal.contracts import ENRICHMENT_JOB, JobRun
from domain.kernel.errors import ServiceUnavailable


def workflow_id(job_id: UUID) -> str:
    return f"enrichment-job-{job_id}"


class TemporalJobOrchestrator:
    def __init__(self, address: str, *, namespace: str, task_queue: str) -> None:
        self._address, self._namespace, self._task_queue = address, namespace, task_queue
        self._client: Client | None = None

    async def client(self) -> Client:
        if self._client is None:
            try:
                self._client = await Client.connect(
                    self._address, namespace=self._namespace, interceptors=temporal_interceptors()
                )  # a started workflow carries the request's trace
            except RuntimeError as exc:  # the SDK's bridge reports an unreachable server this way
                raise ServiceUnavailable("the job orchestrator (Temporal) is unavailable") from exc
        return self._client

    async def start(self, workspace_id: UUID, job_id: UUID) -> None:
        client = await self.client()
        try:
            await client.start_workflow(
                ENRICHMENT_JOB,
                JobRun(workspace_id=str(workspace_id), job_id=str(job_id)),
                id=workflow_id(job_id),
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )
        except WorkflowAlreadyStartedError:
            pass  # its run already ended: the job is finished
        except RPCError as exc:
            raise ServiceUnavailable("the job orchestrator (Temporal) is unavailable") from exc
