"""The credit ledger (CreditLedger in a unit of work, CreditReader) on the memory and Postgres adapters alike.

Every test posts real requests through a real unit of work and checks the
exact balances and entries afterwards; every refused request is checked to
have written nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from domain.credits.ledger import (
    MAX_AMOUNT,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    CreditAccount,
    CreditRequest,
    EntryKind,
    LedgerEntry,
    Reservation,
)
from domain.kernel.errors import Conflict, DomainError, InsufficientCredits, NotFound, ValidationFailed
from domain.kernel.pagination import PageRequest
from domain.workspaces.workspace import Workspace
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, new_workspace, persist
from tests.support.paging import all_pages

T0 = datetime(2025, 4, 1, 12, 0, 0, 250000, tzinfo=UTC)

GRANT, PURCHASE, RESERVE, RELEASE, CHARGE, REFUND, EXPIRE = (
    EntryKind.GRANT,
    EntryKind.PURCHASE,
    EntryKind.RESERVE,
    EntryKind.RELEASE,
    EntryKind.CHARGE,
    EntryKind.REFUND,
    EntryKind.EXPIRE,
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def credit_request(ws: UUID, kind: EntryKind, amount: int, key: str, **fields: Any) -> CreditRequest:
    return CreditRequest(workspace_id=ws, kind=kind, amount=amount, idempotency_key=key, **fields)


async def open_workspace(backend: Backend, *, account: bool = True) -> Workspace:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    if account:
        async with backend.uow() as uow:
            await uow.credits.open_account(workspace.id)
            await uow.commit()
    return workspace


async def post(backend: Backend, req: CreditRequest, when: datetime | None = None) -> LedgerEntry:
    """Post one request in its own committed unit of work."""
    async with backend.uow() as uow:
        entry = await uow.credits.post(req, entry_id=uuid4(), at=when or datetime.now(UTC))
        await uow.commit()
    return entry


async def all_entries(backend: Backend, ws: UUID, kind: EntryKind | None = None) -> list[LedgerEntry]:
    page = await backend.credits.entries(ws, PageRequest(limit=200), kind)
    assert page.next_cursor is None
    return page.items


async def state(backend: Backend, ws: UUID, *reservations: UUID) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    return (
        await backend.credits.account(ws),
        await all_entries(backend, ws),
        [await backend.credits.reservation(ws, r) for r in reservations],
    )


def expected_entry(
    req: CreditRequest, entry_id: UUID, when: datetime, *, amount: int | None = None, balance: int, reserved: int
) -> LedgerEntry:
    return LedgerEntry(
        id=entry_id,
        workspace_id=req.workspace_id,
        kind=req.kind,
        amount=req.amount if amount is None else amount,
        balance_after=balance,
        reserved_after=reserved,
        idempotency_key=req.idempotency_key,
        fingerprint=req.fingerprint,
        reason=req.reason,
        actor_id=req.actor_id,
        reservation_id=req.reservation_id,
        reference_id=req.reference_id,
        created_at=when,
    )


def account(ws: UUID, balance: int, reserved: int = 0) -> CreditAccount:
    return CreditAccount(workspace_id=ws, balance=balance, reserved=reserved)


async def refused(backend: Backend, req: CreditRequest, error: type[DomainError], *reservations: UUID) -> None:
    """The request fails with `error` and changes nothing, committed or not."""
    before = await state(backend, req.workspace_id, *reservations)
    async with backend.uow() as uow:
        with pytest.raises(error):
            await uow.credits.post(req, entry_id=uuid4(), at=at(10_000))
        await uow.commit()  # even a commit keeps nothing of it
    assert await state(backend, req.workspace_id, *reservations) == before


# --- accounts ------------------------------------------------------------------------------------------------------


async def test_open_account_starts_empty_and_opening_again_keeps_the_balance(backend: Backend) -> None:
    workspace = await open_workspace(backend)
    assert await backend.credits.account(workspace.id) == account(workspace.id, 0)
    assert (await backend.credits.account(workspace.id)).available == 0
    assert await all_entries(backend, workspace.id) == []

    await post(backend, credit_request(workspace.id, GRANT, 7, "g"))
    async with backend.uow() as uow:
        await uow.credits.open_account(workspace.id)
        await uow.commit()
    assert await backend.credits.account(workspace.id) == account(workspace.id, 7)


async def test_an_unknown_workspace_reads_as_an_empty_account(backend: Backend) -> None:
    ghost = uuid4()
    assert await backend.credits.account(ghost) == account(ghost, 0)
    assert await all_entries(backend, ghost) == []
    assert await backend.credits.reservation(ghost, uuid4()) is None


@pytest.mark.parametrize("with_workspace", [False, True], ids=["no-workspace", "workspace-without-account"])
async def test_posting_to_an_unknown_account_is_not_found(backend: Backend, with_workspace: bool) -> None:
    ws = (await open_workspace(backend, account=False)).id if with_workspace else uuid4()
    async with backend.uow() as uow:
        with pytest.raises(NotFound):
            await uow.credits.post(credit_request(ws, GRANT, 5, "g"), entry_id=uuid4(), at=T0)
    assert await backend.credits.account(ws) == account(ws, 0)
    assert await all_entries(backend, ws) == []


# --- every kind, step by step ---------------------------------------------------------------------------------------


async def test_every_kind_moves_balance_and_reserved_exactly(backend: Backend) -> None:
    ws = (await open_workspace(backend)).id
    rid = uuid4()
    actor = uuid4()
    posted: list[LedgerEntry] = []

    async def step(
        req: CreditRequest, when: datetime, *, amount: int | None = None, balance: int, reserved: int
    ) -> LedgerEntry:
        entry_id = uuid4()
        async with backend.uow() as uow:
            entry = await uow.credits.post(req, entry_id=entry_id, at=when)
            await uow.commit()
        expected = expected_entry(req, entry_id, when, amount=amount, balance=balance, reserved=reserved)
        assert entry == expected
        after = await backend.credits.account(ws)
        assert (after.balance, after.reserved, after.available) == (balance, reserved, balance - reserved)
        posted.append(entry)
        assert await all_entries(backend, ws) == posted[::-1]
        return entry

    await step(
        credit_request(ws, GRANT, 100, "grant-1", reason="welcome", actor_id=actor), at(1), balance=100, reserved=0
    )
    await step(credit_request(ws, PURCHASE, 50, "purchase-1", reason="pack"), at(2), balance=150, reserved=0)

    await step(credit_request(ws, RESERVE, 40, "reserve-1", reservation_id=rid), at(3), balance=150, reserved=40)
    assert await backend.credits.reservation(ws, rid) == Reservation(
        id=rid, workspace_id=ws, amount=40, remaining=40, created_at=at(3)
    )

    charge_in = await step(
        credit_request(ws, CHARGE, 15, "charge-in", reservation_id=rid), at(4), balance=135, reserved=25
    )
    assert await backend.credits.reservation(ws, rid) == Reservation(
        id=rid, workspace_id=ws, amount=40, remaining=25, created_at=at(3)
    )

    charge_out = await step(credit_request(ws, CHARGE, 30, "charge-out"), at(5), balance=105, reserved=25)
    assert charge_out.reservation_id is None

    # a release settles what is left: its amount is the remainder, whatever was asked
    await step(
        credit_request(ws, RELEASE, 0, "release-1", reservation_id=rid), at(6), amount=25, balance=105, reserved=0
    )
    assert await backend.credits.reservation(ws, rid) == Reservation(
        id=rid, workspace_id=ws, amount=40, remaining=0, created_at=at(3), closed_at=at(6)
    )

    await step(credit_request(ws, REFUND, 10, "refund-1", reference_id=charge_in.id), at(7), balance=115, reserved=0)
    await step(credit_request(ws, REFUND, 30, "refund-2", reference_id=charge_out.id), at(8), balance=145, reserved=0)
    await step(credit_request(ws, EXPIRE, 45, "expire-1", reason="end of period"), at(9), balance=100, reserved=0)

    # the ledger adds up to the balance
    signs = {GRANT: 1, PURCHASE: 1, REFUND: 1, CHARGE: -1, EXPIRE: -1, RESERVE: 0, RELEASE: 0}
    assert sum(signs[e.kind] * e.amount for e in posted) == 100


async def test_a_release_of_a_reservation_with_nothing_left_closes_it_with_amount_zero(backend: Backend) -> None:
    ws = (await open_workspace(backend)).id
    rid = uuid4()
    await post(backend, credit_request(ws, GRANT, 20, "g"), at(1))
    await post(backend, credit_request(ws, RESERVE, 20, "r", reservation_id=rid), at(2))
    await post(backend, credit_request(ws, CHARGE, 20, "c", reservation_id=rid), at(3))
    reservation = await backend.credits.reservation(ws, rid)
    assert reservation is not None
    assert reservation.remaining == 0
    assert reservation.is_open  # a charge never closes it

    release = await post(backend, credit_request(ws, RELEASE, 0, "x", reservation_id=rid), at(4))
    assert (release.amount, release.balance_after, release.reserved_after) == (0, 0, 0)
    assert await backend.credits.reservation(ws, rid) == replace(reservation, closed_at=at(4))
    assert await backend.credits.account(ws) == account(ws, 0)


# --- idempotency ----------------------------------------------------------------------------------------------------


def replay_cases(ws: UUID, rid: UUID, charge_id: UUID) -> dict[str, CreditRequest]:
    return {
        "grant": credit_request(ws, GRANT, 5, "k", reason="bonus", actor_id=uuid4()),
        "purchase": credit_request(ws, PURCHASE, 5, "k"),
        "reserve": credit_request(ws, RESERVE, 5, "k", reservation_id=uuid4()),
        "charge-with-reservation": credit_request(ws, CHARGE, 5, "k", reservation_id=rid),
        "charge-without-reservation": credit_request(ws, CHARGE, 5, "k"),
        "release": credit_request(ws, RELEASE, 0, "k", reservation_id=rid),
        "refund": credit_request(ws, REFUND, 5, "k", reference_id=charge_id),
        "expire": credit_request(ws, EXPIRE, 5, "k"),
    }


async def prepared(backend: Backend) -> tuple[UUID, UUID, LedgerEntry]:
    """A workspace with 100 credits, an open reservation of 30 and a charge of 10 (60 available)."""
    ws = (await open_workspace(backend)).id
    rid = uuid4()
    await post(backend, credit_request(ws, GRANT, 100, "setup-grant"), at(1))
    await post(backend, credit_request(ws, RESERVE, 30, "setup-reserve", reservation_id=rid), at(2))
    charge = await post(backend, credit_request(ws, CHARGE, 10, "setup-charge"), at(3))
    assert await backend.credits.account(ws) == account(ws, 90, 30)
    return ws, rid, charge


@pytest.mark.parametrize(
    "case",
    [
        "grant",
        "purchase",
        "reserve",
        "charge-with-reservation",
        "charge-without-reservation",
        "release",
        "refund",
        "expire",
    ],
)
async def test_a_replay_returns_the_first_entry_and_changes_nothing(backend: Backend, case: str) -> None:
    ws, rid, charge = await prepared(backend)
    req = replay_cases(ws, rid, charge.id)[case]
    first = await post(backend, req, at(10))
    after_first = await state(backend, ws, rid, *([req.reservation_id] if req.reservation_id else []))

    for attempt in range(2):
        async with backend.uow() as uow:
            again = await uow.credits.post(req, entry_id=uuid4(), at=at(20 + attempt))
            await uow.commit()
        assert again == first
        assert await state(backend, ws, rid, *([req.reservation_id] if req.reservation_id else [])) == after_first


CONFLICTING: dict[str, Callable[[CreditRequest, UUID, UUID], CreditRequest]] = {
    "amount": lambda req, rid, charge_id: replace(req, amount=6),
    "reason": lambda req, rid, charge_id: replace(req, reason="another reason"),
    "kind-expire": lambda req, rid, charge_id: replace(req, kind=EXPIRE),
    "kind-purchase": lambda req, rid, charge_id: replace(req, kind=PURCHASE),
    "reservation-id": lambda req, rid, charge_id: replace(req, reservation_id=rid),
    "reference-id": lambda req, rid, charge_id: replace(req, kind=REFUND, reference_id=charge_id),
}


@pytest.mark.parametrize("change", list(CONFLICTING))
async def test_the_same_key_with_other_content_is_a_conflict_and_writes_nothing(backend: Backend, change: str) -> None:
    ws, rid, charge = await prepared(backend)
    first_request = credit_request(ws, CHARGE, 5, "k", reason="lookup")
    first = await post(backend, first_request, at(10))
    other = CONFLICTING[change](first_request, rid, charge.id)
    assert other != first_request
    await refused(backend, other, Conflict, rid)
    assert (await all_entries(backend, ws))[0] == first
    # the first request itself still replays
    assert await post(backend, first_request, at(11)) == first


async def test_a_replay_with_only_another_actor_is_still_the_first_entry(backend: Backend) -> None:
    ws = (await open_workspace(backend)).id
    first = await post(backend, credit_request(ws, GRANT, 5, "k", actor_id=uuid4()), at(1))
    assert await post(backend, credit_request(ws, GRANT, 5, "k", actor_id=uuid4()), at(2)) == first
    assert await backend.credits.account(ws) == account(ws, 5)


async def test_keys_belong_to_their_workspace(backend: Backend) -> None:
    a, b = (await open_workspace(backend)).id, (await open_workspace(backend)).id
    first = await post(backend, credit_request(a, GRANT, 5, "same-key"), at(1))
    other = await post(backend, credit_request(b, GRANT, 9, "same-key"), at(2))
    assert other.id != first.id
    assert (other.workspace_id, other.amount, other.balance_after) == (b, 9, 9)
    assert await backend.credits.account(a) == account(a, 5)
    assert await backend.credits.account(b) == account(b, 9)


async def test_a_replay_in_the_same_unit_of_work_returns_the_uncommitted_first_entry(backend: Backend) -> None:
    ws = (await open_workspace(backend)).id
    req = credit_request(ws, GRANT, 5, "k")
    async with backend.uow() as uow:
        first = await uow.credits.post(req, entry_id=uuid4(), at=at(1))
        assert await uow.credits.post(req, entry_id=uuid4(), at=at(2)) == first
        with pytest.raises(Conflict):
            await uow.credits.post(replace(req, amount=6), entry_id=uuid4(), at=at(3))
        await uow.commit()
    assert await all_entries(backend, ws) == [first]
    assert await backend.credits.account(ws) == account(ws, 5)


# --- insufficient credits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "amount", "against_reservation"),
    [
        (CHARGE, 61, False),  # 60 available
        (RESERVE, 61, False),
        (EXPIRE, 61, False),
        (CHARGE, 31, True),  # the reservation holds 30, though 60 more are available
    ],
    ids=["charge", "reserve", "expire", "charge-beyond-reservation"],
)
async def test_insufficient_credits_writes_nothing_and_the_key_stays_free(
    backend: Backend, kind: EntryKind, amount: int, against_reservation: bool
) -> None:
    ws, rid, _ = await prepared(backend)
    reservation_id = rid if against_reservation else (uuid4() if kind is RESERVE else None)
    too_much = credit_request(ws, kind, amount, "k", reservation_id=reservation_id)
    await refused(backend, too_much, InsufficientCredits, rid)
    if reservation_id and kind is RESERVE:
        assert await backend.credits.reservation(ws, reservation_id) is None

    # the key was not used up: the affordable request goes through under it
    fits = await post(backend, replace(too_much, amount=amount - 1), at(10))
    assert fits.amount == amount - 1
    after = await backend.credits.account(ws)
    assert after.available == (60 if against_reservation else 0)  # a reservation was already set aside


async def test_after_insufficient_credits_the_same_unit_of_work_can_go_on(backend: Backend) -> None:
    ws, _, _ = await prepared(backend)
    async with backend.uow() as uow:
        with pytest.raises(InsufficientCredits):
            await uow.credits.post(credit_request(ws, CHARGE, 61, "k"), entry_id=uuid4(), at=at(10))
        entry = await uow.credits.post(credit_request(ws, CHARGE, 60, "k"), entry_id=uuid4(), at=at(11))
        await uow.commit()
    assert (entry.amount, entry.balance_after, entry.reserved_after) == (60, 30, 30)
    assert await backend.credits.account(ws) == account(ws, 30, 30)
    assert (await all_entries(backend, ws))[0] == entry


async def test_charges_against_a_reservation_may_spend_exactly_what_it_holds(backend: Backend) -> None:
    ws, rid, _ = await prepared(backend)
    await post(backend, credit_request(ws, CHARGE, 20, "c1", reservation_id=rid), at(10))
    await post(backend, credit_request(ws, CHARGE, 10, "c2", reservation_id=rid), at(11))
    await refused(backend, credit_request(ws, CHARGE, 1, "c3", reservation_id=rid), InsufficientCredits, rid)
    assert await backend.credits.account(ws) == account(ws, 60, 0)


# --- reservations ---------------------------------------------------------------------------------------------------


async def test_release_returns_the_remainder_and_closes_the_reservation(backend: Backend) -> None:
    ws, rid, _ = await prepared(backend)
    await post(backend, credit_request(ws, CHARGE, 12, "c", reservation_id=rid), at(10))
    assert await backend.credits.account(ws) == account(ws, 78, 18)

    release = await post(backend, credit_request(ws, RELEASE, 0, "release", reservation_id=rid), at(11))
    assert (release.amount, release.balance_after, release.reserved_after) == (18, 78, 0)
    assert await backend.credits.account(ws) == account(ws, 78, 0)
    assert await backend.credits.reservation(ws, rid) == Reservation(
        id=rid, workspace_id=ws, amount=30, remaining=0, created_at=at(2), closed_at=at(11)
    )


@pytest.mark.parametrize(
    ("kind", "amount", "error"),
    [(CHARGE, 1, Conflict), (RELEASE, 0, Conflict), (RESERVE, 5, Conflict)],
    ids=["charge", "release", "reserve-again"],
)
async def test_a_closed_reservation_takes_nothing_more(
    backend: Backend, kind: EntryKind, amount: int, error: type[DomainError]
) -> None:
    ws, rid, _ = await prepared(backend)
    await post(backend, credit_request(ws, RELEASE, 0, "release", reservation_id=rid), at(10))
    await refused(backend, credit_request(ws, kind, amount, "late", reservation_id=rid), error, rid)


async def test_reserving_an_existing_open_reservation_id_is_a_conflict(backend: Backend) -> None:
    ws, rid, _ = await prepared(backend)
    await refused(backend, credit_request(ws, RESERVE, 5, "again", reservation_id=rid), Conflict, rid)


@pytest.mark.parametrize(
    ("kind", "amount", "error"),
    [(CHARGE, 1, NotFound), (RELEASE, 0, NotFound), (RESERVE, 5, Conflict)],
    ids=["charge", "release", "reserve"],
)
async def test_another_workspaces_reservation_cannot_be_touched(
    backend: Backend, kind: EntryKind, amount: int, error: type[DomainError]
) -> None:
    victim, rid, _ = await prepared(backend)
    attacker = (await open_workspace(backend)).id
    await post(backend, credit_request(attacker, GRANT, 100, "g"), at(5))
    victim_before = await state(backend, victim, rid)

    await refused(backend, credit_request(attacker, kind, amount, "steal", reservation_id=rid), error, rid)
    assert await state(backend, victim, rid) == victim_before
    assert await backend.credits.reservation(attacker, rid) is None


async def test_charge_or_release_of_an_unknown_reservation_is_not_found(backend: Backend) -> None:
    ws, rid, _ = await prepared(backend)
    await refused(backend, credit_request(ws, CHARGE, 1, "c", reservation_id=uuid4()), NotFound, rid)
    await refused(backend, credit_request(ws, RELEASE, 0, "r", reservation_id=uuid4()), NotFound, rid)


# --- refunds --------------------------------------------------------------------------------------------------------


async def test_refunds_never_return_more_than_the_charge(backend: Backend) -> None:
    ws, rid, charge = await prepared(backend)  # a charge of 10, balance 90
    await post(backend, credit_request(ws, REFUND, 6, "r1", reference_id=charge.id), at(10))
    await refused(backend, credit_request(ws, REFUND, 5, "r2", reference_id=charge.id), Conflict, rid)
    await post(backend, credit_request(ws, REFUND, 4, "r2", reference_id=charge.id), at(11))  # the key stayed free
    await refused(backend, credit_request(ws, REFUND, 1, "r3", reference_id=charge.id), Conflict, rid)
    assert await backend.credits.account(ws) == account(ws, 100, 30)


async def test_a_refund_of_a_charge_against_a_reservation(backend: Backend) -> None:
    ws, rid, _ = await prepared(backend)
    charge = await post(backend, credit_request(ws, CHARGE, 8, "c", reservation_id=rid), at(10))
    refund = await post(backend, credit_request(ws, REFUND, 8, "r", reference_id=charge.id), at(11))
    assert (refund.balance_after, refund.reserved_after, refund.reference_id) == (90, 22, charge.id)
    assert await backend.credits.account(ws) == account(ws, 90, 22)


async def test_only_charges_of_the_same_workspace_can_be_refunded(backend: Backend) -> None:
    ws, rid, charge = await prepared(backend)
    other = (await open_workspace(backend)).id
    await post(backend, credit_request(other, GRANT, 50, "g"), at(4))
    foreign_charge = await post(backend, credit_request(other, CHARGE, 20, "c"), at(5))
    not_charges = [e.id for e in await all_entries(backend, ws) if e.kind is not CHARGE]
    assert len(not_charges) == 2  # the grant and the reserve

    for reference in (*not_charges, uuid4(), foreign_charge.id):
        await refused(
            backend, credit_request(ws, REFUND, 1, f"refund-{reference}", reference_id=reference), NotFound, rid
        )
    # the other workspace cannot refund ours either
    await refused(backend, credit_request(other, REFUND, 1, "r", reference_id=charge.id), NotFound)
    assert await backend.credits.account(other) == account(other, 30)


# --- validation -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "req",
    [
        {"kind": GRANT, "amount": 0},
        {"kind": GRANT, "amount": -5},
        {"kind": GRANT, "amount": MAX_AMOUNT + 1},
        {"kind": PURCHASE, "amount": 0},
        {"kind": CHARGE, "amount": 0},
        {"kind": CHARGE, "amount": -1},
        {"kind": EXPIRE, "amount": 0},
        {"kind": RESERVE, "amount": 0, "reservation_id": uuid4()},
        {"kind": RESERVE, "amount": MAX_AMOUNT + 1, "reservation_id": uuid4()},
        {"kind": RESERVE, "amount": 5},  # no reservation id
        {"kind": RELEASE, "amount": 0},  # no reservation id
        {"kind": RELEASE, "amount": -1, "reservation_id": "open"},
        {"kind": REFUND, "amount": 1},  # no charge named
        {"kind": REFUND, "amount": 0, "reference_id": "charge"},
        {"kind": GRANT, "amount": 5, "idempotency_key": ""},
        {"kind": GRANT, "amount": 5, "idempotency_key": "k" * (MAX_IDEMPOTENCY_KEY_LENGTH + 1)},
    ],
    ids=[
        "grant-zero",
        "grant-negative",
        "grant-too-large",
        "purchase-zero",
        "charge-zero",
        "charge-negative",
        "expire-zero",
        "reserve-zero",
        "reserve-too-large",
        "reserve-without-id",
        "release-without-id",
        "release-negative",
        "refund-without-reference",
        "refund-zero",
        "empty-key",
        "key-too-long",
    ],
)
async def test_invalid_requests_are_refused_and_write_nothing(backend: Backend, req: dict[str, Any]) -> None:
    ws, rid, charge = await prepared(backend)
    named = {"open": rid, "charge": charge.id}
    fields = {"idempotency_key": "fresh", **req}
    for field in ("reservation_id", "reference_id"):
        if fields.get(field) in named:
            fields[field] = named[fields[field]]
    await refused(backend, CreditRequest(workspace_id=ws, **fields), ValidationFailed, rid)


@pytest.mark.parametrize("fields", [{"reason": "a\x00b"}, {"idempotency_key": "k\x00"}], ids=["reason", "key"])
async def test_text_postgres_cannot_store_is_refused_on_every_backend(backend: Backend, fields: dict[str, str]) -> None:
    ws, rid, _ = await prepared(backend)
    req = replace(credit_request(ws, GRANT, 5, "nul"), **fields)
    await refused(backend, req, ValidationFailed, rid)


async def test_the_largest_amount_and_longest_key_are_accepted(backend: Backend) -> None:
    ws = (await open_workspace(backend)).id
    key = "k" * MAX_IDEMPOTENCY_KEY_LENGTH
    entry = await post(backend, credit_request(ws, GRANT, MAX_AMOUNT, key), at(1))
    assert (entry.amount, entry.balance_after, entry.idempotency_key) == (MAX_AMOUNT, MAX_AMOUNT, key)
    assert await post(backend, credit_request(ws, GRANT, MAX_AMOUNT, key), at(2)) == entry


# --- transactions ---------------------------------------------------------------------------------------------------


async def test_posting_is_rolled_back_without_commit(backend: Backend) -> None:
    ws, rid, _ = await prepared(backend)
    before = await state(backend, ws, rid)
    new_rid = uuid4()
    async with backend.uow() as uow:
        await uow.credits.post(credit_request(ws, GRANT, 500, "g2"), entry_id=uuid4(), at=at(10))
        await uow.credits.post(
            credit_request(ws, RESERVE, 100, "r2", reservation_id=new_rid), entry_id=uuid4(), at=at(11)
        )
        await uow.credits.post(credit_request(ws, RELEASE, 0, "rel", reservation_id=rid), entry_id=uuid4(), at=at(12))
    assert await state(backend, ws, rid) == before
    assert await backend.credits.reservation(ws, new_rid) is None

    # nothing of it is left behind: the keys are free for other content
    again = await post(backend, credit_request(ws, GRANT, 1, "g2"), at(13))
    assert (again.amount, again.balance_after) == (1, 91)


async def test_an_exception_in_the_unit_of_work_rolls_the_posting_back(backend: Backend) -> None:
    ws, rid, _ = await prepared(backend)
    before = await state(backend, ws, rid)

    async def crashing_job() -> None:
        async with backend.uow() as uow:
            await uow.credits.post(credit_request(ws, CHARGE, 50, "c"), entry_id=uuid4(), at=at(10))
            raise RuntimeError("the job crashed before commit")

    with pytest.raises(RuntimeError):
        await crashing_job()
    assert await state(backend, ws, rid) == before


async def test_a_replay_racing_the_first_request_returns_its_entry(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    """Two requests under one key: the second waits for the first to commit, then replays it."""
    ws = (await open_workspace(backend)).id
    await post(backend, credit_request(ws, GRANT, 100, "g"), at(1))
    req = credit_request(ws, CHARGE, 30, "charge-once")

    async def second() -> LedgerEntry:
        return await post(backend, req, at(3))

    async with backend.uow() as uow:
        first = await uow.credits.post(req, entry_id=uuid4(), at=at(2))
        racing = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # the second request now waits for the account
        assert not racing.done()
        await uow.commit()
    assert await racing == first
    assert await backend.credits.account(ws) == account(ws, 70)
    assert [e.kind for e in await all_entries(backend, ws)] == [CHARGE, GRANT]


async def test_racing_charges_never_overdraw(backend: Backend) -> None:
    ws = (await open_workspace(backend)).id
    await post(backend, credit_request(ws, GRANT, 10, "g"), at(1))

    async def charge(key: str) -> LedgerEntry | DomainError:
        try:
            return await post(backend, credit_request(ws, CHARGE, 6, key), at(2))
        except DomainError as error:
            return error

    outcomes = await asyncio.gather(*(charge(f"c{i}") for i in range(4)))
    assert sum(isinstance(o, LedgerEntry) for o in outcomes) == 1
    assert all(isinstance(o, LedgerEntry | InsufficientCredits) for o in outcomes)
    assert await backend.credits.account(ws) == account(ws, 4)


# --- the reader -----------------------------------------------------------------------------------------------------


async def seeded_ledger(backend: Backend) -> tuple[UUID, list[LedgerEntry]]:
    """Seven entries, two of them sharing a timestamp, plus another workspace's; newest first."""
    ws = (await open_workspace(backend)).id
    other = (await open_workspace(backend)).id
    await post(backend, credit_request(other, GRANT, 1000, "other"), at(4))
    rid = uuid4()
    steps = [
        (credit_request(ws, GRANT, 100, "e1"), at(1)),
        (credit_request(ws, CHARGE, 5, "e2"), at(2)),
        (credit_request(ws, GRANT, 10, "e3"), at(3)),
        (credit_request(ws, GRANT, 10, "e4"), at(3)),  # tie: ordered by id
        (credit_request(ws, RESERVE, 20, "e5", reservation_id=rid), at(5)),
        (credit_request(ws, GRANT, 1, "e6"), at(6)),
        (credit_request(ws, EXPIRE, 1, "e7"), at(6.000001)),
    ]
    entries = [await post(backend, req, when) for req, when in steps]
    return ws, sorted(entries, key=lambda e: (e.created_at, e.id), reverse=True)


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 200])
async def test_entries_are_newest_first_and_cursor_paginated(backend: Backend, limit: int) -> None:
    ws, expected = await seeded_ledger(backend)
    pages = await all_pages(lambda page: backend.credits.entries(ws, page), limit)
    for page in pages[:-1]:
        assert len(page.items) == limit
        assert page.next_cursor is not None
    assert pages[-1].next_cursor is None
    assert len(pages) == -(-len(expected) // limit)
    assert [e for page in pages for e in page.items] == expected


@pytest.mark.parametrize("limit", [1, 2, 200])
async def test_entries_filtered_by_kind(backend: Backend, limit: int) -> None:
    ws, expected = await seeded_ledger(backend)
    for kind in EntryKind:
        pages = await all_pages(lambda page, kind=kind: backend.credits.entries(ws, page, kind), limit)
        assert [e for page in pages for e in page.items] == [e for e in expected if e.kind is kind]
    assert [e.kind for e in expected].count(GRANT) == 4


async def test_reservation_is_read_only_in_its_workspace(backend: Backend) -> None:
    ws, rid, _ = await prepared(backend)
    other = (await open_workspace(backend)).id
    assert await backend.credits.reservation(ws, rid) == Reservation(
        id=rid, workspace_id=ws, amount=30, remaining=30, created_at=at(2)
    )
    assert await backend.credits.reservation(other, rid) is None
    assert await backend.credits.reservation(ws, uuid4()) is None


async def test_open_reservations_are_the_oldest_open_ones_before_the_cutoff(backend: Backend) -> None:
    a, b = (await open_workspace(backend)).id, (await open_workspace(backend)).id
    await post(backend, credit_request(a, GRANT, 1000, "g"), at(0))
    await post(backend, credit_request(b, GRANT, 1000, "g"), at(0))
    ids = {name: uuid4() for name in ("a1", "b1", "a-closed", "b2", "a-young")}
    reserved = [("a1", a, 10), ("b1", b, 30), ("a-closed", a, 5), ("b2", b, 40), ("a-young", a, 50)]
    for second, (name, ws, amount) in enumerate(reserved, start=1):
        await post(backend, credit_request(ws, RESERVE, amount, name, reservation_id=ids[name]), at(second))
    await post(backend, credit_request(b, CHARGE, 7, "part", reservation_id=ids["b1"]), at(6))
    await post(backend, credit_request(a, RELEASE, 0, "close", reservation_id=ids["a-closed"]), at(7))

    stale = await backend.credits.open_reservations(at(5), 100)  # strictly before: a-young (at 5) is not stale
    assert stale == [
        Reservation(id=ids["a1"], workspace_id=a, amount=10, remaining=10, created_at=at(1)),
        Reservation(id=ids["b1"], workspace_id=b, amount=30, remaining=23, created_at=at(2)),
        Reservation(id=ids["b2"], workspace_id=b, amount=40, remaining=40, created_at=at(4)),
    ]
    assert await backend.credits.open_reservations(at(5), 2) == stale[:2]
    assert await backend.credits.open_reservations(at(1), 100) == []
    assert [r.id for r in await backend.credits.open_reservations(at(100), 100)] == [
        ids["a1"],
        ids["b1"],
        ids["b2"],
        ids["a-young"],
    ]


# --- PostgreSQL: the database defends the invariants itself --------------------------------------------------------


POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_postgres_refuses_a_negative_available_balance(backend: Backend, clean_pool: AsyncConnectionPool) -> None:
    ws, rid, _ = await prepared(backend)
    before = await state(backend, ws, rid)
    async with clean_pool.connection() as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            await conn.execute(
                "UPDATE credit_accounts SET balance = 0, reserved = 5 WHERE workspace_id = %(ws)s", {"ws": ws}
            )
    async with clean_pool.connection() as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            await conn.execute("UPDATE credit_accounts SET reserved = -1 WHERE workspace_id = %(ws)s", {"ws": ws})
    assert await state(backend, ws, rid) == before


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_postgres_ledger_rows_cannot_be_updated(backend: Backend, clean_pool: AsyncConnectionPool) -> None:
    ws, rid, charge = await prepared(backend)
    before = await state(backend, ws, rid)
    async with clean_pool.connection() as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            await conn.execute("UPDATE credit_ledger SET amount = 0 WHERE id = %(id)s", {"id": charge.id})
    async with clean_pool.connection() as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            await conn.execute("UPDATE credit_ledger SET reason = 'rewritten' WHERE workspace_id = %(ws)s", {"ws": ws})
    assert await state(backend, ws, rid) == before
