"""A workspace with its credit account, for the credit use cases: created on a backend by CreateWorkspace (its
starter credits at CREATED_AT), then the clock stands at NOW, and the use cases are built as the container builds
them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from adapters.system.ids import Uuid7Generator
from application.credit.charge_credits import ChargeCredits
from application.credit.grant_credits import GrantCredits
from application.credit.release_stale_reservations import ReleaseStaleReservations
from application.workspace.create_workspace import CreateWorkspace, CreateWorkspaceCommand, CreditPolicy
from domain.credits.ledger import CreditAccount, CreditRequest, EntryKind, LedgerEntry
from domain.identity.users import User
from domain.kernel.pagination import PageRequest
from domain.kernel.permissions import Role
from domain.workspaces.workspace import Membership
from ports.credits import CreditReader
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, persist
from tests.support.clock import ManualClock

NOW = datetime(2025, 6, 2, 8, 0, 0, 500000, tzinfo=UTC)
CREATED_AT = NOW - timedelta(hours=4)  # the workspaces are created first; the clock then stands at NOW
IDS = Uuid7Generator()


@dataclass(slots=True)
class World:
    backend: Backend
    clock: ManualClock
    owner: User
    workspace: UUID

    def charge(self) -> ChargeCredits:
        return ChargeCredits(self.backend.uow(), self.clock, IDS)

    def grant(self) -> GrantCredits:
        return GrantCredits(self.backend.uow(), self.clock, IDS)

    def sweeper(self, reader: CreditReader | None = None) -> ReleaseStaleReservations:
        return ReleaseStaleReservations(reader or self.backend.credits, self.backend.uow(), self.clock, IDS)

    async def account(self) -> CreditAccount:
        return await self.backend.credits.account(self.workspace)

    async def entries(self, kind: EntryKind | None = None) -> list[LedgerEntry]:
        page = await self.backend.credits.entries(self.workspace, PageRequest(limit=200), kind)
        return page.items

    async def snapshot(self) -> tuple[CreditAccount, list[LedgerEntry]]:
        return await self.account(), await self.entries()

    async def post(self, kind: EntryKind, amount: int, key: str, at: datetime, **fields: object) -> LedgerEntry:
        """What a job does itself, straight through the ledger."""
        req = CreditRequest(workspace_id=self.workspace, kind=kind, amount=amount, idempotency_key=key, **fields)  # type: ignore[arg-type]
        async with self.backend.uow() as uow:
            entry = await uow.credits.post(req, entry_id=IDS.new_id(), at=at)
            await uow.commit()
        return entry

    async def join(self, role: Role) -> User:
        user = new_user()
        await persist(
            self.backend, user, Membership(workspace_id=self.workspace, user_id=user.id, role=role, created_at=NOW)
        )
        return user


async def create_world(backend: Backend, policy: CreditPolicy | None = None) -> World:
    clock = ManualClock(CREATED_AT)
    owner = new_user()
    await persist(backend, owner)
    create = CreateWorkspace(backend.uow(), clock, IDS, policy or CreditPolicy())
    view = await create(CreateWorkspaceCommand(actor_id=owner.id, name="Acme"))
    clock.advance(NOW - CREATED_AT)
    return World(backend, clock, owner, view.id)
