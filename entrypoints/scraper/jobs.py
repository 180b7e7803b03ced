"""Scrape jobs: run in this process, kept in memory for an hour, results delivered to a signed callback.

A job is lost if the process stops (the caller can submit it again: a
scrape changes nothing). The callback is a POST of the job as JSON,
signed `X-Cascade-Signature: t=…,v1=…` with the service key the job was
submitted with, sent through the same SSRF guard as any fetch, tried
three times.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec
import structlog

from adapters.net.guarded_http import GuardedHttp
from application.scrape.scrape_site import ScrapeCommand, ScrapeSite
from domain.kernel.errors import DomainError
from domain.kernel.signatures import signature_header
from entrypoints.scraper.schemas import ErrorOut, ScrapeJobOut, scrape_out

log = structlog.get_logger("cascade.scraper.jobs")
KEEP_SECONDS = 3600
CALLBACK_ATTEMPTS = 3


@dataclass(slots=True)
class ScrapeJob:
    id: str
    command: ScrapeCommand
    callback_url: str | None
    signing_key: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    view: ScrapeJobOut | None = None
    task: asyncio.Task[None] | None = None

    def out(self) -> ScrapeJobOut:
        return self.view or ScrapeJobOut(
            id=self.id, status="queued", created_at=self.created_at, finished_at=None, result=None, error=None,
            callback=None,
        )  # fmt: skip


class ScrapeJobs:
    def __init__(self, scrape: ScrapeSite, http: GuardedHttp, *, max_running: int = 8) -> None:
        self._scrape, self._http = scrape, http
        self._jobs: dict[str, ScrapeJob] = {}
        self._slots = asyncio.Semaphore(max_running)

    def submit(self, command: ScrapeCommand, *, callback_url: str | None, signing_key: str) -> ScrapeJob:
        self._forget_old()
        job = ScrapeJob(id=uuid.uuid4().hex, command=command, callback_url=callback_url, signing_key=signing_key)
        self._jobs[job.id] = job
        job.task = asyncio.create_task(self._run(job), name=f"scrape-job-{job.id}")
        return job

    def get(self, job_id: str) -> ScrapeJob | None:
        return self._jobs.get(job_id)

    async def close(self) -> None:
        tasks = [j.task for j in self._jobs.values() if j.task and not j.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, job: ScrapeJob) -> None:
        async with self._slots:
            job.view = msgspec.structs.replace(job.out(), status="running")
            try:
                result = await self._scrape(job.command)
                job.view = msgspec.structs.replace(
                    job.out(), status="completed", result=scrape_out(result), finished_at=datetime.now(UTC)
                )
            except DomainError as exc:
                job.view = msgspec.structs.replace(
                    job.out(), status="failed", error=ErrorOut(code=exc.code, message=exc.message),
                    finished_at=datetime.now(UTC),
                )  # fmt: skip
            except Exception:
                log.exception("scrape_job_failed", job_id=job.id)
                job.view = msgspec.structs.replace(
                    job.out(), status="failed", error=ErrorOut(code="INTERNAL", message="the scrape failed"),
                    finished_at=datetime.now(UTC),
                )  # fmt: skip
        if job.callback_url:
            job.view = msgspec.structs.replace(job.out(), callback=await self._deliver(job))

    async def _deliver(self, job: ScrapeJob) -> str:
        assert job.callback_url is not None
        body = msgspec.json.encode(job.out())
        why = ""
        for attempt in range(CALLBACK_ATTEMPTS):
            headers = {
                "content-type": "application/json",
                "x-cascade-event": "scrape.completed",
                "x-cascade-delivery": job.id,  # the same for every retry: receivers de-duplicate by it
                "x-cascade-signature": signature_header([job.signing_key], int(time.time()), body),
            }
            try:
                answer = await self._http.fetch(job.callback_url, method="POST", headers=headers, body=body)
                if 200 <= answer.status < 300:
                    return "delivered"
                why = f"HTTP {answer.status}"
            except DomainError as exc:
                why = exc.message
            await asyncio.sleep(0.5 * 2**attempt)
        log.warning("scrape_callback_failed", job_id=job.id, reason=why)
        return f"failed: {why}"

    def _forget_old(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        for job_id in [i for i, j in self._jobs.items() if j.created_at.timestamp() < cutoff]:
            del self._jobs[job_id]
