from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.access import authorize_in
from domain.audit.entry import CREDENTIAL_CREATED
from domain.credentials.credential import Credential, check_secret, clean_label, secret_context, tail_of
from domain.credentials.providers import check_provider
from domain.kernel.permissions import Action
from ports.secret_box import SecretBox
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class CreateCredentialCommand:
    actor_id: UUID
    workspace_id: UUID
    provider: str
    label: str
    secret: str = field(repr=False)


class CreateCredential:
    """Store a provider's API key for the workspace.

    Rules: admin or owner; the provider is a known one; the label is 1-100
    characters and the secret 1-4096, neither with control characters; the
    secret is sealed under the active key, bound to this workspace and
    credential, and only its last 4 characters are kept in clear (none for
    secrets of 4 or fewer); an audit entry without the secret is written in
    the same transaction.
    """

    def __init__(self, uow: UnitOfWork, box: SecretBox, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._box = box
        self._clock = clock
        self._ids = ids

    async def __call__(self, cmd: CreateCredentialCommand) -> Credential:
        provider = check_provider(cmd.provider)
        label = clean_label(cmd.label)
        secret = check_secret(cmd.secret)
        now = self._clock.now()
        credential_id = self._ids.new_id()
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.CREDENTIALS_MANAGE)
            credential = Credential(
                id=credential_id,
                workspace_id=cmd.workspace_id,
                provider=provider,
                label=label,
                sealed=self._box.seal(secret, context=secret_context(cmd.workspace_id, credential_id)),
                last4=tail_of(secret),
                created_by=cmd.actor_id,
                created_at=now,
                updated_at=now,
            )
            await uow.credentials.add(credential)
            await uow.audit.add(
                credential.audit_entry(
                    entry_id=self._ids.new_id(), actor_id=cmd.actor_id, action=CREDENTIAL_CREATED, at=now
                )
            )
            await uow.commit()
        return credential
