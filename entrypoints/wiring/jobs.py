"""dishka wiring of enrichment jobs: the use cases, the runner and the orchestrator the profile calls for."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, provide

from adapters.memory.health import StaticProbe
from adapters.memory.jobs import MemoryJobReader
from adapters.postgres.jobs import PostgresJobReader
from adapters.temporal.health import TemporalProbe
from adapters.temporal.orchestrator import TemporalJobOrchestrator
from application.job.begin_job import BeginJob
from application.job.cancel_job import CancelJob
from application.job.enrich_job_item import EnrichJobItem, SaveJobItems
from application.job.finish_job import FinishJob
from application.job.get_job import GetJob
from application.job.inline_orchestrator import InlineOrchestrator
from application.job.job_runner import JobRunner, JobTuning
from application.job.list_job_results import ListJobResults
from application.job.list_jobs import ListJobs
from application.job.load_job_batch import JobStopped, LoadJobBatch
from application.job.submit_job import SubmitJob
from entrypoints.wiring.job_steps import ScopedJobSteps
from entrypoints.wiring.settings import Settings
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.health import WorkflowProbe
from ports.jobs import JobOrchestrator, JobReader


class JobWiring(Provider):
    scope = Scope.APP

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(self, topology, JobReader, memory=MemoryJobReader, postgres=PostgresJobReader)
        # The topology picks the orchestrator once: Temporal's, or the one that runs jobs in this process.
        if topology.workflows:
            self.alias(source=TemporalJobOrchestrator, provides=JobOrchestrator)
            self.provide(_temporal_probe, scope=Scope.APP)
        else:
            self.alias(source=InlineOrchestrator, provides=JobOrchestrator)
            self.provide(_no_workflows, scope=Scope.APP)

    @provide
    def tuning(self, settings: Settings) -> JobTuning:
        return JobTuning(
            batch_size=settings.jobs.batch_size,
            concurrency=settings.jobs.concurrency,
            parallel_batches=settings.jobs.parallel_batches,
        )

    @provide
    def runner(self, container: AsyncContainer, tuning: JobTuning) -> JobRunner:
        return JobRunner(ScopedJobSteps(container), tuning)

    @provide
    async def inline(self, runner: JobRunner) -> AsyncIterator[InlineOrchestrator]:
        inline = InlineOrchestrator(runner)
        yield inline
        await inline.close()

    @provide
    def temporal(self, settings: Settings) -> TemporalJobOrchestrator:
        return TemporalJobOrchestrator(
            settings.temporal.address, namespace=settings.temporal.namespace, task_queue=settings.temporal.task_queue
        )

    submit_job = provide(SubmitJob, scope=Scope.REQUEST)
    get_job = provide(GetJob, scope=Scope.REQUEST)
    list_jobs = provide(ListJobs, scope=Scope.REQUEST)
    list_job_results = provide(ListJobResults, scope=Scope.REQUEST)
    cancel_job = provide(CancelJob, scope=Scope.REQUEST)
    begin_job = provide(BeginJob, scope=Scope.REQUEST)
    load_job_batch = provide(LoadJobBatch, scope=Scope.REQUEST)
    job_stopped = provide(JobStopped)  # reads through the app's JobReader: no unit of work, no scope per check
    enrich_job_item = provide(EnrichJobItem, scope=Scope.REQUEST)
    save_job_items = provide(SaveJobItems, scope=Scope.REQUEST)
    finish_job = provide(FinishJob, scope=Scope.REQUEST)


def _temporal_probe(orchestrator: TemporalJobOrchestrator) -> WorkflowProbe:
    return TemporalProbe(orchestrator)


def _no_workflows() -> WorkflowProbe:
    return StaticProbe("temporal", "not configured; jobs run in the API process")
