"""A run (a request, or a job's batch) reads each workspace's key for a provider once, however many of its
records ask together; a read that failed is tried again, and the next run reads afresh."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from adapters.crypto.aes_gcm_box import AesGcmSecretBox
from adapters.crypto.keyring import parse_keyring
from adapters.memory.credentials import MemoryCredentialReader
from adapters.memory.enrichment import MemoryCircuitBreaker, MemoryLookupCache
from adapters.memory.store import MemoryStore
from adapters.providers.directory import ProviderMap, ScriptedProvider
from adapters.system.clock import SystemClock
from application.enrichment.provider_keys import ProviderKeys
from application.enrichment.waterfall_run import WaterfallRun
from domain.credentials.credential import Credential
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import BY_NAME
from domain.enrichment.schema import EntityKind, FieldValue, Outcome, ProviderResult
from domain.kernel.errors import ServiceUnavailable
from domain.records.record import Record
from tests.conftest import TEST_KEYS

HIT = ProviderResult(outcome=Outcome.HIT, fields={"title": FieldValue(value="CTO")})


class CountingCredentials(MemoryCredentialReader):
    """No credential of the workspace's own (so the platform key is used); counts the reads, and fails the
    first `failures` of them."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__(MemoryStore())
        self.reads = 0
        self._failures = failures

    async def newest_for_provider(self, workspace_id: UUID, provider: str) -> Credential | None:
        self.reads += 1
        await asyncio.sleep(0)  # the others ask meanwhile
        if self.reads <= self._failures:
            raise ServiceUnavailable("the database is away")
        return await super().newest_for_provider(workspace_id, provider)


def run_over(credentials: CountingCredentials, apollo: ScriptedProvider) -> WaterfallRun:
    directory = ProviderMap({"apollo": apollo}, {"apollo": "platform-apollo"})
    keys = ProviderKeys(credentials, AesGcmSecretBox(parse_keyring(TEST_KEYS["encryption_keys"])), directory)
    return WaterfallRun(directory, keys, MemoryCircuitBreaker(), MemoryLookupCache(), SystemClock(),
                        timedelta(days=30))  # fmt: skip


def person(workspace_id: UUID, n: int) -> Record:
    now = SystemClock().now()
    return Record(id=uuid4(), workspace_id=workspace_id, kind=EntityKind.PERSON,
                  inputs={"email": f"p{n}@example.com"}, created_at=now, updated_at=now)  # fmt: skip


async def enrich(run: WaterfallRun, record: Record) -> str:
    result = await run(record, frozenset({"title"}), [BY_NAME["apollo"]], run_id="r", reservation=uuid4(),
                       patience=Patience(deadline_seconds=0))  # fmt: skip
    return result.attempts[-1].outcome


async def test_records_asking_together_read_the_key_once() -> None:
    credentials, apollo = CountingCredentials(), ScriptedProvider("apollo", HIT)
    run, workspace = run_over(credentials, apollo), uuid4()

    outcomes = await asyncio.gather(*(enrich(run, person(workspace, n)) for n in range(20)))

    assert outcomes == ["hit"] * 20
    assert credentials.reads == 1
    assert len(apollo.calls) == 20


async def test_each_workspace_and_each_run_reads_its_own() -> None:
    credentials, apollo = CountingCredentials(), ScriptedProvider("apollo", HIT)
    run = run_over(credentials, apollo)
    first, second = uuid4(), uuid4()

    await enrich(run, person(first, 1))
    await enrich(run, person(second, 2))
    await enrich(run, person(first, 3))
    await enrich(run_over(credentials, apollo), person(first, 4))

    assert credentials.reads == 3


async def test_a_failed_read_is_tried_again_by_the_next_record() -> None:
    credentials, apollo = CountingCredentials(failures=1), ScriptedProvider("apollo", HIT)
    run, workspace = run_over(credentials, apollo), uuid4()

    with pytest.raises(ServiceUnavailable):
        await enrich(run, person(workspace, 1))
    second = await enrich(run, person(workspace, 2))

    assert (second, credentials.reads) == ("hit", 2)
