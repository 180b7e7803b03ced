"""Apollo's bulk endpoints: 10 records a request, every result back in the order it was asked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from adapters.providers.apollo import ApolloProvider
from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery, ProviderResult
from tests.fakes import apollo
from tests.fakes.harness import query
from tests.fakes.server import serve
from tests.fakes.world import COMPANIES, PEOPLE

P, C = EntityKind.PERSON, EntityKind.COMPANY


@pytest.fixture(scope="module", params=["null in place", "misses left out"])
def apollo_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Apollo's `matches` either keep a null in a miss's slot or leave it out: both must map back right."""
    with serve(apollo.create_app(omit_misses=request.param == "misses left out")) as url:
        yield url


@pytest.fixture
async def provider(apollo_url: str) -> AsyncIterator[ApolloProvider]:
    async with httpx.AsyncClient() as client:
        yield ApolloProvider(client, base_url=apollo_url)


def found(results: list[ProviderResult], field: str) -> list[object]:
    return [r.fields[field].value if r.outcome is Outcome.HIT else r.outcome for r in results]


async def test_people_and_companies_come_back_in_the_order_asked(provider: ApolloProvider) -> None:
    queries = [
        query(P, email="priya@umbrellahealth.co"),
        query(C, domain="initech.dev"),
        query(P, email="nobody@nowhere.com"),
        query(P, firstName="Daniel", lastName="Okafor", domain="globex-logistics.com"),
        query(C, domain="nowhere-at-all.com"),
        query(P),  # nothing to ask: refused on its own, the others still go
        query(C, domain="https://www.northwind.io/"),
        query(P, linkedinUrl="http://www.linkedin.com/in/maya-chen-eng"),
    ]

    results = await provider.lookup_many(queries, apollo.APOLLO_KEY)

    assert [r.outcome for r in results] == [
        Outcome.HIT, Outcome.HIT, Outcome.MISS, Outcome.HIT, Outcome.MISS, Outcome.BAD_REQUEST, Outcome.HIT,
        Outcome.HIT,
    ]  # fmt: skip
    assert found([results[i] for i in (0, 3, 7)], "email") == [
        "priya@umbrellahealth.co", "daniel.okafor@globex-logistics.com", "maya.chen@northwind.io",
    ]  # fmt: skip
    assert found([results[i] for i in (1, 6)], "name") == ["Initech", "Northwind Analytics"]
    single = await provider.lookup(queries[0], apollo.APOLLO_KEY)
    assert results[0] == single


async def test_more_than_ten_go_in_chunks_of_ten(provider: ApolloProvider) -> None:
    emails = [*PEOPLE, *(f"unknown{i}@nowhere.com" for i in range(6)), *PEOPLE]  # 16 people: 10 + 6
    domains = [*COMPANIES, *COMPANIES, "nowhere-at-all.com", *COMPANIES]  # 16 companies, repeats included

    people = await provider.lookup_many([query(P, email=e) for e in emails], apollo.APOLLO_KEY)
    companies = await provider.lookup_many([query(C, domain=d) for d in domains], apollo.APOLLO_KEY)

    assert found(people, "lastName") == [PEOPLE[e].last if e in PEOPLE else Outcome.MISS for e in emails]
    assert found(companies, "domain") == [d if d in COMPANIES else Outcome.MISS for d in domains]


async def test_a_refused_chunk_fails_only_its_own_records(provider: ApolloProvider) -> None:
    emails = [*PEOPLE, *PEOPLE, "quota@example.com", "maya.chen@northwind.io"]  # 10 known, then 2 refused

    results = await provider.lookup_many([query(P, email=e) for e in emails], apollo.APOLLO_KEY)

    assert [r.outcome for r in results] == [Outcome.HIT] * 10 + [Outcome.QUOTA_EXHAUSTED] * 2
    assert {r.detail for r in results[10:]} == {"apollo answered 422: Insufficient credits. Please upgrade your plan."}


async def test_bulk_results_never_carry_the_key(provider: ApolloProvider) -> None:
    queries: list[ProviderQuery] = [query(P, email="echo@example.com"), query(C, domain="echo.test")]

    results = await provider.lookup_many(queries, apollo.APOLLO_KEY)
    refused = await provider.lookup_many(queries, "wrong-key")

    assert [r.outcome for r in results] == [Outcome.BAD_REQUEST] * 2
    assert all(apollo.APOLLO_KEY not in r.detail and "[REDACTED]" in r.detail for r in results)
    assert [r.outcome for r in refused] == [Outcome.INVALID_CREDENTIALS] * 2
    assert await provider.lookup_many([], apollo.APOLLO_KEY) == []
