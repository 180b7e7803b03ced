"""The attempt log, on the memory adapter and on PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from domain.enrichment.waterfall import Attempt, RecordedAttempt
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, new_workspace, persist, utc_now


def recorded(workspace_id: object, record_id: object, *, seconds: int, provider: str = "apollo") -> RecordedAttempt:
    attempt = Attempt(
        provider=provider,
        outcome="hit",
        latency_ms=12.5,
        credits=1,
        cached=False,
        fields=("title", "email"),
        detail="ok",
    )
    return RecordedAttempt(
        id=uuid4(),
        workspace_id=workspace_id,
        record_id=record_id,
        run_id="enrich:r1",  # type: ignore[arg-type]
        attempt=attempt,
        created_at=utc_now().replace(microsecond=0) + timedelta(seconds=seconds),
    )


async def test_attempts_are_kept_per_record_newest_first_and_only_when_committed(backend: Backend) -> None:
    owner = new_user()
    mine, theirs = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, mine, theirs)
    record = uuid4()
    first, second = recorded(mine.id, record, seconds=1), recorded(mine.id, record, seconds=2, provider="hunter")
    async with backend.uow() as uow:
        await uow.attempts.add([first, second, recorded(mine.id, uuid4(), seconds=3)])
        await uow.attempts.add([])
        await uow.commit()
    async with backend.uow() as uow:
        await uow.attempts.add([recorded(mine.id, record, seconds=9)])  # never committed

    assert await backend.attempts.for_record(mine.id, record, 10) == [second, first]
    assert await backend.attempts.for_record(mine.id, record, 1) == [second]
    assert await backend.attempts.for_record(theirs.id, record, 10) == []


async def test_attempts_go_with_their_workspace(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    record = uuid4()
    async with backend.uow() as uow:
        await uow.attempts.add([recorded(workspace.id, record, seconds=1)])
        await uow.commit()
    async with backend.uow() as uow:
        await uow.workspaces.delete(workspace.id)
        await uow.commit()
    assert await backend.attempts.for_record(workspace.id, record, 10) == []
