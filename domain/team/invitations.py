"""Invitations: a single-use, expiring token sent to one email address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID

from domain.kernel.errors import Conflict, Forbidden
from domain.kernel.permissions import Role

INVITATION_TTL = timedelta(days=7)


class InvitationStatus(Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(slots=True, kw_only=True)
class Invitation:
    id: UUID
    workspace_id: UUID
    email: str
    role: Role
    token_hash: str
    invited_by: UUID
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    accepted_by: UUID | None = None
    revoked_at: datetime | None = None

    def status(self, now: datetime) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_open(self) -> bool:
        """Open invitations hold the one-per-email slot of their workspace."""
        return self.accepted_at is None and self.revoked_at is None

    def accept(self, *, user_id: UUID, email: str, now: datetime) -> None:
        status = self.status(now)
        if status is not InvitationStatus.PENDING:
            raise Conflict(f"invitation is {status.value}")
        if email != self.email:
            raise Forbidden("invitation was sent to another email address")
        self.accepted_at = now
        self.accepted_by = user_id

    def revoke(self, now: datetime) -> None:
        if self.status(now) is InvitationStatus.ACCEPTED:
            raise Conflict("invitation was already accepted")
        if self.revoked_at is None:
            self.revoked_at = now
