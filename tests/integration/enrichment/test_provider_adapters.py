"""Each provider adapter against its fake over real HTTP: every outcome class, and the key as each wants it.

The fakes' triggers (see tests/fakes/*.py) make each error case; every
result is also checked for the api key in its detail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery
from tests.fakes.harness import KEYS, FakeProviders, adapter, ask, query, running_fakes

P, C = EntityKind.PERSON, EntityKind.COMPANY
NAMES = ("apollo", "hunter", "clearbit")
HIT_INPUTS = {P: {"email": "maya.chen@northwind.io"}, C: {"domain": "northwind.io"}}
TRIGGERED = {
    "quota": Outcome.QUOTA_EXHAUSTED,
    "ratelimited": Outcome.RATE_LIMITED,
    "invalid": Outcome.BAD_REQUEST,
    "echo": Outcome.BAD_REQUEST,
    "broken": Outcome.TRANSIENT,
    "garbled": Outcome.TRANSIENT,
    "wrongshape": Outcome.TRANSIENT,
    "huge": Outcome.TRANSIENT,
}


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with running_fakes() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def triggering(kind: EntityKind, trigger: str) -> ProviderQuery:
    return query(kind, email=f"{trigger}@example.com") if kind is P else query(kind, domain=f"{trigger}.test")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", [P, C])
@pytest.mark.parametrize(("trigger", "outcome"), TRIGGERED.items())
async def test_each_error_answer_is_classified(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str, kind: EntityKind, trigger: str, outcome: Outcome
) -> None:
    result = await ask(http, fakes, name, triggering(kind, trigger))

    assert result.outcome is outcome, result.detail
    assert result.detail


@pytest.mark.parametrize(("trigger", "outcome"), TRIGGERED.items())
async def test_hunter_email_finder_errors_are_classified(
    http: httpx.AsyncClient, fakes: FakeProviders, trigger: str, outcome: Outcome
) -> None:
    finder = query(P, firstName="Maya", lastName="Chen", domain=f"{trigger}.test")

    assert (await ask(http, fakes, "hunter", finder)).outcome is outcome


@pytest.mark.parametrize(
    ("name", "q"),
    [
        ("apollo", query(P, email="nobody@nowhere.com")),
        ("apollo", query(P, firstName="Nobody", lastName="Known", domain="northwind.io")),
        ("apollo", query(C, domain="nowhere-at-all.com")),
        ("hunter", query(P, firstName="Nobody", lastName="Known", domain="northwind.io")),
        ("hunter", query(C, domain="nowhere-at-all.com")),
        ("hunter", query(P, email="unverifiable@example.com")),  # 222: the SMTP check failed
        ("clearbit", query(P, email="nobody@nowhere.com")),
        ("clearbit", query(C, domain="nowhere-at-all.com")),
    ],
)
async def test_nothing_known_is_a_miss(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str, q: ProviderQuery
) -> None:
    result = await ask(http, fakes, name, q)

    assert result.outcome is Outcome.MISS
    assert result.detail


@pytest.mark.parametrize(("name", "kind"), [("hunter", P), ("clearbit", P), ("clearbit", C)])
async def test_pending_answers_until_the_provider_is_ready(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str, kind: EntityKind
) -> None:
    q = query(P, email=f"pending@{name}-poll.com") if kind is P else query(C, domain="pending.test")

    outcomes = [(await ask(http, fakes, name, q)).outcome for _ in range(3)]

    assert outcomes == [Outcome.PENDING, Outcome.PENDING, Outcome.HIT]


@pytest.mark.parametrize(("name", "kind"), [("hunter", P), ("clearbit", P), ("clearbit", C)])
async def test_a_pending_input_with_a_count_is_pending_that_many_times(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str, kind: EntityKind
) -> None:
    q = query(P, email=f"pending3@{name}-count.com") if kind is P else query(C, domain="pending3.test")

    outcomes = [(await ask(http, fakes, name, q)).outcome for _ in range(5)]

    assert outcomes == [Outcome.PENDING] * 3 + [Outcome.HIT] * 2


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", [P, C])
async def test_the_key_travels_as_the_provider_wants_it(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str, kind: EntityKind
) -> None:
    provider = adapter(name, http, fakes)

    right = await provider.lookup(query(kind, **HIT_INPUTS[kind]), KEYS[name])
    wrong = await provider.lookup(query(kind, **HIT_INPUTS[kind]), "not-the-key")

    assert right.outcome is Outcome.HIT
    assert wrong.outcome is Outcome.INVALID_CREDENTIALS
    assert wrong.fields == {}
    assert "not-the-key" not in wrong.detail


async def test_an_apollo_key_without_access_to_the_endpoint_is_invalid_credentials(
    http: httpx.AsyncClient, fakes: FakeProviders
) -> None:
    result = await ask(http, fakes, "apollo", triggering(P, "forbidden"))

    assert result.outcome is Outcome.INVALID_CREDENTIALS
