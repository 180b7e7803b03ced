from __future__ import annotations

from collections import Counter

from domain.credits.ledger import EntryKind
from domain.enrichment.circuit_breaker import Circuit
from domain.jobs.job import JobStatus


class MemoryMetrics:
    """Remembers what it was told, for tests to read: `counts` by event and labels, `credits` by kind."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, ...]] = Counter()
        self.credits: Counter[str] = Counter()
        self.circuits: dict[str, Circuit] = {}
        self.lag: dict[str, tuple[int, float, int]] = {}  # sink -> (events, seconds, dead letters)

    def provider_attempt(self, provider: str, outcome: str, latency_ms: float | None) -> None:
        self.counts["provider_attempt", provider, outcome] += 1

    def lookup_cache(self, provider: str, *, hit: bool) -> None:
        self.counts["lookup_cache", provider, "hit" if hit else "miss"] += 1

    def credits_moved(self, kind: EntryKind, amount: int) -> None:
        self.credits[kind.value] += amount

    def job_submitted(self) -> None:
        self.counts["job_submitted",] += 1

    def job_finished(self, status: JobStatus) -> None:
        self.counts["job_finished", status.value] += 1

    def job_record_done(self, outcome: str) -> None:
        self.counts["job_record_done", outcome] += 1

    def circuit_state(self, provider: str, circuit: Circuit) -> None:
        self.circuits[provider] = circuit

    def webhook_delivery(self, outcome: str, latency_ms: float | None) -> None:
        self.counts["webhook_delivery", outcome] += 1

    def replication_lag(self, sink: str, *, events: int, seconds: float, dead_letters: int) -> None:
        self.lag[sink] = (events, seconds, dead_letters)
