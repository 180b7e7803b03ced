"""P7: credits wasted, over a simulated provider mix with misses, repeats and an outage.

    make bench   (or: python -m tests.bench.credits_wasted)

2,000 enrichments of 600 distinct people (so most are asked again), through
the real waterfall and ledger on the memory adapters. Each simulated provider
comes to the same answer (hit or miss) for the same person every time; some
lookups are queued first (answered "pending" once or twice, then the answer,
as Clearbit and Hunter do) and a few never leave the queue. The waterfall
asks pending lookups again with the default patience of the synchronous
route, its waits passing in simulated time. One provider is down for a
stretch of the first pass (its circuit opens). Counted against the goal of
0: credits charged for misses by providers that do not bill misses, for
pending answers and on cache hits, and lookups charged twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from adapters.memory.credits import MemoryCreditReader
from adapters.memory.enrichment import MemoryCircuitBreaker
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from domain.credits.ledger import EntryKind
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import BY_NAME, REGISTRY
from domain.enrichment.schema import EntityKind, FieldValue, Outcome, ProviderQuery, ProviderResult
from domain.records.record import Record
from tests.support.builders.accounts import all_entries, funded_workspace
from tests.support.clock import ManualClock
from tests.support.waterfall import PaidWaterfall

PEOPLE, ENRICHMENTS = 600, 2000
WANTED = frozenset({"email", "title", "linkedinUrl", "location"})
ANSWERS = {
    "email": "person@example.com", "title": "CTO", "linkedinUrl": "https://www.linkedin.com/in/someone",
    "location": {"city": "Austin", "region": "TX", "country": "US"}, "emailStatus": "valid",
}  # fmt: skip
# The synchronous route's default patience (CASCADE_PENDING_*): asks at 0, 1, 3 and 7 s, within 10 s.
PATIENCE = Patience(deadline_seconds=10, first_wait_seconds=1, max_wait_seconds=8)


def roll(text: str) -> float:
    """A number in [0, 1), the same for the same text."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 2**32


class SimulatedProvider:
    """Deterministic per lookup: the same lookup always comes to the same answer, holding what the route it
    was asked on supplies. A share of lookups is queued first (pending for one or two asks), and a share of
    those never leaves the queue."""

    def __init__(self, name: str, hit_rate: float, pending_rate: float, stuck_rate: float = 0.0) -> None:
        self.name, self.hit_rate, self.pending_rate, self.stuck_rate = name, hit_rate, pending_rate, stuck_rate
        self.down = False
        self.calls = 0
        self.asks: Counter[str] = Counter()

    async def lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        self.calls += 1
        if self.down:
            return ProviderResult(outcome=Outcome.TRANSIENT, detail="503 from the simulated outage")
        lookup = f"{self.name}{sorted(query.inputs.items())}"
        self.asks[lookup] += 1
        queued = roll(lookup)
        if queued < self.stuck_rate or (queued < self.pending_rate and self.asks[lookup] <= 1 + int(queued * 1e6) % 2):
            return ProviderResult(outcome=Outcome.PENDING)
        if roll(lookup + ":answer") < self.hit_rate:
            supplied = BY_NAME[self.name].offers(query.kind, query.inputs) & ANSWERS.keys()  # what it was asked
            return ProviderResult(outcome=Outcome.HIT, fields={f: FieldValue(value=ANSWERS[f]) for f in supplied})
        return ProviderResult(outcome=Outcome.MISS)


def pending_lookups(attempts: list[Any], final: Callable[[Any], bool]) -> int:
    """Runs (enrichments) in which a provider answered pending and then, in the same run, `final`."""
    count = 0
    for run in attempts:
        waited = {a.provider for a in run if a.outcome == "pending"}
        count += sum(1 for a in run if a.provider in waited and final(a))
    return count


async def main() -> None:
    store, clock, ids = MemoryStore(), SystemClock(), Uuid7Generator()
    workspace = await funded_workspace(MemoryUnitOfWork(store), 10**6)
    providers = {
        "apollo": SimulatedProvider("apollo", hit_rate=0.45, pending_rate=0.0),
        "hunter": SimulatedProvider("hunter", hit_rate=0.35, pending_rate=0.05, stuck_rate=0.01),
        "clearbit": SimulatedProvider("clearbit", hit_rate=0.5, pending_rate=0.1, stuck_rate=0.02),
    }
    tick = ManualClock(seconds=0.0)  # the breaker's time: one enrichment a second
    breaker = MemoryCircuitBreaker(monotonic=tick)
    waits = ManualClock(seconds=0.0)  # the pending answers' waits: their own time, apart from the breaker's
    waterfall = PaidWaterfall(store, providers, breaker=breaker, monotonic=waits)
    attempts: list[Any] = []
    runs: list[list[Any]] = []
    paid: Counter[tuple[str, int]] = Counter()  # (provider, person) -> times a lookup was paid for
    for n in range(ENRICHMENTS):
        tick.advance(n - tick())
        providers["apollo"].down = 300 <= n < 450  # an outage during the first pass
        person = n % PEOPLE
        now = clock.now()
        record = Record(id=ids.new_id(), workspace_id=workspace.id, kind=EntityKind.PERSON,
                        inputs={"email": f"p{person}@example.com", "firstName": "P", "lastName": str(person),
                                "domain": "example.com"}, created_at=now, updated_at=now)  # fmt: skip
        result = await waterfall(record, WANTED, list(REGISTRY), run_id=f"run-{n}", max_credits=None,
                                 patience=PATIENCE, pause=waits.sleep)  # fmt: skip
        attempts += result.attempts
        runs.append(result.attempts)
        for attempt in result.attempts:
            if attempt.credits:
                paid[(attempt.provider, person)] += 1

    charged_non_billable_misses = sum(
        a.credits for a in attempts if a.outcome == "miss" and not BY_NAME[a.provider].miss_billable
    )
    charged_cache_hits = sum(a.credits for a in attempts if a.cached)
    charged_pending = sum(a.credits for a in attempts if a.outcome == "pending")
    charges = [e for e in await all_entries(MemoryCreditReader(store), workspace.id) if e.kind is EntryKind.CHARGE]
    double_charges = sum(n - 1 for n in paid.values() if n > 1)
    ledger_total = sum(e.amount for e in charges)
    outcomes = Counter(a.outcome for a in attempts)
    print(json.dumps({"benchmark": "P7", "enrichments": ENRICHMENTS, "distinct_people": PEOPLE,
                      "attempts": len(attempts), "outcomes": dict(outcomes),
                      "provider_calls": {k: p.calls for k, p in providers.items()},
                      "cached_answers": sum(1 for a in attempts if a.cached),
                      "pending_then_answered": pending_lookups(runs, lambda a: a.outcome in ("hit", "miss")),
                      "pending_then_found": pending_lookups(runs, lambda a: bool(a.fields)),
                      "simulated_wait_seconds": sum(waits.slept),
                      "credits_charged": ledger_total,
                      "credits_per_attempt_sum": sum(a.credits for a in attempts)}))  # fmt: skip
    print(json.dumps({"benchmark": "P7", "wasted_on_non_billable_misses": charged_non_billable_misses,
                      "wasted_on_pending_answers": charged_pending, "wasted_on_cache_hits": charged_cache_hits,
                      "double_charges": double_charges, "goal": 0}))  # fmt: skip
    wasted = charged_non_billable_misses + charged_pending + charged_cache_hits + double_charges
    if wasted or ledger_total != sum(a.credits for a in attempts):
        raise SystemExit("credits were wasted")


if __name__ == "__main__":
    asyncio.run(main())
