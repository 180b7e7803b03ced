"""JobRepository and JobReader on the memory and Postgres adapters alike."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from domain.jobs.job import MAX_JOB_RECORDS, MISSING, ItemState, Job, JobItem, JobProgress, JobStatus
from domain.kernel.errors import Conflict
from domain.kernel.pagination import PageRequest
from domain.records.record import RecordStatus
from domain.workspaces.workspace import Workspace
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, new_workspace, persist, utc_now
from tests.support.builders.jobs import new_job, store_job
from tests.support.builders.records import enriched_person, new_record, store_records
from tests.support.paging import BASE, LIMITS, OFFSETS, all_pages, assert_paged


def pending(job: Job, position: int, record_id: UUID) -> JobItem:
    return JobItem(job_id=job.id, workspace_id=job.workspace_id, position=position, record_id=record_id)


# One moment for every item finished here: a test that builds the same finished item twice (to store it, then to
# compare what is read back) must not see the clock's second tick in between.
FINISHED_AT = utc_now().replace(microsecond=654321)


def done(
    item: JobItem, outcome: str, *, credits: int = 0, fields: tuple[str, ...] = (), error: str | None = None
) -> JobItem:
    return replace(
        item,
        state=ItemState.DONE,
        outcome=outcome,
        credits=credits,
        fields=fields,
        error=error,
        finished_at=FINISHED_AT,
    )


async def two_workspaces(backend: Backend) -> tuple[Workspace, Workspace]:
    owner = new_user()
    mine, theirs = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, mine, theirs)
    return mine, theirs


async def test_add_then_get_with_items_numbered_in_order(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    job = new_job(workspace, total=4, idempotency_key="import-42")
    record_ids = await store_job(backend, job)

    assert await backend.jobs.get(workspace.id, job.id) == job
    assert await backend.jobs.get(workspace.id, uuid4()) is None
    assert await backend.jobs.by_idempotency_key(workspace.id, "import-42") == job
    assert await backend.jobs.by_idempotency_key(workspace.id, "import-43") is None
    async with backend.uow() as uow:
        assert await uow.jobs.get_for_update(workspace.id, job.id) == job
        assert await uow.jobs.by_idempotency_key(workspace.id, "import-42") == job
        assert await uow.jobs.progress(workspace.id, job.id) == JobProgress(total=4)
    assert await backend.jobs.progress(workspace.id, job.id) == JobProgress(total=4)
    expected = [pending(job, p, r) for p, r in enumerate(record_ids)]
    assert await backend.jobs.pending_items(workspace.id, job.id, 0, 4) == expected
    results = await backend.jobs.results(workspace.id, job.id, after=None, limit=10)
    assert [r.item for r in results] == expected
    assert [r.record for r in results] == [None] * 4  # those ids name no record


async def test_every_field_of_a_job_survives_add(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    started = utc_now().replace(microsecond=111111)
    job = replace(
        new_job(workspace, total=1, reserved=0, status=JobStatus.FAILED),
        fields=("ünïcode", "title"),
        providers=(),
        cancel_requested=True,
        credits_spent=0,
        final_progress=JobProgress(total=1, done=1, failed=1),
        error="every provider failed",
        started_at=started,
        finished_at=started + timedelta(seconds=3),
    )
    assert job.reservation_id is None
    await store_job(backend, job)

    assert await backend.jobs.get(workspace.id, job.id) == job


async def test_an_idempotency_key_names_one_job_per_workspace(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    first = new_job(mine, idempotency_key="k")
    await store_job(backend, first)
    before_conflict = new_job(mine, idempotency_key="other")

    async with backend.uow() as uow:
        await uow.jobs.add(before_conflict, [uuid4() for _ in range(before_conflict.total)])
        with pytest.raises(Conflict):
            await uow.jobs.add(new_job(mine, idempotency_key="k"), [uuid4(), uuid4(), uuid4()])
        await uow.commit()
    assert await backend.jobs.get(mine.id, before_conflict.id) is None  # the unit of work kept nothing
    assert await backend.jobs.by_idempotency_key(mine.id, "k") == first

    elsewhere = new_job(theirs, idempotency_key="k")
    keyless = [new_job(mine), new_job(mine)]
    await store_job(backend, elsewhere)
    for job in keyless:
        await store_job(backend, job)
    assert await backend.jobs.by_idempotency_key(theirs.id, "k") == elsewhere
    assert await backend.jobs.by_idempotency_key(mine.id, "k") == first
    for job in keyless:
        assert await backend.jobs.get(mine.id, job.id) == job


async def test_a_taken_job_id_is_a_conflict(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    job = new_job(workspace)
    await store_job(backend, job)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.jobs.add(replace(new_job(workspace), id=job.id), [uuid4(), uuid4(), uuid4()])

    assert await backend.jobs.get(workspace.id, job.id) == job


async def test_nothing_is_kept_without_commit(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    job = new_job(workspace, idempotency_key="k")

    async with backend.uow() as uow:
        await uow.jobs.add(job, [uuid4() for _ in range(job.total)])
        assert await uow.jobs.get_for_update(workspace.id, job.id) == job
        assert await backend.jobs.get(workspace.id, job.id) is None  # readers see committed data only

    assert await backend.jobs.get(workspace.id, job.id) is None
    assert await backend.jobs.by_idempotency_key(workspace.id, "k") is None
    assert await backend.jobs.progress(workspace.id, job.id) is None
    assert await backend.jobs.pending_items(workspace.id, job.id, 0, job.total) == []
    assert await backend.jobs.results(workspace.id, job.id, after=None, limit=10) == []
    assert (await backend.jobs.list(workspace.id, PageRequest())).items == []
    await store_job(backend, job)  # the key is free again
    assert await backend.jobs.by_idempotency_key(workspace.id, "k") == job


def finished(job: Job) -> Job:
    """The job with every field `save` persists changed."""
    started = utc_now().replace(microsecond=222222)
    return replace(
        job,
        status=JobStatus.PARTIALLY_COMPLETED,
        cancel_requested=True,
        credits_spent=7,
        final_progress=JobProgress(total=3, done=3, enriched=1, partial=1, not_found=0, failed=1),
        error="the worker gave up",
        started_at=started,
        finished_at=started + timedelta(minutes=2),
    )


async def test_get_for_update_and_save_roundtrip_every_saved_field(backend: Backend) -> None:
    workspace, other = await two_workspaces(backend)
    job, bystander = new_job(workspace), new_job(workspace)
    await store_job(backend, job)
    await store_job(backend, bystander)

    async with backend.uow() as uow:
        locked = await uow.jobs.get_for_update(workspace.id, job.id)
        assert locked is not None
        changed = finished(locked)
        await uow.jobs.save(changed)
        await uow.jobs.save(replace(changed, workspace_id=other.id, status=JobStatus.FAILED))  # ignored
        await uow.jobs.save(replace(changed, id=uuid4()))  # unknown id: ignored
        assert await uow.jobs.get_for_update(workspace.id, job.id) == changed
        await uow.commit()

    assert await backend.jobs.get(workspace.id, job.id) == changed
    assert await backend.jobs.get(other.id, job.id) is None
    assert await backend.jobs.get(workspace.id, bystander.id) == bystander

    running = replace(changed, status=JobStatus.RUNNING, final_progress=None, credits_spent=None, error=None)
    async with backend.uow() as uow:
        await uow.jobs.save(replace(running, finished_at=None, cancel_requested=False))
        await uow.commit()
    assert await backend.jobs.get(workspace.id, job.id) == replace(running, finished_at=None, cancel_requested=False)


async def test_save_changes_the_saved_fields_only(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    job = new_job(workspace, idempotency_key="k")
    await store_job(backend, job)
    changed = finished(job)

    async with backend.uow() as uow:
        await uow.jobs.save(
            replace(
                changed,
                created_by=uuid4(),
                fields=("title",),
                providers=("hunter",),
                total=99,
                credits_reserved=1000,
                reservation_id=uuid4(),
                idempotency_key="other",
                fingerprint="changed",
                created_at=changed.created_at + timedelta(days=1),
            )
        )
        await uow.commit()

    assert await backend.jobs.get(workspace.id, job.id) == changed


async def test_finish_item_once_and_progress_counts_outcomes(backend: Backend) -> None:
    workspace, other = await two_workspaces(backend)
    job = new_job(workspace, total=7)
    record_ids = await store_job(backend, job)
    items = [pending(job, p, r) for p, r in enumerate(record_ids)]
    outcomes = [
        done(items[0], RecordStatus.ENRICHED.value, credits=3, fields=("title", "location")),
        done(items[1], RecordStatus.PARTIAL.value, credits=1, fields=("title",)),
        done(items[2], RecordStatus.NOT_FOUND.value, credits=2),
        done(items[3], RecordStatus.FAILED.value, error="every provider failed"),
        done(items[4], MISSING, error="the record was deleted"),
        done(items[5], RecordStatus.ENRICHED.value, credits=1, fields=("companyDomain",)),
    ]

    async with backend.uow() as uow:
        for item in outcomes:
            assert await uow.jobs.finish_item(item) is True
        assert await uow.jobs.finish_item(replace(outcomes[0], outcome=RecordStatus.FAILED.value)) is False
        assert await uow.jobs.finish_item(done(items[6], "enriched", credits=5)) is True
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.jobs.finish_item(done(items[6], RecordStatus.NOT_FOUND.value)) is False  # a retry's duplicate
        assert await uow.jobs.finish_item(done(pending(job, 7, uuid4()), "enriched")) is False  # no such position
        assert await uow.jobs.finish_item(done(replace(items[0], job_id=uuid4()), "enriched")) is False
        await uow.commit()

    expected = JobProgress(total=7, done=7, enriched=3, partial=1, not_found=1, failed=2)
    assert await backend.jobs.progress(workspace.id, job.id) == expected
    async with backend.uow() as uow:
        assert await uow.jobs.progress(workspace.id, job.id) == expected
    assert await backend.jobs.progress(other.id, job.id) is None
    assert await backend.jobs.progress(workspace.id, uuid4()) is None
    results = await backend.jobs.results(workspace.id, job.id, after=None, limit=10)
    assert [r.item for r in results] == [*outcomes, done(items[6], "enriched", credits=5)]


async def test_progress_counts_only_done_items_and_a_rollback_undoes_finishing(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    job = new_job(workspace, total=5)
    record_ids = await store_job(backend, job)
    items = [pending(job, p, r) for p, r in enumerate(record_ids)]

    async with backend.uow() as uow:
        assert await uow.jobs.finish_item(done(items[1], RecordStatus.PARTIAL.value)) is True
        assert await uow.jobs.progress(workspace.id, job.id) == JobProgress(total=5, done=1, partial=1)
    assert await backend.jobs.progress(workspace.id, job.id) == JobProgress(total=5)

    async with backend.uow() as uow:
        assert await uow.jobs.finish_item(done(items[1], RecordStatus.PARTIAL.value)) is True  # pending again
        assert await uow.jobs.finish_item(done(items[4], MISSING)) is True
        await uow.commit()
    progress = await backend.jobs.progress(workspace.id, job.id)
    assert progress == JobProgress(total=5, done=2, partial=1, failed=1)
    assert progress is not None
    assert progress.pending == 3


async def test_pending_items_are_the_unfinished_positions_of_a_range(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    job = new_job(workspace, total=6)
    record_ids = await store_job(backend, job)
    items = [pending(job, p, r) for p, r in enumerate(record_ids)]
    async with backend.uow() as uow:
        for position in (1, 3):
            assert await uow.jobs.finish_item(done(items[position], RecordStatus.ENRICHED.value)) is True
        await uow.commit()

    async def positions(start: int, end: int) -> list[int]:
        found = await backend.jobs.pending_items(workspace.id, job.id, start, end)
        assert all(i.state is ItemState.PENDING and i == items[i.position] for i in found)
        return [i.position for i in found]

    assert await positions(0, 6) == [0, 2, 4, 5]
    assert await positions(0, 2) == [0]
    assert await positions(1, 4) == [2]
    assert await positions(3, 4) == []
    assert await positions(4, 100) == [4, 5]
    assert await positions(-5, 1) == [0]
    assert await positions(2, 2) == []
    assert await positions(5, 3) == []
    assert await positions(6, 12) == []
    assert await backend.jobs.pending_items(workspace.id, uuid4(), 0, 6) == []


async def test_results_page_by_position_with_records_as_they_are_now(backend: Backend) -> None:
    workspace, other = await two_workspaces(backend)
    fields, provenance = enriched_person()
    records = [new_record(workspace) for _ in range(4)]
    records[1] = replace(records[1], fields=fields, provenance=provenance, status=RecordStatus.ENRICHED)
    foreign = new_record(other)
    await store_records(backend, *records, foreign)
    job = new_job(workspace, total=6)
    record_ids = [records[0].id, records[1].id, records[2].id, foreign.id, records[3].id, records[0].id]
    await store_job(backend, job, record_ids)
    items = [pending(job, p, r) for p, r in enumerate(record_ids)]
    finished_item = done(items[1], RecordStatus.ENRICHED.value, credits=2, fields=("title", "seniority"))
    async with backend.uow() as uow:
        assert await uow.jobs.finish_item(finished_item) is True
        assert await uow.records.delete(workspace.id, records[2].id) == records[2].version + 1
        await uow.commit()
    items[1] = finished_item
    now = [records[0], records[1], None, None, records[3], records[0]]  # deleted, and another workspace's

    async def page(after: int | None, limit: int) -> list[tuple[JobItem, object]]:
        return [(r.item, r.record) for r in await backend.jobs.results(workspace.id, job.id, after=after, limit=limit)]

    assert await page(None, 2) == list(zip(items[:2], now[:2], strict=True))
    assert await page(1, 2) == list(zip(items[2:4], now[2:4], strict=True))
    assert await page(3, 2) == list(zip(items[4:], now[4:], strict=True))
    assert await page(5, 2) == []
    assert await page(None, 200) == list(zip(items, now, strict=True))
    assert await page(0, 1) == [(items[1], records[1])]
    assert await page(200, 10) == []
    assert await backend.jobs.results(workspace.id, uuid4(), after=None, limit=10) == []


@pytest.mark.parametrize("limit", LIMITS)
async def test_list_is_newest_first_page_by_page(backend: Backend, limit: int) -> None:
    workspace, elsewhere = await two_workspaces(backend)
    jobs = [new_job(workspace, created_at=BASE + offset) for offset in OFFSETS]
    for job in [*jobs, new_job(elsewhere, created_at=BASE)]:
        await store_job(backend, job)
    expected = sorted(jobs, key=lambda j: (j.created_at, j.id), reverse=True)

    pages = await all_pages(lambda page: backend.jobs.list(workspace.id, page), limit)

    assert_paged(pages, expected, limit)


async def test_another_workspace_sees_nothing(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    job = new_job(mine, idempotency_key="k")
    record = new_record(mine)
    await store_records(backend, record)
    record_ids = await store_job(backend, job, [record.id, uuid4(), uuid4()])
    item = pending(job, 0, record_ids[0])

    assert await backend.jobs.get(theirs.id, job.id) is None
    assert await backend.jobs.by_idempotency_key(theirs.id, "k") is None
    assert await backend.jobs.progress(theirs.id, job.id) is None
    assert await backend.jobs.pending_items(theirs.id, job.id, 0, 3) == []
    assert await backend.jobs.results(theirs.id, job.id, after=None, limit=10) == []
    assert (await backend.jobs.list(theirs.id, PageRequest())).items == []
    async with backend.uow() as uow:
        assert await uow.jobs.get_for_update(theirs.id, job.id) is None
        assert await uow.jobs.by_idempotency_key(theirs.id, "k") is None
        assert await uow.jobs.progress(theirs.id, job.id) is None
        assert await uow.jobs.finish_item(done(replace(item, workspace_id=theirs.id), "enriched")) is False
        await uow.commit()

    assert await backend.jobs.progress(mine.id, job.id) == JobProgress(total=3)
    assert await backend.jobs.pending_items(mine.id, job.id, 0, 1) == [item]


async def test_deleting_the_workspace_deletes_its_jobs_and_items(backend: Backend) -> None:
    doomed, kept = await two_workspaces(backend)
    gone, survivor = new_job(doomed, idempotency_key="k"), new_job(kept, idempotency_key="k")
    await store_job(backend, gone)
    survivor_ids = await store_job(backend, survivor)

    async with backend.uow() as uow:
        await uow.workspaces.delete(doomed.id)
        await uow.commit()

    assert await backend.jobs.get(doomed.id, gone.id) is None
    assert await backend.jobs.by_idempotency_key(doomed.id, "k") is None
    assert await backend.jobs.progress(doomed.id, gone.id) is None
    assert await backend.jobs.pending_items(doomed.id, gone.id, 0, gone.total) == []
    assert await backend.jobs.results(doomed.id, gone.id, after=None, limit=10) == []
    assert (await backend.jobs.list(doomed.id, PageRequest())).items == []
    assert await backend.jobs.get(kept.id, survivor.id) == survivor
    assert await backend.jobs.pending_items(kept.id, survivor.id, 0, 3) == [
        pending(survivor, p, r) for p, r in enumerate(survivor_ids)
    ]


async def test_get_for_update_holds_the_job_until_the_transaction_ends(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    job = new_job(workspace)
    await store_job(backend, job)
    locked = asyncio.Event()

    async def holder() -> None:
        async with backend.uow() as uow:
            held = await uow.jobs.get_for_update(workspace.id, job.id)
            assert held is not None
            locked.set()
            await asyncio.sleep(0.2)  # a competitor that did not wait would read `queued` now
            held.status = JobStatus.RUNNING
            await uow.jobs.save(held)
            await uow.commit()

    async def competitor() -> Job | None:
        await locked.wait()
        async with backend.uow() as uow:
            return await uow.jobs.get_for_update(workspace.id, job.id)

    _, seen = await asyncio.gather(holder(), competitor())
    assert seen == replace(job, status=JobStatus.RUNNING)


async def test_the_largest_job_is_added_quickly(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    job = new_job(workspace, total=MAX_JOB_RECORDS)
    record_ids = [uuid4() for _ in range(MAX_JOB_RECORDS)]

    started = time.perf_counter()
    await store_job(backend, job, record_ids)
    elapsed = time.perf_counter() - started

    assert elapsed < 2.0, f"adding {MAX_JOB_RECORDS} items took {elapsed:.2f}s"
    assert await backend.jobs.progress(workspace.id, job.id) == JobProgress(total=MAX_JOB_RECORDS)
    last = await backend.jobs.pending_items(workspace.id, job.id, MAX_JOB_RECORDS - 2, MAX_JOB_RECORDS + 5)
    assert last == [pending(job, p, record_ids[p]) for p in (MAX_JOB_RECORDS - 2, MAX_JOB_RECORDS - 1)]
    assert len(await backend.jobs.pending_items(workspace.id, job.id, 0, MAX_JOB_RECORDS)) == MAX_JOB_RECORDS


async def test_unfinished_jobs_of_every_workspace_oldest_first(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    start = utc_now().replace(microsecond=0)
    running = new_job(mine, status=JobStatus.RUNNING, created_at=start + timedelta(seconds=2))
    queued = new_job(theirs, status=JobStatus.QUEUED, created_at=start + timedelta(seconds=1))
    done = new_job(mine, status=JobStatus.COMPLETED, created_at=start)
    cancelled = new_job(theirs, status=JobStatus.CANCELLED, created_at=start + timedelta(seconds=3))
    for job in (running, queued, done, cancelled):
        await store_job(backend, job)
    assert [j.id for j in await backend.jobs.unfinished(10)] == [queued.id, running.id]
    assert [j.id for j in await backend.jobs.unfinished(1)] == [queued.id]
