from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, get, post
from litestar.exceptions import ValidationException
from litestar.params import Parameter

from application.credit.get_credit_balance import GetCreditBalance, GetCreditBalanceQuery
from application.credit.grant_credits import KEY_PREFIX, GrantCredits, GrantCreditsCommand
from application.credit.list_credit_transactions import ListCreditTransactions, ListCreditTransactionsQuery
from domain.credits.ledger import MAX_AMOUNT, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_REASON_LENGTH, EntryKind, LedgerEntry
from domain.kernel.pagination import PageRequest
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.workspaces import CursorParam, Limit
from entrypoints.http.envelope import Envelope, PageEnvelope, ok, ok_page
from entrypoints.http.injection import inject

KindName = Literal["grant", "purchase", "reserve", "release", "charge", "refund", "expire"]
# Optional in the signature so that a missing token is a 401 before a missing key is a 422.
IdempotencyKey = Annotated[
    str | None,
    Parameter(
        header="Idempotency-Key",
        required=True,
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH - len(KEY_PREFIX),
        description="required; a replay returns the first answer, other content under the same key is a 409",
    ),
]


class GrantRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=1, le=MAX_AMOUNT)]
    reason: Annotated[str, msgspec.Meta(max_length=MAX_REASON_LENGTH)] = ""


class BalanceOut(msgspec.Struct, rename="camel"):
    balance: int
    reserved: int
    available: int


class EntryOut(msgspec.Struct, rename="camel"):
    id: UUID
    kind: str
    amount: int
    balance_after: int
    reserved_after: int
    reason: str
    reservation_id: UUID | None
    reference_id: UUID | None
    created_at: datetime


def entry_out(entry: LedgerEntry) -> EntryOut:
    return EntryOut(
        id=entry.id,
        kind=entry.kind.value,
        amount=entry.amount,
        balance_after=entry.balance_after,
        reserved_after=entry.reserved_after,
        reason=entry.reason,
        reservation_id=entry.reservation_id,
        reference_id=entry.reference_id,
        created_at=entry.created_at,
    )


class CreditController(Controller):
    path = "/workspaces/{workspace_id:uuid}/credits"
    tags = ["credits"]
    dependencies = AUTHENTICATED
    security = BEARER

    @get("/", summary="Balance, reserved and available credits")
    @inject
    async def balance(
        self, principal: Principal, workspace_id: UUID, uc: FromDishka[GetCreditBalance]
    ) -> Envelope[BalanceOut]:
        account = await uc(GetCreditBalanceQuery(actor_id=principal.user_id, workspace_id=workspace_id))
        return ok(BalanceOut(balance=account.balance, reserved=account.reserved, available=account.available))

    @get("/transactions", summary="The credit ledger, newest first")
    @inject
    async def transactions(
        self,
        principal: Principal,
        workspace_id: UUID,
        uc: FromDishka[ListCreditTransactions],
        kind: KindName | None = None,
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[EntryOut]:
        query = ListCreditTransactionsQuery(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            page=PageRequest.of(limit=limit, cursor=cursor),
            kind=EntryKind(kind) if kind else None,
        )
        page = await uc(query)
        return ok_page(page, [entry_out(e) for e in page.items])

    @post("/grants", status_code=201, summary="Grant credits (owner); needs an Idempotency-Key")
    @inject
    async def grant(
        self,
        principal: Principal,
        workspace_id: UUID,
        data: GrantRequest,
        uc: FromDishka[GrantCredits],
        idempotency_key: IdempotencyKey = None,
    ) -> Envelope[EntryOut]:
        if idempotency_key is None:
            raise ValidationException("the Idempotency-Key header is required")
        cmd = GrantCreditsCommand(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            amount=data.amount,
            reason=data.reason,
            idempotency_key=idempotency_key,
        )
        return ok(entry_out(await uc(cmd)))
