from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.access import authorize_in
from domain.audit.entry import CREDENTIAL_UPDATED
from domain.credentials.credential import Credential, check_secret, clean_label, tail_of
from domain.kernel.errors import ErrorDetail, NotFound, ValidationFailed
from domain.kernel.permissions import Action
from ports.secret_box import SecretBox
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class UpdateCredentialCommand:
    actor_id: UUID
    workspace_id: UUID
    credential_id: UUID
    label: str | None = None
    secret: str | None = field(default=None, repr=False)


class UpdateCredential:
    """Rename a credential, replace its secret, or both.

    Rules: admin or owner; at least one of label and secret; the same limits
    as on creation; a new secret is sealed under the active key with a fresh
    nonce; another workspace's credential is `NotFound`; a change writes an
    audit entry naming the changed fields (never the secret) in the same
    transaction, and a request that changes nothing writes nothing.
    """

    def __init__(self, uow: UnitOfWork, box: SecretBox, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._box = box
        self._clock = clock
        self._ids = ids

    async def __call__(self, cmd: UpdateCredentialCommand) -> Credential:
        if cmd.label is None and cmd.secret is None:
            raise ValidationFailed(
                "give a new label, a new secret or both",
                details=(ErrorDetail(field="label", message="nothing to change"),),
            )
        label = clean_label(cmd.label) if cmd.label is not None else None
        secret = check_secret(cmd.secret) if cmd.secret is not None else None
        now = self._clock.now()
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.CREDENTIALS_MANAGE)
            credential = await uow.credentials.get_for_update(cmd.workspace_id, cmd.credential_id)
            if credential is None:
                raise NotFound("credential not found")
            changed: list[str] = []
            if label is not None and label != credential.label:
                credential.label = label
                changed.append("label")
            if secret is not None:
                credential.sealed = self._box.seal(secret, context=credential.context)
                credential.last4 = tail_of(secret)
                changed.append("secret")
            if not changed:
                return credential
            credential.updated_at = now
            await uow.credentials.save(credential)
            entry = credential.audit_entry(
                entry_id=self._ids.new_id(),
                actor_id=cmd.actor_id,
                action=CREDENTIAL_UPDATED,
                at=now,
                changed=tuple(changed),
            )
            await uow.audit.add(entry)
            await uow.commit()
        return credential
