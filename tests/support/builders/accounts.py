"""Entities with realistic values, and a way to store them, for contract tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from uuid import UUID, uuid4

from domain.credits.ledger import CreditRequest, EntryKind, LedgerEntry
from domain.identity.sessions import REFRESH_TOKEN_TTL, RefreshToken
from domain.identity.users import User
from domain.kernel.pagination import PageRequest
from domain.kernel.permissions import Role
from domain.team.invitations import INVITATION_TTL, Invitation
from domain.workspaces.workspace import Membership, Workspace
from ports.credits import CreditReader
from ports.unit_of_work import UnitOfWork
from tests.conftest import Backend

Entity = User | Workspace | Membership | RefreshToken | Invitation


def utc_now() -> datetime:
    return datetime.now(UTC)


def token_hash() -> str:
    return secrets.token_hex(32)


def new_user(*, email: str | None = None, name: str = "Ann Lee", created_at: datetime | None = None) -> User:
    return User(
        id=uuid4(),
        email=email or f"user-{uuid4().hex[:12]}@example.com",
        name=name,
        password_hash="$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        is_platform_admin=False,
        created_at=created_at or utc_now(),
    )


def new_workspace(creator: User, *, name: str = "Acme", created_at: datetime | None = None) -> Workspace:
    return Workspace(id=uuid4(), name=name, created_by=creator.id, created_at=created_at or utc_now())


def new_membership(
    workspace: Workspace, user: User, role: Role = Role.MEMBER, *, joined_at: datetime | None = None
) -> Membership:
    return Membership(workspace_id=workspace.id, user_id=user.id, role=role, created_at=joined_at or utc_now())


def new_refresh_token(user: User, *, family_id: UUID | None = None) -> RefreshToken:
    now = utc_now()
    return RefreshToken(
        id=uuid4(),
        family_id=family_id or uuid4(),
        user_id=user.id,
        token_hash=token_hash(),
        created_at=now,
        expires_at=now + REFRESH_TOKEN_TTL,
    )


def new_invitation(
    workspace: Workspace,
    inviter: User,
    *,
    email: str | None = None,
    role: Role = Role.MEMBER,
    created_at: datetime | None = None,
) -> Invitation:
    created = created_at or utc_now()
    return Invitation(
        id=uuid4(),
        workspace_id=workspace.id,
        email=email or f"invitee-{uuid4().hex[:12]}@example.com",
        role=role,
        token_hash=token_hash(),
        invited_by=inviter.id,
        created_at=created,
        expires_at=created + INVITATION_TTL,
    )


async def persist(backend: Backend, *entities: Entity) -> None:
    """Add the entities in order (parents first) in one committed unit of work."""
    async with backend.uow() as uow:
        for entity in entities:
            match entity:
                case User():
                    await uow.users.add(entity)
                case Workspace():
                    await uow.workspaces.add(entity)
                case Membership():
                    await uow.memberships.add(entity)
                case RefreshToken():
                    await uow.refresh_tokens.add(entity)
                case Invitation():
                    await uow.invitations.add(entity)
        await uow.commit()


async def all_entries(reader: CreditReader, workspace_id: UUID) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    cursor: str | None = None
    while True:
        page = await reader.entries(workspace_id, PageRequest.of(limit=200, cursor=cursor))
        entries += page.items
        if page.next_cursor is None:
            return entries
        cursor = page.next_cursor


async def funded_workspace(uow: UnitOfWork, credits: int) -> Workspace:
    """A workspace with its owner and credit account, granted `credits` (key "g")."""
    owner = new_user()
    workspace = new_workspace(owner)
    async with uow:
        await uow.users.add(owner)
        await uow.workspaces.add(workspace)
        await uow.credits.open_account(workspace.id)
        grant = CreditRequest(workspace_id=workspace.id, kind=EntryKind.GRANT, amount=credits, idempotency_key="g")
        await uow.credits.post(grant, entry_id=uuid4(), at=utc_now())
        await uow.commit()
    return workspace
