"""The event outbox, on the memory adapter and on PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.kernel.events import Event, EventType
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, new_workspace, persist, utc_now
from tests.support.paging import BASE


def event(workspace_id: UUID, *, seconds: float, type_: EventType = EventType.RECORD_ENRICHED, **data: Any) -> Event:
    return Event(
        id=uuid4(),
        workspace_id=workspace_id,
        type=type_,
        data=data or {"recordId": str(uuid4())},
        occurred_at=BASE + timedelta(seconds=seconds),
    )


async def test_committed_events_are_read_newest_first_per_workspace(backend: Backend) -> None:
    owner = new_user()
    mine, theirs = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, mine, theirs)
    first = event(mine.id, seconds=1)
    second = event(mine.id, seconds=2, type_=EventType.JOB_CANCELLED, jobId=str(uuid4()))
    tied = [event(mine.id, seconds=3) for _ in range(3)]  # same instant: ordered by id
    latest = event(
        mine.id,
        seconds=4,
        type_=EventType.JOB_COMPLETED,
        jobId=str(uuid4()),
        status="partially_completed",
        total=3,
        creditsSpent=7,
        ratio=0.5,
        error=None,
        cancelled=False,
        fields={"title": "VP Growth", "location": {"city": "Lyon", "country": "FR"}, "tags": ["ünïcode", 1, None]},
    )
    foreign = event(theirs.id, seconds=5, type_=EventType.JOB_FAILED)
    async with backend.uow() as uow:
        await uow.events.add([first, latest, foreign])
        await uow.events.add([])
        await uow.events.add([*tied, second])
        await uow.commit()

    newest_first = [latest, *sorted(tied, key=lambda e: e.id, reverse=True), second, first]
    assert await backend.events.recent(mine.id, 10) == newest_first
    assert await backend.events.recent(mine.id, 2) == newest_first[:2]
    assert await backend.events.recent(theirs.id, 10) == [foreign]
    assert await backend.events.recent(uuid4(), 10) == []


async def test_a_unit_of_work_left_uncommitted_adds_no_events(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    kept = event(workspace.id, seconds=1)
    async with backend.uow() as uow:
        await uow.events.add([kept])
        await uow.commit()

    async with backend.uow() as uow:
        await uow.events.add([event(workspace.id, seconds=2), event(workspace.id, seconds=3)])
        assert await backend.events.recent(workspace.id, 10) == [kept]  # not committed yet
    assert await backend.events.recent(workspace.id, 10) == [kept]

    async with backend.uow() as uow:
        later = event(workspace.id, seconds=4)
        await uow.events.add([later])
        await uow.commit()
        await uow.events.add([event(workspace.id, seconds=5)])  # after the commit: rolled back on exit
    assert await backend.events.recent(workspace.id, 10) == [later, kept]


async def test_an_event_keeps_its_instant(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    instant = utc_now().replace(microsecond=987654)
    happened = Event(id=uuid4(), workspace_id=workspace.id, type=EventType.JOB_FAILED, data={}, occurred_at=instant)
    async with backend.uow() as uow:
        await uow.events.add([happened])
        await uow.commit()

    (read,) = await backend.events.recent(workspace.id, 1)
    assert read == happened
    assert read.occurred_at == instant
