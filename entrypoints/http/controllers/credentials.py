from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, delete, get, patch, post
from litestar.datastructures import CacheControlHeader

from application.credential.create_credential import CreateCredential, CreateCredentialCommand
from application.credential.delete_credential import DeleteCredential, DeleteCredentialCommand
from application.credential.get_credential import GetCredential, GetCredentialQuery
from application.credential.list_credentials import ListCredentials, ListCredentialsQuery
from application.credential.update_credential import UpdateCredential, UpdateCredentialCommand
from application.credential.verify_credential import VerifyCredential, VerifyCredentialCommand
from domain.credentials.credential import Credential
from domain.kernel.pagination import PageRequest
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.workspaces import CursorParam, Limit
from entrypoints.http.envelope import Envelope, PageEnvelope, ok, ok_page
from entrypoints.http.injection import inject


class CredentialRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    provider: str
    label: str
    secret: str


class CredentialPatch(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    label: str | None = None
    secret: str | None = None


class CredentialOut(msgspec.Struct, rename="camel"):
    id: UUID
    provider: str
    label: str
    masked_secret: str
    created_at: datetime
    updated_at: datetime


def credential_out(credential: Credential) -> CredentialOut:
    return CredentialOut(
        id=credential.id,
        provider=credential.provider,
        label=credential.label,
        masked_secret=credential.masked_secret,
        created_at=credential.created_at,
        updated_at=credential.updated_at,
    )


class CredentialCheckOut(msgspec.Struct, rename="camel"):
    valid: bool | None
    outcome: str
    detail: str
    checked_at: datetime


class CredentialController(Controller):
    path = "/workspaces/{workspace_id:uuid}/credentials"
    tags = ["credentials"]
    dependencies = AUTHENTICATED
    security = BEARER
    cache_control = CacheControlHeader(no_store=True)

    @post("/", status_code=201, summary="Store a provider API key (admin+); only its last 4 characters come back")
    @inject
    async def create(
        self, principal: Principal, workspace_id: UUID, data: CredentialRequest, uc: FromDishka[CreateCredential]
    ) -> Envelope[CredentialOut]:
        cmd = CreateCredentialCommand(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            provider=data.provider,
            label=data.label,
            secret=data.secret,
        )
        return ok(credential_out(await uc(cmd)))

    @get("/", summary="Credentials, newest first, masked (admin+)")
    @inject
    async def list_all(
        self,
        principal: Principal,
        workspace_id: UUID,
        uc: FromDishka[ListCredentials],
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[CredentialOut]:
        query = ListCredentialsQuery(
            actor_id=principal.user_id, workspace_id=workspace_id, page=PageRequest.of(limit=limit, cursor=cursor)
        )
        page = await uc(query)
        return ok_page(page, [credential_out(c) for c in page.items])

    @get("/{credential_id:uuid}", summary="One credential, masked (admin+)")
    @inject
    async def get_one(
        self, principal: Principal, workspace_id: UUID, credential_id: UUID, uc: FromDishka[GetCredential]
    ) -> Envelope[CredentialOut]:
        query = GetCredentialQuery(actor_id=principal.user_id, workspace_id=workspace_id, credential_id=credential_id)
        return ok(credential_out(await uc(query)))

    @patch("/{credential_id:uuid}", summary="Change the label, replace the secret, or both (admin+)")
    @inject
    async def update(
        self,
        principal: Principal,
        workspace_id: UUID,
        credential_id: UUID,
        data: CredentialPatch,
        uc: FromDishka[UpdateCredential],
    ) -> Envelope[CredentialOut]:
        cmd = UpdateCredentialCommand(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            credential_id=credential_id,
            label=data.label,
            secret=data.secret,
        )
        return ok(credential_out(await uc(cmd)))

    @delete("/{credential_id:uuid}", status_code=204, summary="Delete a credential (admin+)")
    @inject
    async def remove(
        self, principal: Principal, workspace_id: UUID, credential_id: UUID, uc: FromDishka[DeleteCredential]
    ) -> None:
        cmd = DeleteCredentialCommand(
            actor_id=principal.user_id, workspace_id=workspace_id, credential_id=credential_id
        )
        await uc(cmd)

    @post("/{credential_id:uuid}/test", status_code=200, summary="Ask the provider whether the key works (admin+)")
    @inject
    async def test(
        self, principal: Principal, workspace_id: UUID, credential_id: UUID, uc: FromDishka[VerifyCredential]
    ) -> Envelope[CredentialCheckOut]:
        check = await uc(
            VerifyCredentialCommand(actor_id=principal.user_id, workspace_id=workspace_id, credential_id=credential_id)
        )
        return ok(
            CredentialCheckOut(
                valid=check.valid, outcome=check.outcome, detail=check.detail, checked_at=check.checked_at
            )
        )
