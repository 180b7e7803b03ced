"""Provider credentials: API keys a workspace stores, sealed, for its enrichment providers.

The plaintext never lives in an entity: a credential holds the sealed secret
and the last four characters, for the mask, when the secret is long enough to
spare them. Error messages name the field, never its value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.audit.entry import AuditDetails, AuditEntry
from domain.identity.users import clean_name
from domain.kernel.errors import ErrorDetail, ValidationFailed

MAX_LABEL_LENGTH = 100
MAX_SECRET_LENGTH = 4096
MASK = "\u2022" * 8
# A secret must be longer than what the mask shows of it.
VISIBLE_TAIL = 4
AUDIT_TARGET = "credential"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_label(raw: str) -> str:
    return clean_name(raw, field="label", max_length=MAX_LABEL_LENGTH)


def check_secret(secret: str) -> str:
    """1 to 4096 characters, not blank, no control characters; returned unchanged."""
    if _CONTROL.search(secret):
        raise ValidationFailed(
            "secret must not contain control characters",
            details=(ErrorDetail(field="secret", message="control character"),),
        )
    if not secret.strip() or len(secret) > MAX_SECRET_LENGTH:
        raise ValidationFailed(
            f"secret must be 1 to {MAX_SECRET_LENGTH} characters",
            details=(ErrorDetail(field="secret", message="bad length"),),
        )
    return secret


def tail_of(secret: str) -> str:
    """What the mask may show: the last 4 characters, or nothing for secrets of 4 or fewer."""
    return secret[-VISIBLE_TAIL:] if len(secret) > VISIBLE_TAIL else ""


def secret_context(workspace_id: UUID, credential_id: UUID) -> bytes:
    """Associated data binding a sealed secret to its row: moved elsewhere, it no longer opens."""
    return b"cascade.credential:" + workspace_id.bytes + credential_id.bytes


@dataclass(slots=True, kw_only=True, frozen=True)
class SealedSecret:
    """Authenticated ciphertext, its nonce, and the name of the key that sealed it."""

    ciphertext: bytes
    nonce: bytes
    key_version: str


@dataclass(slots=True, kw_only=True)
class Credential:
    id: UUID
    workspace_id: UUID
    provider: str
    label: str
    sealed: SealedSecret
    last4: str
    created_by: UUID
    created_at: datetime
    updated_at: datetime

    @property
    def context(self) -> bytes:
        return secret_context(self.workspace_id, self.id)

    @property
    def masked_secret(self) -> str:
        return MASK + self.last4

    def audit_entry(
        self, *, entry_id: UUID, actor_id: UUID, action: str, at: datetime, changed: tuple[str, ...] = ()
    ) -> AuditEntry:
        """The audit record of a change to this credential: names and changed fields, never the secret."""
        details: AuditDetails = {"provider": self.provider, "label": self.label}
        if changed:
            details["changed"] = list(changed)
        return AuditEntry(
            id=entry_id,
            workspace_id=self.workspace_id,
            actor_id=actor_id,
            action=action,
            target_type=AUDIT_TARGET,
            target_id=self.id,
            details=details,
            created_at=at,
        )
