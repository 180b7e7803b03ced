"""`post_many` is `post` one after another, in fewer round trips: on memory and on PostgreSQL."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.credits.ledger import CreditRequest, EntryKind
from domain.kernel.errors import Conflict, InsufficientCredits
from tests.conftest import Backend
from tests.support.builders.accounts import all_entries, funded_workspace, utc_now


def requests_for(workspace_id: UUID, reservation_id: UUID) -> list[CreditRequest]:
    def charge(key: str, amount: int, reservation: UUID | None = reservation_id) -> CreditRequest:
        return CreditRequest(
            workspace_id=workspace_id,
            kind=EntryKind.CHARGE,
            amount=amount,
            idempotency_key=key,
            reservation_id=reservation,
        )

    return [
        charge("job:1:a:apollo", 1),
        charge("earlier", 2),  # committed before: a replay
        charge("job:1:b:clearbit", 2),
        charge("job:1:a:apollo", 1),  # twice in one call: the second is a replay of the first
        charge("direct", 3, reservation=None),  # no reservation: from the balance
        charge("job:1:c:apollo", 1),
    ]


async def prepared(backend: Backend) -> tuple[UUID, UUID]:
    workspace = await funded_workspace(backend.uow(), 100)
    reservation = uuid4()
    async with backend.uow() as uow:
        for request in (
            CreditRequest(
                workspace_id=workspace.id,
                kind=EntryKind.RESERVE,
                amount=10,
                idempotency_key="reserve",
                reservation_id=reservation,
            ),
            CreditRequest(
                workspace_id=workspace.id,
                kind=EntryKind.CHARGE,
                amount=2,
                idempotency_key="earlier",
                reservation_id=reservation,
            ),
        ):
            await uow.credits.post(request, entry_id=uuid4(), at=utc_now())
        await uow.commit()
    return workspace.id, reservation


async def state(backend: Backend, workspace_id: UUID, reservation_id: UUID) -> tuple[object, ...]:
    account = await backend.credits.account(workspace_id)
    reservation = await backend.credits.reservation(workspace_id, reservation_id)
    assert reservation is not None
    entries = await all_entries(backend.credits, workspace_id)
    shape = sorted((e.idempotency_key, e.kind.value, e.amount, e.balance_after, e.reserved_after) for e in entries)
    return account.balance, account.reserved, reservation.remaining, shape


async def test_post_many_is_post_one_after_another(backend: Backend) -> None:
    one_by_one, reservation_a = await prepared(backend)
    together, reservation_b = await prepared(backend)
    at = utc_now()
    async with backend.uow() as uow:
        singly = [await uow.credits.post(r, entry_id=uuid4(), at=at) for r in requests_for(one_by_one, reservation_a)]
        await uow.commit()
    batch = requests_for(together, reservation_b)
    async with backend.uow() as uow:
        many = await uow.credits.post_many(batch, entry_ids=[uuid4() for _ in batch], at=at)
        await uow.commit()

    def shape(entries: list[object]) -> list[tuple[object, ...]]:
        return [(e.idempotency_key, e.amount, e.balance_after, e.reserved_after) for e in entries]  # type: ignore[attr-defined]

    assert shape(many) == shape(singly)
    assert many[3].id == many[0].id, "a key twice in one call is one entry"
    assert await state(backend, together, reservation_b) == await state(backend, one_by_one, reservation_a)
    balance, reserved, remaining, _ = await state(backend, together, reservation_b)
    assert (balance, reserved, remaining) == (100 - 2 - 1 - 2 - 3 - 1, 10 - 2 - 1 - 2 - 1, 4)


@pytest.mark.parametrize(
    ("amount", "key", "error"),
    [(9, "job:1:z:clearbit", InsufficientCredits), (5, "earlier", Conflict)],
    ids=["past-the-reservation", "a-key-reused-for-another-amount"],
)
async def test_post_many_fails_as_post_would_and_keeps_nothing(
    backend: Backend, amount: int, key: str, error: type[Exception]
) -> None:
    workspace_id, reservation = await prepared(backend)
    before = await state(backend, workspace_id, reservation)
    batch = [
        *requests_for(workspace_id, reservation)[:1],
        CreditRequest(
            workspace_id=workspace_id,
            kind=EntryKind.CHARGE,
            amount=amount,
            idempotency_key=key,
            reservation_id=reservation,
        ),
    ]
    async with backend.uow() as uow:
        with pytest.raises(error):
            await uow.credits.post_many(batch, entry_ids=[uuid4() for _ in batch], at=utc_now())
        # nothing to commit: the unit of work rolls back
    assert await state(backend, workspace_id, reservation) == before
