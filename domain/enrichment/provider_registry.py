"""What each provider can do and what it costs: the waterfall's catalogue."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain.enrichment.schema import EntityKind, Outcome
from domain.kernel.errors import ErrorDetail, ValidationFailed

P, C = EntityKind.PERSON, EntityKind.COMPANY


@dataclass(slots=True, kw_only=True, frozen=True)
class Route:
    """One way of asking a provider: the inputs it takes and the fields it answers."""

    needs: frozenset[str]
    supplies: frozenset[str]


@dataclass(slots=True, kw_only=True, frozen=True)
class ProviderSpec:
    name: str
    # By entity kind, in the order the adapter tries them: the first route the
    # record's inputs allow is the one taken (Hunter verifies a known email
    # rather than searching for one).
    routes: dict[EntityKind, tuple[Route, ...]]
    credit_cost: int  # credits per billable call
    miss_billable: bool  # does the provider charge for "nothing found"?
    requests_per_minute: int
    timeout_seconds: float

    @property
    def kinds(self) -> frozenset[EntityKind]:
        return frozenset(self.routes)

    @property
    def supplies(self) -> dict[EntityKind, frozenset[str]]:
        """Every field the provider can answer, by kind, whatever the inputs."""
        return {kind: frozenset().union(*(r.supplies for r in routes)) for kind, routes in self.routes.items()}

    def offers(self, kind: EntityKind, inputs: dict[str, str]) -> frozenset[str]:
        """The fields a call with these inputs can answer (none if it cannot be asked)."""
        present = {name for name, value in inputs.items() if value}
        route = next((r for r in self.routes.get(kind, ()) if r.needs <= present), None)
        return route.supplies if route else frozenset()

    def credits_for(self, outcome: Outcome) -> int:
        """What a call with this outcome costs: hits always, misses only where the provider bills them."""
        if outcome is Outcome.HIT or (outcome is Outcome.MISS and self.miss_billable):
            return self.credit_cost
        return 0


def _fields(names: str) -> frozenset[str]:
    return frozenset(names.split())


def _routes(supplies: str, *needs: str) -> tuple[Route, ...]:
    return tuple(Route(needs=_fields(n), supplies=_fields(supplies)) for n in needs)


_NAMED_AT = ("firstName lastName domain", "fullName domain", "firstName lastName companyName", "fullName companyName")
REGISTRY: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        name="apollo",
        routes={
            P: _routes(
                "email emailStatus firstName lastName title seniority department phone linkedinUrl twitter location"
                " companyDomain",
                "email",
                "linkedinUrl",
                *_NAMED_AT,
            ),
            C: _routes(
                "name domain industry employeeCount annualRevenue foundedYear location description linkedinUrl"
                " technologies",
                "domain",
            ),
        },
        credit_cost=1,
        miss_billable=False,
        requests_per_minute=200,
        timeout_seconds=10,
    ),
    ProviderSpec(
        name="hunter",
        routes={
            # a known email is verified (/email-verifier); otherwise one is found (/email-finder)
            P: _routes("email emailStatus", "email")
            + _routes("email emailStatus firstName lastName title phone linkedinUrl twitter", *_NAMED_AT),
            C: _routes("name domain", "domain", "companyName"),
        },
        credit_cost=1,
        miss_billable=False,
        requests_per_minute=500,
        timeout_seconds=20,
    ),
    ProviderSpec(
        name="clearbit",
        routes={
            P: _routes("firstName lastName title seniority location linkedinUrl twitter companyDomain", "email"),
            C: _routes(
                "name domain industry employeeCount employeeRange annualRevenue foundedYear location description"
                " linkedinUrl technologies socialProfiles",
                "domain",
            ),
        },
        credit_cost=2,
        miss_billable=True,  # Clearbit counts 404s: a miss costs money
        requests_per_minute=600,
        timeout_seconds=10,
    ),
    ProviderSpec(
        name="scraper",  # our own service reading the company's website (`cascade scraper`)
        routes={C: _routes("name description linkedinUrl socialProfiles technologies emails phones", "domain")},
        credit_cost=0,
        miss_billable=False,
        requests_per_minute=120,
        timeout_seconds=45,
    ),
)
BY_NAME: dict[str, ProviderSpec] = {spec.name: spec for spec in REGISTRY}
# The default waterfall: cheapest first, then by name.
DEFAULT_ORDER: tuple[str, ...] = tuple(s.name for s in sorted(REGISTRY, key=lambda s: (s.credit_cost, s.name)))


def provider_order(names: list[str] | None, available: Collection[str]) -> list[ProviderSpec]:
    """The specs in the asked order, or the default one, among the providers this deployment can call
    (`available`: the scraper only where its service is set up). An unknown or repeated name is
    `ValidationFailed`, and so is asking for one that is not available here."""
    if not names:
        return [BY_NAME[name] for name in DEFAULT_ORDER if name in available]
    unknown = [name for name in names if name not in BY_NAME]
    if unknown or len(set(names)) != len(names):
        raise ValidationFailed(
            f"providers must be distinct names among: {', '.join(DEFAULT_ORDER)}",
            details=(ErrorDetail(field="providers", message="unknown or repeated provider"),),
        )
    absent = [name for name in names if name not in available]
    if absent:
        raise ValidationFailed(
            f"not available in this deployment: {', '.join(absent)}",
            details=(ErrorDetail(field="providers", message="provider not available here"),),
        )
    return [BY_NAME[name] for name in names]
