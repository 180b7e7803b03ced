from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, get, post
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import Parameter

from application.enrichment.enrich_record import EnrichRecord, EnrichRecordCommand
from domain.credits.ledger import MAX_IDEMPOTENCY_KEY_LENGTH
from domain.enrichment.provider_registry import DEFAULT_ORDER, provider_order
from domain.enrichment.schema import COMPANY_FIELDS, PERSON_FIELDS, EntityKind
from domain.enrichment.waterfall import Attempt
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.record_schemas import Inputs, KindName, RecordOut, record_out
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.errors import SPENDS_CREDITS
from entrypoints.http.injection import inject
from ports.enrichment import CircuitBreaker, ProviderDirectory

# Names are checked against the record's kind and the registry by the use case, which says what is wrong;
# the OpenAPI document lists the names (Litestar drops constraints on list items, so they are given whole).
FieldName = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
ProviderName = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
FIELD_NAMES = sorted(set(PERSON_FIELDS) | set(COMPANY_FIELDS))


def names_schema(names: Iterable[str], what: str) -> dict[str, Any]:
    """`extra_json_schema` of a list of names: its items, documented as one of `names`."""
    items = Schema(type=OpenAPIType.STRING, enum=sorted(names), description=what)
    return {"extra": {"items": items}}


FIELDS_DOC = names_schema(FIELD_NAMES, "a field the record's kind has")
PROVIDERS_DOC = names_schema(DEFAULT_ORDER, "a provider, each once")


class EnrichRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    fields: Annotated[
        list[FieldName],
        msgspec.Meta(min_length=1, max_length=len(PERSON_FIELDS) + len(COMPANY_FIELDS), extra_json_schema=FIELDS_DOC),
    ]
    record_id: UUID | None = None
    kind: KindName | None = None
    inputs: Inputs | None = None
    providers: (
        Annotated[list[ProviderName], msgspec.Meta(max_length=len(DEFAULT_ORDER), extra_json_schema=PROVIDERS_DOC)]
        | None
    ) = None
    # Litestar documents no `minimum` for a bound of 0 in a union: it is given whole.
    max_credits: Annotated[int, msgspec.Meta(ge=0, le=1000, extra_json_schema={"extra": {"minimum": 0}})] | None = None


class AttemptOut(msgspec.Struct, rename="camel"):
    provider: str
    outcome: str
    latency_ms: float
    credits: int
    cached: bool
    fields: list[str]
    detail: str


class EnrichmentOut(msgspec.Struct, rename="camel"):
    record: RecordOut
    attempts: list[AttemptOut]
    credits_charged: int


class CircuitOut(msgspec.Struct, rename="camel"):
    state: str
    calls: int
    failure_rate: float
    seconds_until_probe: float | None


class ProviderOut(msgspec.Struct, rename="camel"):
    name: str
    kinds: list[str]
    fields: dict[str, list[str]]
    credit_cost: int
    miss_billable: bool
    requests_per_minute: int
    timeout_seconds: float
    circuit: CircuitOut


def attempt_out(attempt: Attempt) -> AttemptOut:
    return AttemptOut(
        provider=attempt.provider,
        outcome=attempt.outcome,
        latency_ms=attempt.latency_ms,
        credits=attempt.credits,
        cached=attempt.cached,
        fields=list(attempt.fields),
        detail=attempt.detail,
    )


class ProviderController(Controller):
    path = "/providers"
    tags = ["enrichment"]
    dependencies = AUTHENTICATED
    security = BEARER

    @get("/", summary="The providers, cheapest first, with what they supply, cost and their live circuit state")
    @inject
    async def providers(
        self, principal: Principal, breaker: FromDishka[CircuitBreaker], directory: FromDishka[ProviderDirectory]
    ) -> Envelope[list[ProviderOut]]:
        listed = []
        available = directory.names()  # the scraper only where its service is set up
        for spec in provider_order(None, available):
            view = await breaker.snapshot(spec.name)
            listed.append(
                ProviderOut(
                    name=spec.name,
                    kinds=sorted(kind.value for kind in spec.kinds),
                    fields={kind.value: sorted(names) for kind, names in spec.supplies.items()},
                    credit_cost=spec.credit_cost,
                    miss_billable=spec.miss_billable,
                    requests_per_minute=spec.requests_per_minute,
                    timeout_seconds=spec.timeout_seconds,
                    circuit=CircuitOut(
                        state=view.circuit.value,
                        calls=view.calls,
                        failure_rate=view.failure_rate,
                        seconds_until_probe=view.seconds_until_probe,
                    ),
                )
            )
        return ok(listed)


class EnrichmentController(Controller):
    path = "/workspaces/{workspace_id:uuid}/enrichment"
    tags = ["enrichment"]
    dependencies = AUTHENTICATED
    security = BEARER

    @post(
        "/enrich",
        status_code=200,
        summary="Enrich one record now through the waterfall (member+)",
        responses=SPENDS_CREDITS,
    )
    @inject
    async def enrich(
        self,
        principal: Principal,
        workspace_id: UUID,
        data: EnrichRequest,
        uc: FromDishka[EnrichRecord],
        idempotency_key: Annotated[
            str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=MAX_IDEMPOTENCY_KEY_LENGTH - 64)
        ] = None,
    ) -> Envelope[EnrichmentOut]:
        cmd = EnrichRecordCommand(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            fields=tuple(data.fields),
            record_id=data.record_id,
            kind=EntityKind(data.kind) if data.kind else None,
            inputs=msgspec.to_builtins(data.inputs) if data.inputs else {},
            providers=list(data.providers) if data.providers else None,
            max_credits=data.max_credits,
            idempotency_key=idempotency_key,
        )
        record, attempts = await uc(cmd)
        return ok(
            EnrichmentOut(
                record=record_out(record),
                attempts=[attempt_out(a) for a in attempts],
                credits_charged=sum(a.credits for a in attempts),
            )
        )
