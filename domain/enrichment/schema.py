"""The normalized schema every provider maps into, and how a provider call ends.

Field names are the API's (camelCase). A provider adapter turns the
provider's answer into `FieldValue`s under these names and classifies the
call into one `Outcome`; the waterfall decides what to charge from the
outcome and the provider's `ProviderSpec`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import Enum

PERSON_FIELDS: tuple[str, ...] = (
    "email",
    "emailStatus",
    "firstName",
    "lastName",
    "title",
    "seniority",
    "department",
    "phone",
    "linkedinUrl",
    "twitter",
    "location",
    "companyDomain",
)
COMPANY_FIELDS: tuple[str, ...] = (
    "name",
    "domain",
    "industry",
    "employeeCount",
    "employeeRange",
    "annualRevenue",
    "foundedYear",
    "location",
    "description",
    "linkedinUrl",
    "technologies",
    "socialProfiles",
    "emails",  # contact addresses the company publishes (the scraper reads them off its site)
    "phones",  # E.164
)
INPUT_FIELDS: tuple[str, ...] = (
    "email",
    "firstName",
    "lastName",
    "fullName",
    "domain",
    "companyName",
    "linkedinUrl",
)

# A field's value: text, a number, a list of names (technologies), or a small
# mapping (location {city, region, country}; socialProfiles {network: url}).
FieldData = str | int | float | list[str] | dict[str, str]


class EntityKind(Enum):
    PERSON = "person"
    COMPANY = "company"


class Outcome(Enum):
    """How one provider call ended."""

    HIT = "hit"  # data found
    MISS = "miss"  # the provider answered: nothing known
    PENDING = "pending"  # accepted, not ready (Clearbit 202, Hunter 202): ask again later
    RATE_LIMITED = "rate_limited"  # slow down; retry_after_seconds says how long
    QUOTA_EXHAUSTED = "quota_exhausted"  # the account's credits or quota are used up
    INVALID_CREDENTIALS = "invalid_credentials"
    BAD_REQUEST = "bad_request"  # our input was not acceptable to the provider
    TRANSIENT = "transient"  # timeouts, 5xx, connection errors, undecodable answers


@dataclass(slots=True, kw_only=True, frozen=True)
class FieldValue:
    value: FieldData
    confidence: float = 1.0  # 0..1, the provider's own score where it gives one


@dataclass(slots=True, kw_only=True, frozen=True)
class ProviderQuery:
    """What is known about the record, by input field name (see INPUT_FIELDS)."""

    kind: EntityKind
    inputs: dict[str, str]
    wanted: frozenset[str] = frozenset()

    def get(self, name: str) -> str | None:
        value = self.inputs.get(name)
        return value.strip() or None if value else None


@dataclass(slots=True, kw_only=True, frozen=True)
class ProviderResult:
    outcome: Outcome
    fields: dict[str, FieldValue] = field(default_factory=dict)
    retry_after_seconds: float | None = None
    detail: str = ""  # for logs and attempts; never a credential


def lookup_key(provider: str, query: ProviderQuery) -> str:
    """Names one lookup: the provider and the normalized inputs it is asked with."""
    inputs = sorted((name, " ".join(value.split()).lower()) for name, value in query.inputs.items() if value.strip())
    raw = "|".join([provider, query.kind.value, *(f"{name}={value}" for name, value in inputs)])
    return hashlib.sha256(raw.encode()).hexdigest()


_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def storable(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """Only values that can be kept anywhere: control characters (NUL above all) are
    not text a person wrote, and PostgreSQL cannot store a NUL at all."""

    def clean(value: FieldData) -> bool:
        if isinstance(value, str):
            return not _UNSTORABLE.search(value)
        if isinstance(value, list):
            return all(clean(v) for v in value)
        if isinstance(value, dict):
            return all(clean(k) and clean(v) for k, v in value.items())
        return True

    return {name: f for name, f in fields.items() if clean(name) and clean(f.value)}
