"""What each adapter makes of its provider's answer: exact normalized fields, confidence, nothing empty."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from domain.enrichment.schema import EntityKind, FieldData, Outcome, ProviderResult
from tests.fakes.harness import FakeProviders, ask, query, running_fakes
from tests.fakes.world import COMPANIES

P, C = EntityKind.PERSON, EntityKind.COMPANY
SF = {"city": "San Francisco", "region": "California", "country": "United States"}
MAYA = {
    "email": "maya.chen@northwind.io", "firstName": "Maya", "lastName": "Chen", "title": "VP Engineering",
    "phone": "+14155550134", "twitter": "https://twitter.com/mayachen",
}  # fmt: skip


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with running_fakes() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def values(result: ProviderResult) -> dict[str, FieldData]:
    assert result.outcome is Outcome.HIT, result.detail
    assert all(v.value not in ("", [], {}, None) for v in result.fields.values())
    return {name: field.value for name, field in result.fields.items()}


def confidences(result: ProviderResult) -> set[float]:
    return {field.confidence for field in result.fields.values()}


@pytest.mark.parametrize(
    "inputs",
    [
        {"email": "maya.chen@northwind.io"},
        {"firstName": "Maya", "lastName": "Chen", "domain": "https://www.northwind.io/about"},
        {"fullName": "Maya Chen", "companyName": "Northwind Analytics"},
        {"linkedinUrl": "https://www.linkedin.com/in/maya-chen-eng/"},
    ],
)
async def test_apollo_person(http: httpx.AsyncClient, fakes: FakeProviders, inputs: dict[str, str]) -> None:
    result = await ask(http, fakes, "apollo", query(P, **inputs))

    assert values(result) == MAYA | {
        "emailStatus": "verified", "seniority": "vp", "department": "engineering",
        "linkedinUrl": "http://www.linkedin.com/in/maya-chen-eng", "location": SF, "companyDomain": "northwind.io",
    }  # fmt: skip
    assert confidences(result) == {1.0}


async def test_apollo_leaves_out_a_locked_email_and_what_it_lacks(
    http: httpx.AsyncClient, fakes: FakeProviders
) -> None:
    result = await ask(
        http, fakes, "apollo", query(P, firstName="Tom", lastName="Becker", domain="bluefin-robotics.com")
    )

    assert set(values(result)) == {
        "firstName", "lastName", "title", "seniority", "department", "linkedinUrl", "location", "companyDomain",
    }  # fmt: skip


async def test_apollo_organization(http: httpx.AsyncClient, fakes: FakeProviders) -> None:
    result = await ask(http, fakes, "apollo", query(C, domain="www.Northwind.io"))

    assert values(result) == {
        "name": "Northwind Analytics", "domain": "northwind.io", "industry": "information technology and services",
        "employeeCount": 240, "annualRevenue": 38_000_000.0, "foundedYear": 2014, "location": SF,
        "description": "Northwind turns product telemetry into revenue forecasts.",
        "linkedinUrl": "http://www.linkedin.com/company/northwind-analytics",
        "technologies": ["Amazon AWS", "Segment", "Stripe"],
        "socialProfiles": {"linkedin": "http://www.linkedin.com/company/northwind-analytics",
                           "twitter": "https://twitter.com/northwindhq"},
    }  # fmt: skip


@pytest.mark.parametrize(
    "inputs",
    [
        {"firstName": "Maya", "lastName": "Chen", "domain": "northwind.io"},
        {"fullName": "Maya Chen", "companyName": "Northwind Analytics"},
        {"linkedinUrl": "https://www.linkedin.com/in/maya-chen-eng"},
    ],
)
async def test_hunter_email_finder(http: httpx.AsyncClient, fakes: FakeProviders, inputs: dict[str, str]) -> None:
    result = await ask(http, fakes, "hunter", query(P, **inputs))

    assert values(result) == MAYA | {
        "emailStatus": "valid", "linkedinUrl": "https://www.linkedin.com/in/maya-chen-eng",
    }  # fmt: skip
    assert confidences(result) == {0.97}  # Hunter's score / 100


async def test_hunter_finder_without_phone_or_twitter(http: httpx.AsyncClient, fakes: FakeProviders) -> None:
    result = await ask(http, fakes, "hunter", query(P, fullName="Priya Natarajan", domain="umbrellahealth.co"))

    assert values(result) == {
        "email": "priya@umbrellahealth.co", "emailStatus": "accept_all", "firstName": "Priya",
        "lastName": "Natarajan", "title": "Data Scientist", "linkedinUrl": "https://www.linkedin.com/in/priya-natarajan",
    }  # fmt: skip
    assert confidences(result) == {0.71}


@pytest.mark.parametrize(
    ("email", "status", "confidence"),
    [("maya.chen@northwind.io", "valid", 0.97), ("priya@umbrellahealth.co", "accept_all", 0.71),
     ("someone.else@northwind.io", "invalid", 0.0), ("jane@gmail.com", "webmail", 0.0)],
)  # fmt: skip
async def test_hunter_email_verifier(
    http: httpx.AsyncClient, fakes: FakeProviders, email: str, status: str, confidence: float
) -> None:
    result = await ask(http, fakes, "hunter", query(P, email=email, firstName="Ignored"))

    assert values(result) == {"email": email, "emailStatus": status}
    assert confidences(result) == {confidence}


@pytest.mark.parametrize("inputs", [{"domain": "northwind.io"}, {"companyName": "Northwind Analytics"}])
async def test_hunter_domain_search(http: httpx.AsyncClient, fakes: FakeProviders, inputs: dict[str, str]) -> None:
    result = await ask(http, fakes, "hunter", query(C, **inputs))

    assert values(result) == {
        "name": "Northwind Analytics", "domain": "northwind.io", "industry": "Information Technology and Services",
        "employeeRange": "201-500", "description": "Northwind turns product telemetry into revenue forecasts.",
        "location": SF | {"country": "US"}, "linkedinUrl": "https://www.linkedin.com/company/northwind-analytics",
        "technologies": ["amazon-aws", "segment", "stripe"],
        "socialProfiles": {"linkedin": "https://www.linkedin.com/company/northwind-analytics",
                           "twitter": "https://twitter.com/northwindhq"},
    }  # fmt: skip


async def test_clearbit_person(http: httpx.AsyncClient, fakes: FakeProviders) -> None:
    result = await ask(http, fakes, "clearbit", query(P, email="maya.chen@northwind.io"))

    assert values(result) == {
        "email": "maya.chen@northwind.io", "firstName": "Maya", "lastName": "Chen", "title": "VP Engineering",
        "seniority": "executive", "department": "engineering", "twitter": "https://twitter.com/mayachen",
        "linkedinUrl": "https://www.linkedin.com/in/maya-chen-eng", "location": SF, "companyDomain": "northwind.io",
    }  # fmt: skip


async def test_clearbit_person_without_twitter_or_seniority(http: httpx.AsyncClient, fakes: FakeProviders) -> None:
    result = await ask(http, fakes, "clearbit", query(P, email="priya@umbrellahealth.co"))

    assert "twitter" not in values(result)
    assert "seniority" not in values(result)
    assert values(result)["department"] == "engineering"


@pytest.mark.parametrize(
    ("domain", "revenue", "band"),
    [("northwind.io", "$10M-$50M", "51-250"), ("globex-logistics.com", 410_000_000, "1K-5K")],
)
async def test_clearbit_company(
    http: httpx.AsyncClient, fakes: FakeProviders, domain: str, revenue: FieldData, band: str
) -> None:
    company = COMPANIES[domain]
    result = await ask(http, fakes, "clearbit", query(C, domain=domain))

    linkedin = f"https://www.linkedin.com/{company.linkedin}"
    assert values(result) == {
        "name": company.name, "domain": domain, "industry": company.industry, "employeeCount": company.employees,
        "employeeRange": band, "annualRevenue": revenue, "foundedYear": company.founded,
        "location": {"city": company.city, "region": company.state, "country": company.country},
        "description": company.description, "linkedinUrl": linkedin,
        "technologies": [t.lower().replace(" ", "_") for t in company.technologies],
        "socialProfiles": {"linkedin": linkedin, "twitter": f"https://twitter.com/{company.twitter}"},
    }  # fmt: skip
