"""Group saving: every record waiting on a group hears how it ended, whatever stops the record committing it."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from application.job.concurrency import GroupInterrupted, GroupSaver
from application.job.enrich_job_item import ItemOutcome


def outcome(n: int) -> ItemOutcome:
    return cast(ItemOutcome, ("outcome", n))  # the saver only passes outcomes on


class Store:
    def __init__(self, *, hold: bool = False) -> None:
        self.groups: list[list[Any]] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        if not hold:
            self.release.set()

    async def commit(self, outcomes: list[ItemOutcome]) -> None:
        self.entered.set()
        await self.release.wait()
        self.groups.append(list(outcomes))


async def test_records_arriving_while_a_group_commits_are_saved_together_next() -> None:
    store = Store(hold=True)
    saver = GroupSaver(store.commit, max_group=2)
    first = asyncio.create_task(saver.save(outcome(0)))
    await store.entered.wait()
    rest = [asyncio.create_task(saver.save(outcome(n))) for n in range(1, 4)]
    await asyncio.sleep(0)
    store.release.set()
    await asyncio.wait_for(asyncio.gather(first, *rest), timeout=5)
    assert store.groups == [[outcome(0)], [outcome(1), outcome(2)], [outcome(3)]]


async def test_a_failed_commit_fails_every_record_of_its_group() -> None:
    async def broken(_: list[ItemOutcome]) -> None:
        raise OSError("connection lost")

    saver = GroupSaver(broken)
    results = await asyncio.gather(*(saver.save(outcome(n)) for n in range(3)), return_exceptions=True)
    assert [type(result) for result in results] == [OSError] * 3


async def test_records_waiting_on_a_cancelled_committer_fail_instead_of_waiting_for_ever() -> None:
    store = Store(hold=True)
    saver = GroupSaver(store.commit, max_group=2)
    committer = asyncio.create_task(saver.save(outcome(0)))
    await store.entered.wait()
    in_next_group = [asyncio.create_task(saver.save(outcome(n))) for n in (1, 2)]
    left_behind = asyncio.create_task(saver.save(outcome(3)))  # beyond the next group's size
    await asyncio.sleep(0)
    committer.cancel()  # a sibling of the committer failed, or its job is stopping
    results = await asyncio.wait_for(
        asyncio.gather(committer, *in_next_group, left_behind, return_exceptions=True), timeout=5
    )
    assert isinstance(results[0], asyncio.CancelledError)
    assert all(isinstance(result, GroupInterrupted) for result in results[1:])


async def test_a_committer_cancelled_mid_group_fails_the_rest_of_that_group() -> None:
    first_group_in = asyncio.Event()
    second_group_in = asyncio.Event()
    let_first_go = asyncio.Event()
    saved: list[list[Any]] = []

    async def commit(outcomes: list[ItemOutcome]) -> None:
        if not saved:
            first_group_in.set()
            await let_first_go.wait()
            saved.append(list(outcomes))
        else:
            second_group_in.set()
            await asyncio.Event().wait()  # never ends: its committer is cancelled in it

    saver = GroupSaver(commit)
    committer = asyncio.create_task(saver.save(outcome(0)))
    await first_group_in.wait()
    followers = [asyncio.create_task(saver.save(outcome(n))) for n in (1, 2)]
    await asyncio.sleep(0)
    let_first_go.set()
    await asyncio.wait_for(second_group_in.wait(), timeout=5)  # the followers' group is being committed
    committer.cancel()
    results = await asyncio.wait_for(asyncio.gather(*followers, return_exceptions=True), timeout=5)
    assert all(isinstance(result, GroupInterrupted) for result in results)
    assert saved == [[outcome(0)]]


async def test_a_saver_left_by_a_cancelled_committer_serves_the_next_record() -> None:
    store = Store(hold=True)
    saver = GroupSaver(store.commit)
    committer = asyncio.create_task(saver.save(outcome(0)))
    await store.entered.wait()
    committer.cancel()
    await asyncio.gather(committer, return_exceptions=True)
    store.release.set()
    await asyncio.wait_for(saver.save(outcome(1)), timeout=5)
    assert store.groups == [[outcome(1)]]
