"""Request and response bodies of the record routes (camelCase; unknown fields are a 422)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar.params import Parameter

from domain.enrichment.schema import FieldData
from domain.records.inputs import MAX_INPUT_LENGTH
from domain.records.record import Record

KindName = Literal["person", "company"]
StatusName = Literal["new", "enriching", "enriched", "partial", "not_found", "failed"]
DomainParam = Annotated[
    str | None, Parameter(max_length=MAX_INPUT_LENGTH, description="company domain, e.g. acme.com or a URL")
]
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class Inputs(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """The encoded names are INPUT_FIELDS; an input left out is not sent on."""

    email: str | Unset = UNSET
    first_name: str | Unset = UNSET
    last_name: str | Unset = UNSET
    full_name: str | Unset = UNSET
    domain: str | Unset = UNSET
    company_name: str | Unset = UNSET
    linkedin_url: str | Unset = UNSET


class InputChanges(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A value replaces the input, null removes it, an input left out is kept."""

    email: str | Unset | None = UNSET
    first_name: str | Unset | None = UNSET
    last_name: str | Unset | None = UNSET
    full_name: str | Unset | None = UNSET
    domain: str | Unset | None = UNSET
    company_name: str | Unset | None = UNSET
    linkedin_url: str | Unset | None = UNSET


class RecordRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    kind: KindName
    inputs: Inputs


class RecordPatch(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    inputs: InputChanges


class ProvenanceOut(msgspec.Struct, rename="camel"):
    provider: str
    fetched_at: datetime
    confidence: float


class RecordOut(msgspec.Struct, rename="camel"):
    id: UUID
    kind: str
    inputs: dict[str, str]
    fields: dict[str, FieldData]
    provenance: dict[str, ProvenanceOut]
    status: str
    created_at: datetime
    updated_at: datetime


def record_out(record: Record) -> RecordOut:
    return RecordOut(
        id=record.id,
        kind=record.kind.value,
        inputs=record.inputs,
        fields=record.fields,
        provenance={
            name: ProvenanceOut(provider=p.provider, fetched_at=p.fetched_at, confidence=p.confidence)
            for name, p in record.provenance.items()
        },
        status=record.status.value,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
