"""A record's waterfall paid on its own (PaidRun) on the memory adapters, with scripted providers."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from adapters.crypto.aes_gcm_box import AesGcmSecretBox
from adapters.crypto.keyring import parse_keyring
from adapters.memory.credentials import MemoryCredentialReader
from adapters.memory.enrichment import MemoryCircuitBreaker, MemoryLookupCache
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.providers.directory import ProviderMap
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.enrichment.paid_run import PaidRun
from application.enrichment.pending_lookups import Pause, sleep
from application.enrichment.provider_keys import ProviderKeys
from application.enrichment.settlement import Settlement
from application.enrichment.waterfall_run import WaterfallResult, WaterfallRun
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import ProviderSpec
from domain.records.record import Record
from ports.enrichment import EnrichmentProvider
from ports.unit_of_work import UnitOfWork
from tests.conftest import TEST_KEYS


class PaidWaterfall:
    """Runs the waterfall for a record and settles it the way the enrich route does, saving no record: the
    ledger and the cache move, the store's records do not. Each provider is called with a platform key."""

    def __init__(
        self,
        store: MemoryStore,
        providers: Mapping[str, EnrichmentProvider],
        *,
        breaker: MemoryCircuitBreaker | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        clock, ids, cache = SystemClock(), Uuid7Generator(), MemoryLookupCache()
        directory = ProviderMap(providers, {name: f"platform-{name}" for name in providers})
        keys = ProviderKeys(MemoryCredentialReader(store), AesGcmSecretBox(parse_keyring(TEST_KEYS["encryption_keys"])),
                            directory)  # fmt: skip
        self.breaker = breaker or MemoryCircuitBreaker()
        run = WaterfallRun(directory, keys, self.breaker, cache, clock, timedelta(days=30), monotonic=monotonic)
        self.paid = PaidRun(run, Settlement(MemoryUnitOfWork(store), cache, clock, ids), MemoryUnitOfWork(store))

    async def __call__(
        self,
        record: Record,
        wanted: frozenset[str],
        order: list[ProviderSpec],
        *,
        run_id: str,
        max_credits: int | None,
        patience: Patience,
        pause: Pause = sleep,
    ) -> WaterfallResult:
        result, _ = await self.paid(
            record, wanted, order, run_id=run_id, max_credits=max_credits, patience=patience, pause=pause,
            save=_nothing,
        )  # fmt: skip
        return result


async def _nothing(uow: UnitOfWork, result: WaterfallResult) -> None:
    return None
