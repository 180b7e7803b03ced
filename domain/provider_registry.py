"""What each provider can do and what it costs: the waterfall's catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from domain.enrichment import EntityKind, Outcome
from domain.errors import ErrorDetail, ValidationFailed

P, C = EntityKind.PERSON, EntityKind.COMPANY


@dataclass(slots=True, kw_only=True, frozen=True)
class ProviderSpec:
    name: str
    supplies: dict[EntityKind, frozenset[str]]  # normalized fields, by entity kind
    # Any one of these input sets is enough to ask the provider about a record.
    needs: dict[EntityKind, tuple[frozenset[str], ...]]
    credit_cost: int  # credits per billable call
    miss_billable: bool  # does the provider charge for "nothing found"?
    requests_per_minute: int
    timeout_seconds: float

    @property
    def kinds(self) -> frozenset[EntityKind]:
        return frozenset(self.supplies)

    def can_ask(self, kind: EntityKind, inputs: dict[str, str]) -> bool:
        present = {name for name, value in inputs.items() if value}
        return any(needed <= present for needed in self.needs.get(kind, ()))

    def credits_for(self, outcome: Outcome) -> int:
        """What a call with this outcome costs: hits always, misses only where the provider bills them."""
        if outcome is Outcome.HIT or (outcome is Outcome.MISS and self.miss_billable):
            return self.credit_cost
        return 0


def _fields(names: str) -> frozenset[str]:
    return frozenset(names.split())


def _needs(*sets: str) -> tuple[frozenset[str], ...]:
    return tuple(_fields(s) for s in sets)


_NAMED_AT = _needs(
    "firstName lastName domain", "fullName domain", "firstName lastName companyName", "fullName companyName"
)
REGISTRY: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        name="apollo",
        supplies={
            P: _fields(
                "email emailStatus firstName lastName title seniority department phone linkedinUrl twitter location"
                " companyDomain"
            ),
            C: _fields(
                "name domain industry employeeCount annualRevenue foundedYear location description linkedinUrl"
                " technologies"
            ),
        },
        needs={P: _needs("email", "linkedinUrl") + _NAMED_AT, C: _needs("domain")},
        credit_cost=1,
        miss_billable=False,
        requests_per_minute=200,
        timeout_seconds=10,
    ),
    ProviderSpec(
        name="hunter",
        supplies={
            P: _fields("email emailStatus firstName lastName title phone linkedinUrl twitter"),
            C: _fields("name domain"),
        },
        needs={P: _needs("email") + _NAMED_AT, C: _needs("domain", "companyName")},
        credit_cost=1,
        miss_billable=False,
        requests_per_minute=500,
        timeout_seconds=20,
    ),
    ProviderSpec(
        name="clearbit",
        supplies={
            P: _fields("firstName lastName title seniority location linkedinUrl twitter companyDomain"),
            C: _fields(
                "name domain industry employeeCount employeeRange annualRevenue foundedYear location description"
                " linkedinUrl technologies socialProfiles"
            ),
        },
        needs={P: _needs("email"), C: _needs("domain")},
        credit_cost=2,
        miss_billable=True,  # Clearbit counts 404s: a miss costs money
        requests_per_minute=600,
        timeout_seconds=10,
    ),
)
BY_NAME: dict[str, ProviderSpec] = {spec.name: spec for spec in REGISTRY}
# The default waterfall: cheapest first, then by name.
DEFAULT_ORDER: tuple[str, ...] = tuple(s.name for s in sorted(REGISTRY, key=lambda s: (s.credit_cost, s.name)))


def provider_order(names: list[str] | None) -> list[ProviderSpec]:
    """The specs in the asked order (unknown names are `ValidationFailed`), or the default."""
    if not names:
        return [BY_NAME[name] for name in DEFAULT_ORDER]
    unknown = [name for name in names if name not in BY_NAME]
    if unknown or len(set(names)) != len(names):
        raise ValidationFailed(
            f"providers must be distinct names among: {', '.join(DEFAULT_ORDER)}",
            details=(ErrorDetail(field="providers", message="unknown or repeated provider"),),
        )
    return [BY_NAME[name] for name in names]
