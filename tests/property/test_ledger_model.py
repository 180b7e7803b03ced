"""R1: the ledger against a plain model, on the memory adapter and on PostgreSQL.

The model knows nothing of `domain.credits.ledger.apply`: it is the rules written
again as simply as possible. Every step posts one request through a real
unit of work and compares the outcome (entry or error) and the balances.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from adapters.memory.credits import MemoryCreditReader
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.postgres.credits import PostgresCreditReader
from adapters.postgres.pool import open_pool
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from domain.credits.ledger import BALANCE_SIGN, CreditRequest, EntryKind, LedgerEntry
from domain.kernel.errors import Conflict, DomainError, InsufficientCredits, NotFound
from ports.credits import CreditReader
from ports.unit_of_work import UnitOfWork
from tests.support.builders.accounts import all_entries, new_user, new_workspace

T = TypeVar("T")
amounts = st.integers(min_value=1, max_value=60)


@dataclass
class Model:
    balance: int = 0
    reserved: int = 0
    reservations: dict[UUID, int] = field(default_factory=dict)  # open ones: what they still hold
    closed: set[UUID] = field(default_factory=set)
    refundable: dict[UUID, int] = field(default_factory=dict)  # charge entry id -> left to refund
    by_key: dict[str, tuple[CreditRequest, LedgerEntry]] = field(default_factory=dict)

    def expect(self, request: CreditRequest) -> type[DomainError] | None:
        """The error this request must fail with, or None; no state change here."""
        if request.idempotency_key in self.by_key:
            return None if self.by_key[request.idempotency_key][0] == request else Conflict
        kind, amount, reservation = request.kind, request.amount, request.reservation_id
        available = self.balance - self.reserved
        if kind in (EntryKind.CHARGE, EntryKind.EXPIRE) and reservation is None:
            return InsufficientCredits if amount > available else None
        if kind is EntryKind.RESERVE:
            return InsufficientCredits if amount > available else None
        if kind in (EntryKind.CHARGE, EntryKind.RELEASE):
            if reservation in self.closed:
                return Conflict
            if kind is EntryKind.CHARGE and amount > self.reservations[reservation]:  # type: ignore[index]
                return InsufficientCredits
        if kind is EntryKind.REFUND:
            left = self.refundable.get(request.reference_id)  # type: ignore[arg-type]
            if left is None:
                return NotFound
            return Conflict if amount > left else None
        return None

    def record(self, request: CreditRequest, entry: LedgerEntry) -> None:
        if request.idempotency_key in self.by_key:
            return
        self.by_key[request.idempotency_key] = (request, entry)
        kind, amount, reservation = request.kind, request.amount, request.reservation_id
        if kind in (EntryKind.GRANT, EntryKind.PURCHASE, EntryKind.REFUND):
            self.balance += amount
            if kind is EntryKind.REFUND:
                self.refundable[request.reference_id] -= amount  # type: ignore[index]
        elif kind is EntryKind.RESERVE:
            self.reserved += amount
            self.reservations[reservation] = amount  # type: ignore[index]
        elif kind is EntryKind.RELEASE:
            self.reserved -= self.reservations.pop(reservation)  # type: ignore[arg-type]
            self.closed.add(reservation)  # type: ignore[arg-type]
        else:
            self.balance -= amount
            if reservation is not None:
                self.reserved -= amount
                self.reservations[reservation] -= amount
            if kind is EntryKind.CHARGE:
                self.refundable[entry.id] = amount


@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    uow: Callable[[], UnitOfWork]
    reader: CreditReader

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)


def ledger_machine(harness: Harness) -> type[RuleBasedStateMachine]:
    class LedgerMachine(RuleBasedStateMachine):
        reservations = Bundle("reservations")
        charges = Bundle("charges")
        keys = Bundle("keys")

        @initialize()
        def open_workspace(self) -> None:
            self.model = Model()
            owner = new_user()
            workspace = new_workspace(owner)
            self.workspace_id = workspace.id

            async def setup() -> None:
                async with harness.uow() as uow:
                    await uow.users.add(owner)
                    await uow.workspaces.add(workspace)
                    await uow.credits.open_account(workspace.id)
                    await uow.commit()

            harness.run(setup())

        def post(self, kind: EntryKind, amount: int, **refs: Any) -> LedgerEntry | None:
            key = refs.pop("key", None) or uuid4().hex
            request = CreditRequest(
                workspace_id=self.workspace_id, kind=kind, amount=amount, idempotency_key=key, **refs
            )
            expected = self.model.expect(request)

            async def attempt() -> LedgerEntry:
                async with harness.uow() as uow:
                    entry = await uow.credits.post(request, entry_id=uuid4(), at=datetime.now(UTC))
                    await uow.commit()
                    return entry

            if expected is not None:
                with pytest.raises(expected):
                    harness.run(attempt())
                return None
            entry = harness.run(attempt())
            if key in self.model.by_key:
                assert entry == self.model.by_key[key][1], "a replay must return the first entry"
            self.model.record(request, entry)
            return entry

        @rule(target=keys, kind=st.sampled_from([EntryKind.GRANT, EntryKind.PURCHASE]), amount=amounts)
        def add_credits(self, kind: EntryKind, amount: int) -> str:
            entry = self.post(kind, amount)
            assert entry is not None
            return entry.idempotency_key

        @rule(target=charges, amount=amounts)
        def charge(self, amount: int) -> Any:
            entry = self.post(EntryKind.CHARGE, amount)
            return entry.id if entry else uuid4()

        @rule(amount=amounts)
        def expire(self, amount: int) -> None:
            self.post(EntryKind.EXPIRE, amount)

        @rule(target=reservations, amount=amounts)
        def reserve(self, amount: int) -> UUID:
            reservation = uuid4()
            entry = self.post(EntryKind.RESERVE, amount, reservation_id=reservation)
            return reservation if entry else uuid4()

        @rule(target=charges, reservation=reservations, amount=amounts)
        def charge_reserved(self, reservation: UUID, amount: int) -> Any:
            if reservation not in self.model.reservations and reservation not in self.model.closed:
                return uuid4()  # a reserve that failed: nothing to charge against
            entry = self.post(EntryKind.CHARGE, amount, reservation_id=reservation)
            return entry.id if entry else uuid4()

        @rule(reservation=reservations)
        def release(self, reservation: UUID) -> None:
            if reservation in self.model.reservations or reservation in self.model.closed:
                self.post(EntryKind.RELEASE, 0, reservation_id=reservation)

        @rule(charge=charges, amount=amounts)
        def refund(self, charge: UUID, amount: int) -> None:
            self.post(EntryKind.REFUND, amount, reference_id=charge)

        @rule(charge=charges, over=st.booleans())
        def refund_at_the_edge(self, charge: UUID, over: bool) -> None:
            left = self.model.refundable.get(charge)
            if left is not None and left + over > 0:
                self.post(EntryKind.REFUND, left + over, reference_id=charge)

        @rule(reservation=reservations, over=st.booleans())
        def charge_reserved_at_the_edge(self, reservation: UUID, over: bool) -> None:
            held = self.model.reservations.get(reservation)
            if held is not None and held + over > 0:
                self.post(EntryKind.CHARGE, held + over, reservation_id=reservation)

        @rule(over=st.booleans())
        def charge_everything_available(self, over: bool) -> None:
            available = self.model.balance - self.model.reserved
            if available + over > 0:
                self.post(EntryKind.CHARGE, available + over)

        @rule(key=keys)
        def replay_same_request(self, key: str) -> None:
            request, _ = self.model.by_key[key]
            self.post(request.kind, request.amount, key=key)

        @rule(key=keys, extra=amounts)
        def reuse_key_for_other_content(self, key: str, extra: int) -> None:
            request, _ = self.model.by_key[key]
            self.post(request.kind, request.amount + extra, key=key)

        @invariant()
        def balances_match_the_model(self) -> None:
            if not hasattr(self, "model"):
                return
            account = harness.run(harness.reader.account(self.workspace_id))
            assert (account.balance, account.reserved) == (self.model.balance, self.model.reserved)
            assert account.available >= 0

        @invariant()
        def ledger_sums_to_the_balance(self) -> None:
            if not hasattr(self, "model"):
                return
            entries = harness.run(all_entries(harness.reader, self.workspace_id))
            assert sum(BALANCE_SIGN[e.kind] * e.amount for e in entries) == self.model.balance
            assert len(entries) == len(self.model.by_key)

    return LedgerMachine


MACHINE_SETTINGS = settings(max_examples=40, stateful_step_count=30, deadline=None)


def test_ledger_matches_the_model_in_memory() -> None:
    loop = asyncio.new_event_loop()
    store = MemoryStore()
    try:
        harness = Harness(loop, lambda: MemoryUnitOfWork(store), MemoryCreditReader(store))
        run_state_machine_as_test(ledger_machine(harness), settings=MACHINE_SETTINGS)
    finally:
        loop.close()


def test_ledger_matches_the_model_on_postgres(migrated_url: str) -> None:
    loop = asyncio.new_event_loop()
    pool = loop.run_until_complete(open_pool(migrated_url, min_size=1, max_size=2, acquire_timeout=10))
    try:
        harness = Harness(loop, lambda: PostgresUnitOfWork(pool), PostgresCreditReader(pool))
        run_state_machine_as_test(ledger_machine(harness), settings=MACHINE_SETTINGS)
    finally:
        loop.run_until_complete(pool.close())
        loop.close()
