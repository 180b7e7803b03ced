"""dishka wiring of enrichment jobs: the use cases, the runner and the orchestrator the profile calls for."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, provide

from adapters.memory.health import StaticProbe
from adapters.temporal.health import TemporalProbe
from adapters.temporal.orchestrator import TemporalJobOrchestrator
from application.job.begin_job import BeginJob
from application.job.cancel_job import CancelJob
from application.job.enrich_job_item import EnrichJobItem, SaveJobItems
from application.job.finish_job import FinishJob
from application.job.get_job import GetJob
from application.job.list_job_results import ListJobResults
from application.job.list_jobs import ListJobs
from application.job.load_job_batch import JobStopped, LoadJobBatch
from application.job.submit_job import SubmitJob
from entrypoints.config import Settings
from entrypoints.worker.inline import InlineOrchestrator
from entrypoints.worker.job_runner import JobRunner, JobTuning
from ports.health import WorkflowProbe
from ports.jobs import JobOrchestrator


class JobWiring(Provider):
    scope = Scope.APP

    @provide
    def tuning(self, settings: Settings) -> JobTuning:
        return JobTuning(
            batch_size=settings.job_batch_size,
            concurrency=settings.job_concurrency,
            parallel_batches=settings.job_parallel_batches,
        )

    @provide
    def runner(self, container: AsyncContainer, tuning: JobTuning) -> JobRunner:
        return JobRunner(container, tuning)

    @provide
    async def orchestrator(self, settings: Settings, runner: JobRunner) -> AsyncIterator[JobOrchestrator]:
        if settings.temporal_address:
            yield TemporalJobOrchestrator(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                task_queue=settings.temporal_task_queue,
            )
            return
        inline = InlineOrchestrator(runner)
        yield inline
        await inline.close()

    @provide
    def workflow_probe(self, orchestrator: JobOrchestrator) -> WorkflowProbe:
        if isinstance(orchestrator, TemporalJobOrchestrator):
            return TemporalProbe(orchestrator)
        return StaticProbe("temporal", "not configured; jobs run in the API process")

    submit_job = provide(SubmitJob, scope=Scope.REQUEST)
    get_job = provide(GetJob, scope=Scope.REQUEST)
    list_jobs = provide(ListJobs, scope=Scope.REQUEST)
    list_job_results = provide(ListJobResults, scope=Scope.REQUEST)
    cancel_job = provide(CancelJob, scope=Scope.REQUEST)
    begin_job = provide(BeginJob, scope=Scope.REQUEST)
    load_job_batch = provide(LoadJobBatch, scope=Scope.REQUEST)
    job_stopped = provide(JobStopped, scope=Scope.REQUEST)
    enrich_job_item = provide(EnrichJobItem, scope=Scope.REQUEST)
    save_job_items = provide(SaveJobItems, scope=Scope.REQUEST)
    finish_job = provide(FinishJob, scope=Scope.REQUEST)
