"""The waterfall's rules: which provider to ask next, which values to keep, what it costs.

For each wanted field providers are tried in the workspace's order; one call
may fill several fields, so the next provider asked is the first (in order,
not yet tried, circuit closed) that can supply a field still missing and
that the record's inputs allow asking. A value is kept only if it is valid
(email syntax and a status that is not "invalid", domain shape, ...). The
per-record credit ceiling is never exceeded: a provider whose call could
cost more than what is left of it is skipped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.enrichment.provider_registry import ProviderSpec
from domain.enrichment.schema import EntityKind, FieldValue

_EMAIL = re.compile(r"^[^@\s]{1,64}@[a-z0-9.-]+\.[a-z]{2,}$", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
BAD_EMAIL_STATUSES = frozenset({"invalid", "bounced", "undeliverable"})


def is_valid(name: str, value: object) -> bool:
    """Whether a provider's value for a field can be trusted as an answer."""
    if isinstance(value, str):
        if not value.strip():
            return False
        if name == "email":
            return bool(_EMAIL.match(value))
        if name in ("domain", "companyDomain"):
            return bool(_DOMAIN.match(value))
        if name == "linkedinUrl":
            return value.startswith(("https://", "http://")) and "linkedin.com/" in value
        return name not in ("employeeCount", "foundedYear", "annualRevenue")
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return False
        if name == "foundedYear":
            return 1000 <= value <= 2100
        return name in ("employeeCount", "annualRevenue") and value >= 0
    if isinstance(value, list):
        if name == "emails":
            return bool(value) and all(isinstance(v, str) and bool(_EMAIL.match(v)) for v in value)
        if name == "phones":
            return bool(value) and all(isinstance(v, str) and bool(_E164.match(v)) for v in value)
        return name == "technologies" and bool(value) and all(isinstance(v, str) and v for v in value)
    if isinstance(value, dict):
        return name in ("location", "socialProfiles") and any(isinstance(v, str) and v for v in value.values())
    return False


def accept(found: dict[str, FieldValue], missing: Iterable[str]) -> dict[str, FieldValue]:
    """The valid values among `found` for the fields still missing."""
    status = found.get("emailStatus")
    bad_email = status is not None and str(status.value).lower() in BAD_EMAIL_STATUSES
    kept = {}
    for name in missing:
        candidate = found.get(name)
        if candidate is None or not is_valid(name, candidate.value):
            continue
        if name == "email" and bad_email:
            continue
        kept[name] = candidate
    return kept


def next_provider(
    order: list[ProviderSpec],
    *,
    kind: EntityKind,
    inputs: dict[str, str],
    missing: set[str],
    tried: set[str],
    unavailable: set[str],
    credits_left: int,
) -> ProviderSpec | None:
    for spec in order:
        if spec.name in tried or spec.name in unavailable:
            continue
        if not spec.offers(kind, inputs) & missing:
            continue
        if spec.credit_cost > credits_left:
            continue
        return spec
    return None


@dataclass(slots=True, kw_only=True, frozen=True)
class Attempt:
    """One provider asked about one record: what happened and what it cost."""

    provider: str
    outcome: str  # an Outcome value, or "skipped" (circuit open, no key)
    latency_ms: float
    credits: int
    cached: bool
    fields: tuple[str, ...]  # the wanted fields this attempt filled
    detail: str = ""


@dataclass(slots=True, kw_only=True, frozen=True)
class RecordedAttempt:
    """An attempt as kept: which run asked about which record, and when."""

    id: UUID
    workspace_id: UUID
    record_id: UUID
    run_id: str
    attempt: Attempt
    created_at: datetime
