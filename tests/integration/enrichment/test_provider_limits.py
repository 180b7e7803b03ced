"""Provider adapters under pressure, over real HTTP: deadlines, body caps, waits, refusals, secrecy."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery
from entrypoints.cli.processes import free_port
from tests.fakes.harness import KEYS, FakeProviders, adapter, ask, query, running_fakes

P, C = EntityKind.PERSON, EntityKind.COMPANY
NAMES = ("apollo", "hunter", "clearbit")
SLOW_SECONDS = 3.0
TIMEOUT = 0.5


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with running_fakes(slow_seconds=SLOW_SECONDS) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def nowhere() -> FakeProviders:
    """Where every request fails to connect: a result other than TRANSIENT proves none was made."""
    url = f"http://127.0.0.1:{free_port()}"
    return FakeProviders(apollo=url, hunter=url, clearbit=url)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", [P, C])
async def test_a_slow_provider_is_abandoned_at_the_timeout(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str, kind: EntityKind
) -> None:
    slow = query(P, email="slow@example.com") if kind is P else query(C, domain="slow.test")

    started = time.monotonic()
    result = await ask(http, fakes, name, slow, timeout_seconds=TIMEOUT)
    elapsed = time.monotonic() - started

    assert result.outcome is Outcome.TRANSIENT
    assert result.detail == "no answer within 0.5 s"
    assert elapsed < SLOW_SECONDS - 1


@pytest.mark.parametrize("name", NAMES)
async def test_a_body_over_the_cap_is_transient_streamed_or_declared(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str
) -> None:
    # Apollo and Clearbit's fakes stream 2 MiB without a length; Hunter's declares it.
    result = await ask(http, fakes, name, query(C, domain="huge.test"))

    assert result.outcome is Outcome.TRANSIENT
    assert result.detail == "answer larger than 1048576 bytes"


@pytest.mark.parametrize("name", NAMES)
async def test_the_cap_applies_to_ordinary_answers_too(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str
) -> None:
    result = await ask(http, fakes, name, query(C, domain="northwind.io"), max_body_bytes=256)

    assert result.outcome is Outcome.TRANSIENT
    assert result.detail == "answer larger than 256 bytes"


@pytest.mark.parametrize(
    ("name", "question", "wait"),
    [
        ("apollo", query(P, email="ratelimited@example.com"), 60.0),  # x-minute-requests-left: 0, no Retry-After
        ("apollo", query(C, domain="ratelimited.test"), 7.0),  # Retry-After: 7
        ("clearbit", query(P, email="ratelimited@example.com"), 30.0),  # Retry-After: 30
        ("hunter", query(C, domain="ratelimited.test"), None),  # a 403 with no hint at all
    ],
)
async def test_rate_limits_say_how_long_to_wait(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str, question: ProviderQuery, wait: float | None
) -> None:
    result = await ask(http, fakes, name, question)

    assert result.outcome is Outcome.RATE_LIMITED
    assert result.retry_after_seconds == wait


async def test_apollo_warns_of_a_spent_window_on_a_hit(http: httpx.AsyncClient, fakes: FakeProviders) -> None:
    result = await ask(http, fakes, "apollo", query(P, email="exhausted@example.com"))

    assert result.outcome is Outcome.HIT
    assert result.retry_after_seconds == 86_400.0  # x-daily-requests-left: 0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", [P, C])
async def test_a_provider_that_is_down_is_transient(http: httpx.AsyncClient, name: str, kind: EntityKind) -> None:
    inputs = {"email": "maya.chen@northwind.io"} if kind is P else {"domain": "northwind.io"}

    result = await adapter(name, http, nowhere()).lookup(query(kind, **inputs), KEYS[name])

    assert result.outcome is Outcome.TRANSIENT
    assert result.detail == "network error (ConnectError)"


@pytest.mark.parametrize(
    ("name", "kind", "inputs"),
    [
        ("apollo", P, {}),
        ("apollo", P, {"email": "   "}),
        ("apollo", C, {"companyName": "Northwind Analytics"}),
        ("hunter", P, {"firstName": "Maya", "lastName": "Chen"}),
        ("hunter", P, {"domain": "northwind.io", "firstName": "Maya"}),
        ("hunter", C, {"email": "maya.chen@northwind.io"}),
        ("clearbit", P, {"firstName": "Maya", "lastName": "Chen", "domain": "northwind.io"}),
        ("clearbit", C, {"companyName": "Northwind Analytics"}),
    ],
)
async def test_too_little_to_ask_is_a_bad_request_without_a_call(
    http: httpx.AsyncClient, name: str, kind: EntityKind, inputs: dict[str, str]
) -> None:
    result = await adapter(name, http, nowhere()).lookup(query(kind, **inputs), KEYS[name])

    assert result.outcome is Outcome.BAD_REQUEST
    assert result.detail.startswith(name)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("key", ["", "  ", "key with spaces", "line\nbreak", "clé-ünicode"])
async def test_a_key_that_cannot_be_a_header_is_refused_without_a_call(
    http: httpx.AsyncClient, name: str, key: str
) -> None:
    result = await adapter(name, http, nowhere()).lookup(query(P, email="maya.chen@northwind.io"), key)

    assert result.outcome is Outcome.INVALID_CREDENTIALS
    assert result.detail == "the api key is empty or not a valid header value"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", [P, C])
async def test_a_provider_quoting_the_key_back_never_gets_it_into_the_detail(
    http: httpx.AsyncClient, fakes: FakeProviders, name: str, kind: EntityKind
) -> None:
    echo = query(P, email="echo@example.com") if kind is P else query(C, domain="echo.test")

    result = await ask(http, fakes, name, echo)  # `ask` asserts the key is absent

    assert result.outcome is Outcome.BAD_REQUEST
    assert "[REDACTED]" in result.detail  # the fake did quote it: the adapter took it out


async def test_a_redirect_is_never_followed_even_by_a_client_that_would(fakes: FakeProviders) -> None:
    async with httpx.AsyncClient(follow_redirects=True) as following:
        result = await ask(following, fakes, "apollo", query(P, email="moved@example.com"))

    assert result.outcome is Outcome.TRANSIENT
    assert result.detail == "apollo answered 301"
