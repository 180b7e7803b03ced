"""The scraper as an enrichment provider: the adapter against a fake of the service's wire format,
and the waterfall asking it first for what it supplies, for 0 credits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from adapters.providers.scraper import ScraperProvider
from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery
from entrypoints.http.app import create_app
from tests.api import create_workspace, register
from tests.conftest import test_settings
from tests.fakes import scraper as fake
from tests.fakes.server import serve


@pytest.fixture(scope="module")
def scraper_url() -> Iterator[str]:
    with serve(fake.create_app()) as url:
        yield url


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def company(domain: str) -> ProviderQuery:
    return ProviderQuery(kind=EntityKind.COMPANY, inputs={"domain": domain})


@pytest.mark.parametrize(
    ("domain", "key", "outcome"),
    [
        ("northwind.io", fake.SCRAPER_KEY, Outcome.HIT),
        ("quiet.test", fake.SCRAPER_KEY, Outcome.MISS),
        ("down.test", fake.SCRAPER_KEY, Outcome.MISS),
        ("internal.test", fake.SCRAPER_KEY, Outcome.BAD_REQUEST),
        ("broken.test", fake.SCRAPER_KEY, Outcome.TRANSIENT),
        ("northwind.io", "wrong-key", Outcome.INVALID_CREDENTIALS),
    ],
)
async def test_every_answer_is_classified(
    client: httpx.AsyncClient, scraper_url: str, domain: str, key: str, outcome: Outcome
) -> None:
    result = await ScraperProvider(client, base_url=scraper_url).lookup(company(domain), key)
    assert result.outcome is outcome, result
    assert key not in result.detail


async def test_a_hit_maps_to_the_normalized_company_fields(client: httpx.AsyncClient, scraper_url: str) -> None:
    result = await ScraperProvider(client, base_url=scraper_url).lookup(
        company("https://www.Northwind.io/x"), fake.SCRAPER_KEY
    )
    values = {name: field.value for name, field in result.fields.items()}
    assert values == {
        "name": "Northwind Analytics",
        "description": "Product telemetry into revenue forecasts.",
        "linkedinUrl": "https://www.linkedin.com/company/northwind-analytics",
        "socialProfiles": {
            "linkedin": "https://www.linkedin.com/company/northwind-analytics",
            "twitter": "https://x.com/northwindhq",
        },
        "technologies": ["Segment", "Stripe"],
        "emails": ["hello@northwind.io"],
        "phones": ["+14155550100"],
    }


async def test_a_person_is_not_the_scrapers(client: httpx.AsyncClient, scraper_url: str) -> None:
    query = ProviderQuery(kind=EntityKind.PERSON, inputs={"email": "maya.chen@northwind.io"})
    result = await ScraperProvider(client, base_url=scraper_url).lookup(query, fake.SCRAPER_KEY)
    assert result.outcome is Outcome.BAD_REQUEST


async def test_the_waterfall_asks_the_free_scraper_first_for_what_it_supplies(scraper_url: str) -> None:
    settings = test_settings(scraper_url=scraper_url, scraper_service_keys=fake.SCRAPER_KEY)
    async with AsyncTestClient(app=create_app(settings)) as api:
        owner = await register(api)
        workspace = await create_workspace(api, owner)
        body: dict[str, Any] = {
            "kind": "company",
            "inputs": {"domain": "northwind.io"},
            "fields": ["technologies", "emails"],
        }
        answer = await api.post(f"/api/v1/workspaces/{workspace}/enrichment/enrich", json=body, headers=owner.headers)
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        assert [a["provider"] for a in data["attempts"]] == ["scraper"]
        assert data["creditsCharged"] == 0
        assert data["record"]["fields"]["emails"] == ["hello@northwind.io"]
        assert data["record"]["provenance"]["technologies"]["provider"] == "scraper"
        listed = await api.get("/api/v1/providers", headers=owner.headers)
        assert "scraper" in [p["name"] for p in listed.json()["data"]]
