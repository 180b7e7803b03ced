"""SearchIndex on the memory, PostgreSQL and OpenSearch adapters alike (the last on an engine that speaks the
OpenSearch API): what matches, in which order, with which facets; versions that only move forward; and no
workspace ever seeing another's documents."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.search import MemorySearchIndex
from adapters.opensearch.search import OpenSearchIndex
from adapters.postgres.search import PostgresSearchIndex
from domain.enrichment.schema import EntityKind, FieldData
from domain.kernel.errors import ValidationFailed
from domain.records.record import Record, RecordStatus
from domain.search.search import (
    SearchDocument,
    SearchQuery,
    Sort,
    Tombstone,
    check_filters,
    document_of,
    read_terms,
)
from ports.search import SearchIndex
from tests.support.builders.accounts import utc_now

T0 = utc_now()


@pytest.fixture(params=["memory", "postgres", "opensearch"])
def index(request: pytest.FixtureRequest) -> SearchIndex:
    """Each test on an index of its own (OpenSearch: a fresh alias and index)."""
    if request.param == "memory":
        return MemorySearchIndex()
    if request.param == "postgres":
        return PostgresSearchIndex(request.getfixturevalue("clean_pool"))
    return OpenSearchIndex(request.getfixturevalue("opensearch"), alias=f"test-{uuid4().hex}", refresh=True)


def doc(
    workspace: UUID,
    *,
    kind: EntityKind = EntityKind.PERSON,
    inputs: dict[str, str] | None = None,
    fields: dict[str, FieldData] | None = None,
    status: RecordStatus = RecordStatus.NEW,
    version: int = 1,
    minutes: int = 0,
    record_id: UUID | None = None,
) -> SearchDocument:
    at = T0 + timedelta(minutes=minutes)
    record = Record(id=record_id or uuid4(), workspace_id=workspace, kind=kind, inputs=inputs or {},
                    fields=fields or {}, status=status, created_at=at, updated_at=at, version=version)  # fmt: skip
    return document_of(record, version)


def query(workspace: UUID, text: str = "", **options: object) -> SearchQuery:
    return SearchQuery(workspace_id=workspace, terms=read_terms(text), **options)  # type: ignore[arg-type]


async def names(index: SearchIndex, workspace: UUID, text: str, **options: object) -> list[str]:
    return [hit.document.name for hit in (await index.search(query(workspace, text, **options))).hits]


def people(workspace: UUID) -> list[SearchDocument]:
    return [
        doc(workspace, inputs={"fullName": "Jonathan Smith", "email": "jon@acme.io", "companyName": "Acme"},
            fields={"title": "VP Sales", "seniority": "vp", "location": {"country": "FR"}}, minutes=1),
        doc(workspace, inputs={"fullName": "Jon Snow", "email": "snow@winterfell.org"},
            fields={"title": "Lord Commander", "seniority": "c_suite", "location": {"country": "GB"}}, minutes=2),
        doc(workspace, inputs={"fullName": "Johanna Meyer", "email": "jm@beispiel.de", "companyName": "Beispiel"},
            fields={"title": "Engineer"}, minutes=3, status=RecordStatus.ENRICHED),
        doc(workspace, kind=EntityKind.COMPANY, inputs={"domain": "acme.io", "companyName": "Acme"},
            fields={"industry": "Software", "technologies": ["react", "postgresql"]}, minutes=4),
        doc(workspace, inputs={"fullName": "José Álvarez", "email": "jose@empresa.es"}, minutes=5),
    ]  # fmt: skip


async def test_exact_then_prefix_then_typo(index: SearchIndex) -> None:
    workspace = uuid4()
    await index.write(people(workspace), [])

    assert await names(index, workspace, "jon") == ["Jon Snow", "Jonathan Smith"]  # exact, then prefix
    assert await names(index, workspace, "jonathon") == ["Jonathan Smith"]  # one typo, 8 letters
    assert await names(index, workspace, "smyth") == ["Jonathan Smith"]  # a typo in 5
    assert await names(index, workspace, "smiht") == ["Jonathan Smith"]  # "smit" (its start) with an h too many
    assert await names(index, workspace, "snwo") == ["Jon Snow"]  # "sno" (its start) with a w too many
    assert await names(index, workspace, "snxy") == []  # two edits from every start of every word
    assert await names(index, workspace, "jonath smi") == ["Jonathan Smith"]  # every term, as typed
    assert await names(index, workspace, "meier") == ["Johanna Meyer"]
    assert await names(index, workspace, "smx") == []  # 3 letters: no typo allowed
    assert await names(index, workspace, "jose") == ["José Álvarez"]  # accents folded
    assert await names(index, workspace, "ALVAREZ") == ["José Álvarez"]


async def test_emails_domains_companies_and_titles_are_found(index: SearchIndex) -> None:
    workspace = uuid4()
    await index.write(people(workspace), [])

    assert await names(index, workspace, "jon@acme.io") == ["Jonathan Smith"]
    assert await names(index, workspace, "acme.io") == ["Acme"]
    assert sorted(await names(index, workspace, "acme")) == ["Acme", "Jonathan Smith"]
    assert await names(index, workspace, "commander") == ["Jon Snow"]
    result = await index.search(query(workspace, "snow"))
    (hit,) = result.hits
    name = next(h for h in hit.highlights if h.field == "name")
    assert name.value[slice(*name.spans[0])] == "Snow"


async def test_facets_count_the_matches_and_filters_narrow_them(index: SearchIndex) -> None:
    workspace = uuid4()
    await index.write(people(workspace), [])

    everything = await index.search(query(workspace))
    assert everything.total == 5
    assert everything.facets["kind"] == [("person", 4), ("company", 1)]
    assert dict(everything.facets["country"]) == {"FR": 1, "GB": 1}
    assert everything.facets["technologies"] == [("postgresql", 1), ("react", 1)]
    assert dict(everything.facets["status"]) == {"new": 4, "enriched": 1}

    assert await names(index, workspace, "", filters={"country": ("GB", "FR")}) == [
        "Jon Snow",
        "Jonathan Smith",
    ]
    assert await names(index, workspace, "jo", filters={"seniority": ("vp",)}) == ["Jonathan Smith"]
    assert await names(index, workspace, "", filters={"technologies": ("react",)}) == ["Acme"]
    narrowed = await index.search(query(workspace, "jo", filters={"kind": ("person",)}))
    assert narrowed.total == 4


async def test_pages_cover_every_match_once_in_order(index: SearchIndex) -> None:
    workspace = uuid4()
    documents = [doc(workspace, inputs={"fullName": f"Sam {i:02d}", "email": f"s{i}@x.io"}, minutes=i)
                 for i in range(23)]  # fmt: skip
    await index.write(documents, [])

    for sort in (Sort.RELEVANCE, Sort.NEWEST):
        seen, after = [], None
        while True:
            page = await index.search(query(workspace, "sam", sort=sort, limit=5, after=after))
            seen += [hit.document.record_id for hit in page.hits]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        expected = sorted(documents, key=lambda d: d.sort_name if sort is Sort.RELEVANCE else -d.created_at.timestamp())
        assert seen == [d.record_id for d in expected]


async def test_versions_only_move_forward_and_a_tombstone_stays(index: SearchIndex) -> None:
    workspace, record_id = uuid4(), uuid4()
    v2 = doc(workspace, inputs={"fullName": "Ann Lee"}, version=2, record_id=record_id)
    v1 = doc(workspace, inputs={"fullName": "Ann Old"}, version=1, record_id=record_id)

    await index.write([v2], [])
    await index.write([v1], [])  # late: changes nothing
    assert await names(index, workspace, "ann") == ["Ann Lee"]
    assert await index.versions(workspace) == {record_id: 2}

    await index.write([], [Tombstone(record_id=record_id, workspace_id=workspace, version=3)])
    await index.write([v2], [])  # replayed after the deletion: still deleted
    assert await names(index, workspace, "ann") == []
    assert await index.versions(workspace) == {}


async def test_a_workspace_never_sees_another(index: SearchIndex) -> None:
    mine, theirs = uuid4(), uuid4()
    await index.write(people(theirs), [])
    await index.write([doc(mine, inputs={"fullName": "Ann Lee"})], [])

    assert (await index.search(query(mine))).total == 1
    assert await names(index, mine, "jon") == []
    assert await index.versions(mine) != await index.versions(theirs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(max_size=60),
    name=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40),
    country=st.lists(st.text(max_size=5), max_size=3),
)
async def test_no_query_returns_another_workspaces_record(
    index: SearchIndex, text: str, name: str, country: list[str]
) -> None:
    """Any query text and filter (records hold no control characters: their inputs refuse them)."""
    mine = uuid4()
    theirs = people(uuid4())
    await index.write([*theirs, doc(mine, inputs={"fullName": name})], [])

    try:
        filters = check_filters({"country": country})
    except ValidationFailed:  # control characters: refused before any index is asked
        assert any(c < " " or c == "\x7f" for value in country for c in value)
        return
    result = await index.search(query(mine, text, filters=filters))

    assert all(hit.document.workspace_id == mine for hit in result.hits)
    assert result.total <= 1
