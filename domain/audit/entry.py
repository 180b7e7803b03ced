"""The audit log: who did what to which object of a workspace, and when.

Generic on purpose: any module records entries for its own target type.
Details are non-secret facts (names, which fields changed), never values of
secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

AuditDetails = dict[str, str | list[str]]

CREDENTIAL_CREATED = "credential.created"
CREDENTIAL_UPDATED = "credential.updated"
CREDENTIAL_DELETED = "credential.deleted"
CREDENTIAL_TESTED = "credential.tested"


@dataclass(slots=True, kw_only=True, frozen=True)
class AuditEntry:
    id: UUID
    workspace_id: UUID
    # None for changes made by the system rather than a person.
    actor_id: UUID | None
    action: str
    target_type: str
    target_id: UUID
    details: AuditDetails = field(default_factory=dict)
    created_at: datetime
