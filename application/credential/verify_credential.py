from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.access import authorize
from domain.audit.entry import CREDENTIAL_TESTED
from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from ports.credentials import CredentialReader
from ports.enrichment import ProviderDirectory
from ports.secret_box import SecretBox
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork
from ports.workspaces import WorkspaceReader

# A well-known company every provider knows: the check asks about it and only
# looks at whether the key was accepted.
PROBE = ProviderQuery(kind=EntityKind.COMPANY, inputs={"domain": "hubspot.com"})
ACCEPTED = {
    Outcome.HIT,
    Outcome.MISS,
    Outcome.PENDING,
    Outcome.RATE_LIMITED,
    Outcome.QUOTA_EXHAUSTED,
    Outcome.BAD_REQUEST,
}


@dataclass(slots=True, kw_only=True, frozen=True)
class VerifyCredentialCommand:
    actor_id: UUID
    workspace_id: UUID
    credential_id: UUID


@dataclass(slots=True, kw_only=True, frozen=True)
class CredentialCheck:
    valid: bool | None  # None: the provider could not be reached to say
    outcome: str
    detail: str
    checked_at: datetime


class VerifyCredential:
    """Ask the provider whether a stored key works.

    Rules: admin or owner; another workspace's credential is `NotFound`; one
    call to the provider with a fixed company lookup (no Cascade credits; the
    provider may count it); the key is decrypted only for that call; the
    check is audited as `credential.tested` with its outcome, never the key.
    """

    __test__ = False  # a use case, not a pytest test class

    def __init__(
        self,
        workspaces: WorkspaceReader,
        credentials: CredentialReader,
        box: SecretBox,
        directory: ProviderDirectory,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
    ) -> None:
        self._workspaces, self._credentials, self._box = workspaces, credentials, box
        self._directory, self._uow, self._clock, self._ids = directory, uow, clock, ids

    async def __call__(self, cmd: VerifyCredentialCommand) -> CredentialCheck:
        await authorize(self._workspaces, cmd.workspace_id, cmd.actor_id, Action.CREDENTIALS_MANAGE)
        credential = await self._credentials.get(cmd.workspace_id, cmd.credential_id)
        if credential is None:
            raise NotFound("credential not found")
        provider = self._directory.provider(credential.provider)
        if provider is None:
            check = CredentialCheck(
                valid=None,
                outcome="unsupported",
                detail="this provider cannot be tested yet",
                checked_at=self._clock.now(),
            )
        else:
            result = await provider.lookup(PROBE, self._box.open(credential.sealed, context=credential.context))
            valid = None if result.outcome is Outcome.TRANSIENT else result.outcome in ACCEPTED
            check = CredentialCheck(
                valid=valid, outcome=result.outcome.value, detail=result.detail, checked_at=self._clock.now()
            )
        entry = credential.audit_entry(
            entry_id=self._ids.new_id(), actor_id=cmd.actor_id, action=CREDENTIAL_TESTED, at=check.checked_at
        )
        entry.details["outcome"] = check.outcome
        async with self._uow as uow:
            await uow.audit.add(entry)
            await uow.commit()
        return check
