"""P7: credits wasted, over a simulated provider mix with misses, repeats and an outage.

    make bench   (or: python -m tests.bench.credits_wasted)

2,000 enrichments of 600 distinct people (so most are asked again), through
the real waterfall and ledger on the memory adapters. Each simulated provider
answers the same person the same way every time (hit, miss or pending), and
one provider is down for a stretch of the first pass (its circuit opens). Counted against the goal of
0: credits charged for misses by providers that do not bill misses, credits
charged on cache hits, and lookups charged twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from datetime import timedelta
from typing import Any

from adapters.crypto.aes_gcm_box import AesGcmSecretBox
from adapters.crypto.keyring import parse_keyring
from adapters.memory.circuit_breaker import MemoryCircuitBreaker
from adapters.memory.credentials import MemoryCredentialReader
from adapters.memory.credits import MemoryCreditReader
from adapters.memory.lookup_cache import MemoryLookupCache
from adapters.memory.providers import ProviderMap
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.enrichment.provider_keys import ProviderKeys
from application.enrichment.waterfall_run import WaterfallRun
from domain.credits import EntryKind
from domain.enrichment import EntityKind, FieldValue, Outcome, ProviderQuery, ProviderResult
from domain.provider_registry import BY_NAME, REGISTRY
from domain.records import Record
from tests.conftest import TEST_KEYS
from tests.contract.builders import all_entries, funded_workspace

PEOPLE, ENRICHMENTS = 600, 2000
WANTED = frozenset({"email", "title", "linkedinUrl", "location"})
ANSWERS = {
    "email": "person@example.com", "title": "CTO", "linkedinUrl": "https://www.linkedin.com/in/someone",
    "location": {"city": "Austin", "region": "TX", "country": "US"}, "emailStatus": "valid",
}  # fmt: skip


class SimulatedProvider:
    """Deterministic per person: the same lookup always gets the same answer."""

    def __init__(self, name: str, hit_rate: float, pending_rate: float) -> None:
        self.name, self.hit_rate, self.pending_rate = name, hit_rate, pending_rate
        self.down = False
        self.calls = 0

    async def lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        self.calls += 1
        if self.down:
            return ProviderResult(outcome=Outcome.TRANSIENT, detail="503 from the simulated outage")
        roll = int(hashlib.sha256(f"{self.name}{sorted(query.inputs.items())}".encode()).hexdigest()[:8], 16) / 2**32
        if roll < self.pending_rate:
            return ProviderResult(outcome=Outcome.PENDING)
        if roll < self.pending_rate + self.hit_rate:
            supplied = BY_NAME[self.name].supplies[EntityKind.PERSON] & ANSWERS.keys()
            return ProviderResult(outcome=Outcome.HIT, fields={f: FieldValue(value=ANSWERS[f]) for f in supplied})
        return ProviderResult(outcome=Outcome.MISS)


async def main() -> None:
    store, clock, ids = MemoryStore(), SystemClock(), Uuid7Generator()
    workspace = await funded_workspace(MemoryUnitOfWork(store), 10**6)
    providers = {
        "apollo": SimulatedProvider("apollo", hit_rate=0.45, pending_rate=0.0),
        "hunter": SimulatedProvider("hunter", hit_rate=0.35, pending_rate=0.05),
        "clearbit": SimulatedProvider("clearbit", hit_rate=0.5, pending_rate=0.1),
    }
    directory = ProviderMap(providers, dict.fromkeys(providers, "platform-key"))
    keys = ProviderKeys(MemoryCredentialReader(store), AesGcmSecretBox(parse_keyring(TEST_KEYS["encryption_keys"])),
                        directory)  # fmt: skip
    tick = [0.0]  # simulated seconds for the breaker: one enrichment a second
    breaker = MemoryCircuitBreaker(monotonic=lambda: tick[0])
    waterfall = WaterfallRun(MemoryUnitOfWork(store), directory, keys, breaker, MemoryLookupCache(),
                             clock, ids, timedelta(days=30))  # fmt: skip
    attempts: list[Any] = []
    paid: Counter[tuple[str, int]] = Counter()  # (provider, person) -> times a lookup was paid for
    for n in range(ENRICHMENTS):
        tick[0] = float(n)
        providers["apollo"].down = 300 <= n < 450  # an outage during the first pass
        person = n % PEOPLE
        now = clock.now()
        record = Record(id=ids.new_id(), workspace_id=workspace.id, kind=EntityKind.PERSON,
                        inputs={"email": f"p{person}@example.com", "firstName": "P", "lastName": str(person),
                                "domain": "example.com"}, created_at=now, updated_at=now)  # fmt: skip
        result = await waterfall(record, WANTED, list(REGISTRY), run_id=f"run-{n}", max_credits=None)
        attempts += result.attempts
        for attempt in result.attempts:
            if attempt.credits:
                paid[(attempt.provider, person)] += 1

    charged_non_billable_misses = sum(
        a.credits for a in attempts if a.outcome == "miss" and not BY_NAME[a.provider].miss_billable
    )
    charged_cache_hits = sum(a.credits for a in attempts if a.cached)
    charges = [e for e in await all_entries(MemoryCreditReader(store), workspace.id) if e.kind is EntryKind.CHARGE]
    double_charges = sum(n - 1 for n in paid.values() if n > 1)
    ledger_total = sum(e.amount for e in charges)
    outcomes = Counter(a.outcome for a in attempts)
    print(json.dumps({"benchmark": "P7", "enrichments": ENRICHMENTS, "distinct_people": PEOPLE,
                      "attempts": len(attempts), "outcomes": dict(outcomes),
                      "provider_calls": {k: p.calls for k, p in providers.items()},
                      "cached_answers": sum(1 for a in attempts if a.cached),
                      "credits_charged": ledger_total,
                      "credits_per_attempt_sum": sum(a.credits for a in attempts)}))  # fmt: skip
    print(json.dumps({"benchmark": "P7", "wasted_on_non_billable_misses": charged_non_billable_misses,
                      "wasted_on_cache_hits": charged_cache_hits, "double_charges": double_charges,
                      "goal": 0}))  # fmt: skip
    wasted = charged_non_billable_misses + charged_cache_hits + double_charges
    if wasted or ledger_total != sum(a.credits for a in attempts):
        raise SystemExit("credits were wasted")


if __name__ == "__main__":
    asyncio.run(main())
