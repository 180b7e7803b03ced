"""Reindexes (the runs of a search rebuild) on memory and PostgreSQL: one running at a time, an abandoned one
giving way, the last one first."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from adapters.memory.search_rebuild import MemoryReindexes
from adapters.postgres.search_rebuild import PostgresReindexes
from domain.search.reindex import ABANDONED, ABANDONED_AFTER, Reindex, ReindexPhase, ReindexRunning, ReindexStatus
from ports.search import Reindexes
from tests.support.builders.accounts import utc_now

T0 = utc_now()


@pytest.fixture(params=["memory", "postgres"])
def reindexes(request: pytest.FixtureRequest) -> Reindexes:
    if request.param == "memory":
        return MemoryReindexes()
    pool: AsyncConnectionPool = request.getfixturevalue("clean_pool")
    return PostgresReindexes(pool)


async def test_one_runs_at_a_time_and_its_progress_is_kept(reindexes: Reindexes) -> None:
    first = Reindex.begin(uuid4(), 10, T0, None)
    await reindexes.begin(first)
    with pytest.raises(ReindexRunning):
        await reindexes.begin(Reindex.begin(uuid4(), 10, T0 + timedelta(seconds=1), None))

    moved = first.building("cascade-records-v2", T0).progressed(
        T0 + timedelta(seconds=2), phase=ReindexPhase.CATCHING_UP, copied=10, caught_up=3,
        refused={uuid4(): "mapper_parsing_exception: bad"},
    )  # fmt: skip
    await reindexes.save(moved)
    assert await reindexes.get(first.id) == moved
    assert (moved.failed, moved.error) == (1, "mapper_parsing_exception: bad")

    done = moved.succeeded(T0 + timedelta(seconds=3))
    await reindexes.save(done)
    second = Reindex.begin(uuid4(), 12, T0 + timedelta(seconds=4), None)
    await reindexes.begin(second)  # the first one finished: the next may start
    assert await reindexes.latest() == second
    assert await reindexes.get(uuid4()) is None


async def test_a_run_whose_process_stopped_gives_way(reindexes: Reindexes) -> None:
    stalled = Reindex.begin(uuid4(), 10, T0, None)
    await reindexes.begin(stalled)
    later = T0 + ABANDONED_AFTER + timedelta(seconds=1)
    assert stalled.abandoned(later)

    await reindexes.begin(Reindex.begin(uuid4(), 10, later, None))

    found = await reindexes.get(stalled.id)
    assert found is not None
    assert (found.status, found.error) == (ReindexStatus.FAILED, ABANDONED)
