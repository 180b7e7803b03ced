from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from adapters.memory.store import Tables
from domain.identity.sessions import RefreshToken
from domain.identity.users import User
from domain.kernel.errors import Conflict
from domain.kernel.permissions import Role
from domain.team.invitations import Invitation
from domain.workspaces.workspace import Membership, Workspace


def conflict(tables: Tables, message: str) -> Conflict:
    """A constraint violation, which also aborts the transaction as it does in PostgreSQL."""
    tables.aborted = True
    return Conflict(message)


class MemoryUserRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, user: User) -> None:
        if user.id in self._t.users or any(u.email == user.email for u in self._t.users.values()):
            raise conflict(self._t, "email already registered")
        self._t.users[user.id] = replace(user)

    async def get(self, user_id: UUID) -> User | None:
        user = self._t.users.get(user_id)
        return replace(user) if user else None

    async def get_by_email(self, email: str) -> User | None:
        return next((replace(u) for u in self._t.users.values() if u.email == email), None)

    async def set_platform_admin(self, user_id: UUID, value: bool) -> None:
        if user := self._t.users.get(user_id):
            self._t.users[user_id] = replace(user, is_platform_admin=value)


class MemoryWorkspaceRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, workspace: Workspace) -> None:
        if workspace.id in self._t.workspaces:
            raise conflict(self._t, "workspace already exists")
        self._t.workspaces[workspace.id] = replace(workspace)

    async def get(self, workspace_id: UUID) -> Workspace | None:
        workspace = self._t.workspaces.get(workspace_id)
        return replace(workspace) if workspace else None

    async def lock(self, workspace_id: UUID) -> Workspace | None:
        return await self.get(workspace_id)

    async def rename(self, workspace_id: UUID, name: str) -> None:
        if workspace := self._t.workspaces.get(workspace_id):
            self._t.workspaces[workspace_id] = replace(workspace, name=name)

    async def delete(self, workspace_id: UUID) -> None:
        self._t.workspaces.pop(workspace_id, None)
        for key in [k for k in self._t.memberships if k[0] == workspace_id]:
            del self._t.memberships[key]
        for invitation_id in [k for k, i in self._t.invitations.items() if i.workspace_id == workspace_id]:
            del self._t.invitations[invitation_id]
        self._t.credit_accounts.pop(workspace_id, None)
        for entry_id in [k for k, e in self._t.ledger.items() if e.workspace_id == workspace_id]:
            del self._t.ledger[entry_id]
        for ledger_key in [k for k in self._t.ledger_keys if k[0] == workspace_id]:
            del self._t.ledger_keys[ledger_key]
        for reservation_id in [k for k, r in self._t.reservations.items() if r.workspace_id == workspace_id]:
            del self._t.reservations[reservation_id]
        for credential_id in [k for k, c in self._t.credentials.items() if c.workspace_id == workspace_id]:
            del self._t.credentials[credential_id]
        for audit_id in [k for k, e in self._t.audit_log.items() if e.workspace_id == workspace_id]:
            del self._t.audit_log[audit_id]
        for record_id in [k for k, r in self._t.records.items() if r.workspace_id == workspace_id]:
            del self._t.records[record_id]
        for attempt_id in [k for k, a in self._t.attempts.items() if a.workspace_id == workspace_id]:
            del self._t.attempts[attempt_id]
        for job_id in [k for k, j in self._t.jobs.items() if j.workspace_id == workspace_id]:
            del self._t.jobs[job_id]
        for item_key in [k for k, i in self._t.job_items.items() if i.workspace_id == workspace_id]:
            del self._t.job_items[item_key]
        for webhook_id in [k for k, w in self._t.webhooks.items() if w.workspace_id == workspace_id]:
            del self._t.webhooks[webhook_id]
        for delivery_id in [k for k, d in self._t.deliveries.items() if d.workspace_id == workspace_id]:
            del self._t.deliveries[delivery_id]
            self._t.delivery_attempts.pop(delivery_id, None)


class MemoryMembershipRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, membership: Membership) -> None:
        key = (membership.workspace_id, membership.user_id)
        if key in self._t.memberships:
            raise conflict(self._t, "already a member")
        self._t.memberships[key] = replace(membership)

    async def get(self, workspace_id: UUID, user_id: UUID) -> Membership | None:
        membership = self._t.memberships.get((workspace_id, user_id))
        return replace(membership) if membership else None

    async def get_for_share(self, workspace_id: UUID, user_id: UUID) -> Membership | None:
        return await self.get(workspace_id, user_id)

    async def count_owners(self, workspace_id: UUID) -> int:
        return sum(1 for (ws, _), m in self._t.memberships.items() if ws == workspace_id and m.role is Role.OWNER)

    async def member_ids(self, workspace_id: UUID) -> list[UUID]:
        members = [m for (ws, _), m in self._t.memberships.items() if ws == workspace_id]
        return [m.user_id for m in sorted(members, key=lambda m: (m.created_at, m.user_id))]

    async def update(self, membership: Membership) -> None:
        key = (membership.workspace_id, membership.user_id)
        if key in self._t.memberships:
            self._t.memberships[key] = replace(membership)

    async def remove(self, workspace_id: UUID, user_id: UUID) -> None:
        self._t.memberships.pop((workspace_id, user_id), None)


class MemoryRefreshTokenRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, token: RefreshToken) -> None:
        taken = token.id in self._t.refresh_tokens
        if taken or any(t.token_hash == token.token_hash for t in self._t.refresh_tokens.values()):
            raise conflict(self._t, "refresh token already exists")
        self._t.refresh_tokens[token.id] = replace(token)

    async def get_by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        return next((replace(t) for t in self._t.refresh_tokens.values() if t.token_hash == token_hash), None)

    async def mark_used(self, token_id: UUID, at: datetime) -> None:
        if token := self._t.refresh_tokens.get(token_id):
            self._t.refresh_tokens[token_id] = replace(token, used_at=at)

    async def revoke_family(self, family_id: UUID, at: datetime) -> int:
        revoked = 0
        for key, token in list(self._t.refresh_tokens.items()):
            if token.family_id == family_id and token.revoked_at is None:
                self._t.refresh_tokens[key] = replace(token, revoked_at=at)
                revoked += 1
        return revoked


class MemoryInvitationRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, invitation: Invitation) -> None:
        if await self.get_open_for_email(invitation.workspace_id, invitation.email):
            raise conflict(self._t, "an invitation for that email is already pending")
        taken = invitation.id in self._t.invitations
        if taken or any(i.token_hash == invitation.token_hash for i in self._t.invitations.values()):
            raise conflict(self._t, "invitation already exists")
        self._t.invitations[invitation.id] = replace(invitation)

    async def get(self, workspace_id: UUID, invitation_id: UUID) -> Invitation | None:
        invitation = self._t.invitations.get(invitation_id)
        return replace(invitation) if invitation and invitation.workspace_id == workspace_id else None

    async def get_by_token_hash_for_update(self, token_hash: str) -> Invitation | None:
        return next((replace(i) for i in self._t.invitations.values() if i.token_hash == token_hash), None)

    async def get_open_for_email(self, workspace_id: UUID, email: str) -> Invitation | None:
        return next(
            (
                replace(i)
                for i in self._t.invitations.values()
                if i.workspace_id == workspace_id and i.email == email and i.is_open
            ),
            None,
        )

    async def save(self, invitation: Invitation) -> None:
        if invitation.id in self._t.invitations:
            self._t.invitations[invitation.id] = replace(invitation)
