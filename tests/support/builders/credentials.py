"""Credentials and audit entries with realistic values, for contract tests.

The sealed secret is random bytes: repositories store it, they never open it.
"""

from __future__ import annotations

import os
from datetime import datetime
from uuid import uuid4

from domain.audit.entry import CREDENTIAL_CREATED, AuditDetails, AuditEntry
from domain.credentials.credential import Credential, SealedSecret
from domain.identity.users import User
from domain.workspaces.workspace import Workspace
from tests.conftest import Backend
from tests.support.builders.accounts import utc_now


def sealed(key_version: str = "v1") -> SealedSecret:
    return SealedSecret(ciphertext=os.urandom(40), nonce=os.urandom(12), key_version=key_version)


def new_credential(
    workspace: Workspace,
    creator: User,
    *,
    provider: str = "apollo",
    label: str = "Main key",
    key_version: str = "v1",
    created_at: datetime | None = None,
) -> Credential:
    created = created_at or utc_now()
    return Credential(
        id=uuid4(),
        workspace_id=workspace.id,
        provider=provider,
        label=label,
        sealed=sealed(key_version),
        last4="a1b2",
        created_by=creator.id,
        created_at=created,
        updated_at=created,
    )


def new_audit_entry(
    workspace: Workspace,
    actor: User | None,
    *,
    action: str = CREDENTIAL_CREATED,
    details: AuditDetails | None = None,
    created_at: datetime | None = None,
) -> AuditEntry:
    return AuditEntry(
        id=uuid4(),
        workspace_id=workspace.id,
        actor_id=actor.id if actor else None,
        action=action,
        target_type="credential",
        target_id=uuid4(),
        details={"provider": "apollo", "label": "Main key"} if details is None else details,
        created_at=created_at or utc_now(),
    )


async def store(backend: Backend, *rows: Credential | AuditEntry) -> None:
    """Add credentials and audit entries in one committed unit of work (their parents must exist)."""
    async with backend.uow() as uow:
        for row in rows:
            if isinstance(row, Credential):
                await uow.credentials.add(row)
            else:
                await uow.audit.add(row)
        await uow.commit()
