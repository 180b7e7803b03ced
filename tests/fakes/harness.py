"""All three fake providers at once, and the real adapters pointed at them.

with running_fakes() as fakes:
    provider = adapter("hunter", client, fakes)
    await provider.lookup(query, KEYS["hunter"])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from adapters.providers.apollo import ApolloProvider
from adapters.providers.clearbit import ClearbitProvider
from adapters.providers.http import MAX_BODY_BYTES
from adapters.providers.hunter import HunterProvider
from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery, ProviderResult
from tests.fakes import apollo, clearbit, hunter
from tests.fakes.server import serve

KEYS = {"apollo": apollo.APOLLO_KEY, "hunter": hunter.HUNTER_KEY, "clearbit": clearbit.CLEARBIT_KEY}
Provider = ApolloProvider | HunterProvider | ClearbitProvider


@dataclass(frozen=True, slots=True)
class FakeProviders:
    apollo: str
    hunter: str
    clearbit: str  # serves both the person and the company host


@contextmanager
def running_fakes(
    *, slow_seconds: float = 15.0, pending_polls: int = 2, apollo_latency_seconds: float = 0.0
) -> Iterator[FakeProviders]:
    with (
        serve(apollo.create_app(slow_seconds=slow_seconds, latency_seconds=apollo_latency_seconds)) as apollo_url,
        serve(hunter.create_app(slow_seconds=slow_seconds, pending_polls=pending_polls)) as hunter_url,
        serve(clearbit.create_app(slow_seconds=slow_seconds, pending_polls=pending_polls)) as clearbit_url,
    ):
        yield FakeProviders(apollo=apollo_url, hunter=hunter_url, clearbit=clearbit_url)


def adapter(
    name: str,
    client: httpx.AsyncClient,
    fakes: FakeProviders,
    *,
    timeout_seconds: float = 5.0,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Provider:
    if name == "apollo":
        return ApolloProvider(
            client, base_url=fakes.apollo, timeout_seconds=timeout_seconds, max_body_bytes=max_body_bytes
        )
    if name == "hunter":
        return HunterProvider(
            client, base_url=fakes.hunter, timeout_seconds=timeout_seconds, max_body_bytes=max_body_bytes
        )
    return ClearbitProvider(
        client,
        person_base_url=fakes.clearbit,
        company_base_url=fakes.clearbit,
        timeout_seconds=timeout_seconds,
        max_body_bytes=max_body_bytes,
    )


def query(kind: EntityKind, **inputs: str) -> ProviderQuery:
    return ProviderQuery(kind=kind, inputs=inputs)


async def ask(
    client: httpx.AsyncClient,
    fakes: FakeProviders,
    name: str,
    question: ProviderQuery,
    *,
    timeout_seconds: float = 5.0,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> ProviderResult:
    """One lookup with the right key, checked for what must hold of every result."""
    provider = adapter(name, client, fakes, timeout_seconds=timeout_seconds, max_body_bytes=max_body_bytes)
    result = await provider.lookup(question, KEYS[name])
    assert KEYS[name] not in result.detail
    if result.outcome is not Outcome.HIT:
        assert result.fields == {}
    return result
