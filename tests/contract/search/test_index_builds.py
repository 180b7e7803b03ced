"""SearchIndexBuilds: a new index built beside the live one, searched only once it is swapped in, the old one
gone then; on memory and OpenSearch (generations), and PostgreSQL (in place, in its records' database)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from adapters.memory.search import MemorySearchIndex
from adapters.opensearch.search import OpenSearchIndex
from adapters.postgres.search import PostgresSearchIndex
from domain.search.search import Tombstone
from tests.contract.search.test_search_index import doc, names

W = uuid4()


@pytest.fixture(params=["memory", "opensearch"])
def generations(request: pytest.FixtureRequest) -> Any:
    """The indexes that build a new generation beside the live one."""
    if request.param == "memory":
        return MemorySearchIndex()
    return OpenSearchIndex(request.getfixturevalue("opensearch"), alias=f"test-{uuid4().hex}", refresh=True)


async def test_a_build_is_searched_only_once_swapped_in(generations: Any) -> None:
    await generations.write([doc(W, inputs={"fullName": "Old Timer"})], [])
    live = await generations.live()

    name, build = await generations.start()
    await build.write([doc(W, inputs={"fullName": "New Comer"}), doc(W, inputs={"fullName": "Next Door"})], [])
    assert name != live
    assert await names(generations, W, "") == ["Old Timer"], "searches read the live index during the build"
    assert await generations.count() == 1

    await generations.swap(name)

    assert await generations.live() == name
    assert await names(generations, W, "") == ["New Comer", "Next Door"]
    assert await generations.count() == 2
    await generations.write([doc(W, inputs={"fullName": "After Swap"})], [])  # writes follow the live index
    assert "After Swap" in await names(generations, W, "after")


async def test_a_dropped_build_leaves_the_live_index_as_it_was(generations: Any) -> None:
    kept = doc(W, inputs={"fullName": "Kept Here"})
    await generations.write([kept], [])
    name, build = await generations.start()
    await build.write([], [Tombstone(record_id=kept.record_id, workspace_id=W, version=2)])

    await generations.drop(name)
    await generations.drop(await generations.live())  # never the live one

    assert await names(generations, W, "kept") == ["Kept Here"]


async def test_a_build_left_unfinished_is_dropped_by_the_next(generations: Any) -> None:
    live = await generations.live()
    _, left = await generations.start()
    await left.write([doc(W, inputs={"fullName": "Left Behind"})], [])

    name, build = await generations.start()
    await build.write([doc(W, inputs={"fullName": "Built Next"})], [])
    await generations.swap(name)

    assert await names(generations, W, "") == ["Built Next"]
    assert await generations.live() not in {live}


async def test_postgres_rebuilds_in_place_and_clears_documents_without_records(clean_pool: AsyncConnectionPool) -> None:
    index = PostgresSearchIndex(clean_pool)
    orphan = doc(W, inputs={"fullName": "No Record"})
    await index.write([orphan], [])
    name, build = await index.start()
    assert name == await index.live() == "search_documents"
    again = doc(W, inputs={"fullName": "No Record Renamed"}, record_id=orphan.record_id)
    await build.write([again], [])  # the same version written again: a rebuild may read words anew
    assert await names(index, W, "renamed") == ["No Record Renamed"]

    await index.swap(name)

    assert await names(index, W, "") == []
    assert await index.count() == 0
