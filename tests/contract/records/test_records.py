"""RecordRepository and RecordReader on the memory and Postgres adapters alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from domain.enrichment.schema import EntityKind
from domain.kernel.errors import Conflict
from domain.kernel.pagination import PageRequest
from domain.records.record import Provenance, Record, RecordStatus
from domain.workspaces.workspace import Workspace
from ports.records import RecordFilter
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, new_workspace, persist, utc_now
from tests.support.builders.records import enriched_company, enriched_person, new_record, store_records
from tests.support.paging import BASE, LIMITS, OFFSETS, all_pages, assert_paged

EVERYTHING = RecordFilter()


async def test_add_then_get_scoped_by_workspace_with_every_field_shape(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, workspace, other)
    fields, provenance = enriched_person()
    person = new_record(
        workspace,
        inputs={"firstName": "Zoë", "lastName": "O'Brien", "companyName": "Acme"},
        fields=fields,
        provenance=provenance,
        status=RecordStatus.PARTIAL,
    )
    company = new_record(workspace, kind=EntityKind.COMPANY, inputs={"domain": "acme.com"}, fields=enriched_company())
    await store_records(backend, person, company)

    for record in (person, company):
        assert await backend.records.get(workspace.id, record.id) == record
        assert await backend.records.get(other.id, record.id) is None
        async with backend.uow() as uow:
            assert await uow.records.get_for_update(workspace.id, record.id) == record
            assert await uow.records.get_for_update(other.id, record.id) is None
    assert await backend.records.get(workspace.id, uuid4()) is None
    fetched = await backend.records.get(workspace.id, person.id)
    assert fetched is not None
    assert fetched.provenance["title"].fetched_at == provenance["title"].fetched_at
    assert fetched.fields["location"] == {"city": "Lyon", "country": "FR"}


async def test_taken_id_is_a_conflict_and_the_unit_of_work_keeps_nothing(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    record = new_record(workspace)
    await store_records(backend, record)
    before_conflict = new_record(workspace)

    async with backend.uow() as uow:
        await uow.records.add(before_conflict)
        with pytest.raises(Conflict):
            await uow.records.add(replace(new_record(workspace), id=record.id))
        await uow.commit()

    assert await backend.records.get(workspace.id, record.id) == record
    assert await backend.records.get(workspace.id, before_conflict.id) is None


async def test_save_changes_inputs_fields_provenance_status_and_updated_at_only(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, workspace, other)
    record, bystander = new_record(workspace), new_record(workspace)
    await store_records(backend, record, bystander)
    fields, provenance = enriched_person()
    later = utc_now() + timedelta(minutes=5)
    changed = replace(
        record,
        inputs={"linkedinUrl": "https://linkedin.com/in/ann"},
        fields=fields,
        provenance=provenance,
        status=RecordStatus.ENRICHED,
        updated_at=later,
    )

    async with backend.uow() as uow:
        await uow.records.save(replace(changed, kind=EntityKind.COMPANY, created_at=later))
        await uow.records.save(replace(changed, workspace_id=other.id, status=RecordStatus.FAILED))  # ignored
        await uow.records.save(replace(changed, id=uuid4()))  # unknown id: ignored
        await uow.commit()

    assert await backend.records.get(workspace.id, record.id) == replace(changed, version=record.version + 1)
    assert await backend.records.get(other.id, record.id) is None
    assert await backend.records.get(workspace.id, bystander.id) == bystander


async def test_delete_says_which_version_its_deletion_is_or_that_the_record_was_not_there(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, workspace, other)
    doomed, kept = new_record(workspace), new_record(workspace)
    await store_records(backend, doomed, kept)

    async with backend.uow() as uow:
        assert await uow.records.delete(other.id, kept.id) is None
        assert await uow.records.delete(workspace.id, doomed.id) == doomed.version + 1
        assert await uow.records.delete(workspace.id, doomed.id) is None
        assert await uow.records.delete(workspace.id, uuid4()) is None
        await uow.commit()

    assert await backend.records.get(workspace.id, doomed.id) is None
    assert await backend.records.get(workspace.id, kept.id) == kept


async def test_readers_see_committed_data_only_and_returned_records_are_copies(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    record = new_record(workspace, kind=EntityKind.COMPANY, inputs={"domain": "acme.com"}, fields=enriched_company())

    async with backend.uow() as uow:
        await uow.records.add(record)
        assert await backend.records.get(workspace.id, record.id) is None
        assert (await backend.records.list(workspace.id, PageRequest(), EVERYTHING)).items == []
    assert await backend.records.get(workspace.id, record.id) is None  # not committed: gone

    await store_records(backend, record)
    fetched = await backend.records.get(workspace.id, record.id)
    assert fetched is not None
    fetched.inputs["domain"] = "evil.com"
    fetched.fields["technologies"].append("mutated")  # type: ignore[union-attr]
    assert await backend.records.get(workspace.id, record.id) == record


@pytest.mark.parametrize("limit", LIMITS)
async def test_reader_lists_a_workspaces_records_newest_first_page_by_page(backend: Backend, limit: int) -> None:
    owner = new_user()
    workspace, elsewhere = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, workspace, elsewhere)
    records = [new_record(workspace, created_at=BASE + offset) for offset in OFFSETS]
    await store_records(backend, *records, new_record(elsewhere, created_at=BASE))
    expected = sorted(records, key=lambda r: (r.created_at, r.id), reverse=True)

    pages = await all_pages(lambda page: backend.records.list(workspace.id, page, EVERYTHING), limit)

    assert_paged(pages, expected, limit)


def filtered_world(workspace: Workspace) -> list[Record]:
    """People and companies in every status, with domains from inputs and from enriched fields."""
    person, company = EntityKind.PERSON, EntityKind.COMPANY
    rows = [
        (person, {"domain": "acme.com"}, {}, RecordStatus.NEW),
        (person, {"email": "bo@initech.com"}, {"companyDomain": "Acme.COM"}, RecordStatus.ENRICHED),
        (person, {"email": "cy@acme.com"}, {}, RecordStatus.NOT_FOUND),  # an email is not a domain
        (person, {"domain": "acme.com"}, {"companyDomain": "other.io"}, RecordStatus.PARTIAL),  # input wins
        (company, {"domain": "acme.com"}, {"name": "Acme"}, RecordStatus.ENRICHED),
        (company, {"companyName": "Acme", "fullName": "x"}, {"domain": "acme.com"}, RecordStatus.FAILED),
        (company, {"domain": "initech.com"}, {}, RecordStatus.ENRICHING),
        (company, {"linkedinUrl": "https://linkedin.com/company/x"}, {"domain": 42}, RecordStatus.NEW),
    ]
    return [
        new_record(workspace, kind=k, inputs=i, fields=f, status=s, created_at=BASE + timedelta(seconds=n))
        for n, (k, i, f, s) in enumerate(rows)
    ]


FILTERS = {
    "kind-person": RecordFilter(kind=EntityKind.PERSON),
    "kind-company": RecordFilter(kind=EntityKind.COMPANY),
    "status-new": RecordFilter(status=RecordStatus.NEW),
    "status-enriched": RecordFilter(status=RecordStatus.ENRICHED),
    "status-enriching": RecordFilter(status=RecordStatus.ENRICHING),
    "status-none-such": RecordFilter(status=RecordStatus.ENRICHING, kind=EntityKind.PERSON),
    "domain": RecordFilter(domain="acme.com"),
    "domain-other": RecordFilter(domain="other.io"),
    "domain-unknown": RecordFilter(domain="nowhere.org"),
    "domain-and-kind": RecordFilter(domain="acme.com", kind=EntityKind.COMPANY),
    "all-three": RecordFilter(domain="acme.com", kind=EntityKind.PERSON, status=RecordStatus.ENRICHED),
}


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("limit", [1, 3, 200])
async def test_filters_combine_and_paginate(backend: Backend, name: str, limit: int) -> None:
    owner = new_user()
    workspace, elsewhere = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, workspace, elsewhere)
    mine, theirs = filtered_world(workspace), filtered_world(elsewhere)
    await store_records(backend, *mine, *theirs)
    where = FILTERS[name]
    expected = [
        r
        for r in reversed(mine)
        if (where.kind is None or r.kind is where.kind)
        and (where.status is None or r.status is where.status)
        and (where.domain is None or r.domain == where.domain)
    ]

    pages = await all_pages(lambda page: backend.records.list(workspace.id, page, where), limit)

    assert_paged(pages, expected, limit)


async def test_the_domain_filter_matches_the_domain_input_else_the_enriched_one(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    world = filtered_world(workspace)
    await store_records(backend, *world)

    async def domains(domain: str) -> list[int]:
        page = await backend.records.list(workspace.id, PageRequest(limit=200), RecordFilter(domain=domain))
        return sorted(world.index(next(w for w in world if w.id == r.id)) for r in page.items)

    assert await domains("acme.com") == [0, 1, 3, 4, 5]
    assert await domains("other.io") == []
    assert await domains("initech.com") == [6]
    assert await domains("42") == []


async def test_the_domain_filter_follows_saves(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    record = new_record(workspace, inputs={"email": "ann@initech.com"})
    await store_records(backend, record)
    acme = RecordFilter(domain="acme.com")
    assert (await backend.records.list(workspace.id, PageRequest(), acme)).items == []

    fetched = utc_now()
    enriched = replace(
        record,
        fields={"companyDomain": "ACME.com"},
        provenance={"companyDomain": Provenance(provider="hunter", fetched_at=fetched, confidence=0.8)},
        status=RecordStatus.ENRICHED,
    )
    async with backend.uow() as uow:
        await uow.records.save(enriched)
        await uow.commit()
    assert (await backend.records.list(workspace.id, PageRequest(), acme)).items == [enriched]

    moved = replace(enriched, inputs={"domain": "initech.com"})
    async with backend.uow() as uow:
        await uow.records.save(moved)
        await uow.commit()
    assert (await backend.records.list(workspace.id, PageRequest(), acme)).items == []
    by_input = await backend.records.list(workspace.id, PageRequest(), RecordFilter(domain="initech.com"))
    assert by_input.items == [moved]


async def test_deleting_the_workspace_deletes_its_records(backend: Backend) -> None:
    owner = new_user()
    doomed, kept = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, doomed, kept)
    gone, survivor = new_record(doomed), new_record(kept)
    await store_records(backend, gone, survivor)

    async with backend.uow() as uow:
        await uow.workspaces.delete(doomed.id)
        await uow.commit()

    assert await backend.records.get(doomed.id, gone.id) is None
    assert (await backend.records.list(doomed.id, PageRequest(), EVERYTHING)).items == []
    assert await backend.records.get(kept.id, survivor.id) == survivor


async def test_get_for_update_holds_the_record_until_the_transaction_ends(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    record = new_record(workspace)
    await store_records(backend, record)
    locked = asyncio.Event()

    async def holder() -> None:
        async with backend.uow() as uow:
            held = await uow.records.get_for_update(workspace.id, record.id)
            assert held is not None
            locked.set()
            await asyncio.sleep(0.2)  # a competitor that did not wait would read `new` now
            await uow.records.save(replace(held, status=RecordStatus.ENRICHING))
            await uow.commit()

    async def competitor() -> Record | None:
        await locked.wait()
        async with backend.uow() as uow:
            return await uow.records.get_for_update(workspace.id, record.id)

    _, seen = await asyncio.gather(holder(), competitor())
    assert seen == replace(record, status=RecordStatus.ENRICHING, version=record.version + 1)


async def test_add_many_adds_them_all_in_one_unit_of_work(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, workspace, other)
    fields, provenance = enriched_person()
    records = [
        new_record(workspace, fields=fields, provenance=provenance, status=RecordStatus.ENRICHED),
        new_record(workspace, kind=EntityKind.COMPANY, inputs={"domain": "Initech.com"}, fields=enriched_company()),
        *(new_record(workspace, created_at=BASE + timedelta(seconds=n)) for n in range(5)),
        new_record(other),
    ]

    async with backend.uow() as uow:
        await uow.records.add_many(records)
        await uow.records.add_many([])
        await uow.commit()

    for record in records:
        assert await backend.records.get(record.workspace_id, record.id) == record
    initech = await backend.records.list(workspace.id, PageRequest(), RecordFilter(domain="initech.com"))
    assert initech.items == [records[1]]


async def test_add_many_with_a_taken_id_is_a_conflict_and_keeps_nothing(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    taken = new_record(workspace)
    await store_records(backend, taken)
    fresh = [new_record(workspace), new_record(workspace)]
    twice = new_record(workspace)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.records.add_many([*fresh, replace(new_record(workspace), id=taken.id)])
        await uow.commit()
    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.records.add_many([twice, replace(new_record(workspace), id=twice.id)])
        await uow.commit()

    assert await backend.records.get(workspace.id, taken.id) == taken
    assert await backend.records.get_many(workspace.id, [r.id for r in [*fresh, twice]]) == []


async def test_get_many_returns_the_workspaces_records_among_the_ids(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, workspace, other)
    mine = [new_record(workspace, kind=EntityKind.COMPANY, fields=enriched_company()), new_record(workspace)]
    unasked, theirs = new_record(workspace), new_record(other)
    await store_records(backend, *mine, unasked, theirs)
    ids = [mine[0].id, theirs.id, uuid4(), mine[1].id, mine[0].id]

    found = await backend.records.get_many(workspace.id, ids)

    assert sorted(found, key=lambda r: r.id) == sorted(mine, key=lambda r: r.id)
    assert await backend.records.get_many(other.id, ids) == [theirs]
    assert await backend.records.get_many(workspace.id, []) == []
    assert await backend.records.get_many(workspace.id, [uuid4()]) == []
    copy = (await backend.records.get_many(workspace.id, [mine[0].id]))[0]
    copy.fields["technologies"].append("mutated")  # type: ignore[union-attr]
    assert await backend.records.get_many(workspace.id, [mine[0].id]) == [mine[0]]
