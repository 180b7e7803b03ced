"""The credit ledger: written inside a unit of work, read without one."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.credits.ledger import CreditAccount, CreditRequest, EntryKind, LedgerEntry, Reservation
from domain.kernel.pagination import Page, PageRequest


class CreditLedger(Protocol):
    @abstractmethod
    async def open_account(self, workspace_id: UUID) -> None:
        """Create the workspace's empty account (with the workspace, in its transaction)."""

    @abstractmethod
    async def post(self, request: CreditRequest, *, entry_id: UUID, at: datetime) -> LedgerEntry:
        """Apply the request atomically and append its entry.

        Mutations of one workspace are serialized. A replayed idempotency key
        returns the first entry and changes nothing (`Conflict` if its content
        differs); `InsufficientCredits` writes nothing; an unknown workspace
        is `NotFound`.
        """

    @abstractmethod
    async def post_many(
        self, requests: list[CreditRequest], *, entry_ids: list[UUID], at: datetime
    ) -> list[LedgerEntry]:
        """`post` each request in order, as one step: the same entries, replays and errors as
        posting them one after another in this unit of work, in fewer round trips."""


class CreditRepositories(Protocol):
    """What a unit of work carries for credits."""

    credits: CreditLedger


class CreditReader(Protocol):
    @abstractmethod
    async def account(self, workspace_id: UUID) -> CreditAccount:
        """The balances; an unknown workspace reads as an empty account."""

    @abstractmethod
    async def entries(self, workspace_id: UUID, page: PageRequest, kind: EntryKind | None = None) -> Page[LedgerEntry]:
        """Ledger entries, newest first, optionally of one kind."""

    @abstractmethod
    async def reservation(self, workspace_id: UUID, reservation_id: UUID) -> Reservation | None: ...

    @abstractmethod
    async def open_reservations(self, created_before: datetime, limit: int) -> list[Reservation]:
        """Reservations still holding credits, oldest first: what crashed jobs left behind."""
