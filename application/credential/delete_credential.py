from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from domain.audit.entry import CREDENTIAL_DELETED
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class DeleteCredentialCommand:
    actor_id: UUID
    workspace_id: UUID
    credential_id: UUID


class DeleteCredential:
    """Delete a credential. Rules: admin or owner; another workspace's credential
    is `NotFound`; an audit entry (provider and label) is written in the same transaction."""

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def __call__(self, cmd: DeleteCredentialCommand) -> None:
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.CREDENTIALS_MANAGE)
            credential = await uow.credentials.get_for_update(cmd.workspace_id, cmd.credential_id)
            if credential is None:
                raise NotFound("credential not found")
            await uow.credentials.delete(cmd.workspace_id, cmd.credential_id)
            await uow.audit.add(
                credential.audit_entry(
                    entry_id=self._ids.new_id(), actor_id=cmd.actor_id, action=CREDENTIAL_DELETED, at=self._clock.now()
                )
            )
            await uow.commit()
