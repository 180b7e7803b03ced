"""Records: the workspace's people and companies, with enriched fields and their provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from uuid import UUID

from domain.enrichment.schema import EntityKind, FieldData


class RecordStatus(Enum):
    NEW = "new"  # stored, never enriched
    ENRICHING = "enriching"  # a job or a synchronous enrichment is working on it
    ENRICHED = "enriched"  # every wanted field was found
    PARTIAL = "partial"  # some wanted fields were found
    NOT_FOUND = "not_found"  # no provider had any wanted field
    FAILED = "failed"  # no provider could answer (outages, credentials, ...)


@dataclass(slots=True, kw_only=True, frozen=True)
class Provenance:
    provider: str
    fetched_at: datetime
    confidence: float


@dataclass(slots=True, kw_only=True)
class Record:
    id: UUID
    workspace_id: UUID
    kind: EntityKind
    inputs: dict[str, str]  # by INPUT_FIELDS name
    fields: dict[str, FieldData] = field(default_factory=dict)  # by PERSON_FIELDS / COMPANY_FIELDS name
    provenance: dict[str, Provenance] = field(default_factory=dict)  # one per enriched field
    status: RecordStatus = RecordStatus.NEW
    created_at: datetime
    updated_at: datetime
    version: int = 1  # one more at every save; what a search document carries

    @property
    def domain(self) -> str | None:
        """The company domain a record is about, lower-case, for filtering.

        The first non-blank text among the `domain` input and the enriched
        `companyDomain` and `domain` fields; a non-text field is skipped.
        """
        for found in (self.inputs.get("domain"), self.fields.get("companyDomain"), self.fields.get("domain")):
            if isinstance(found, str) and found.strip():
                return found.strip().lower()
        return None
