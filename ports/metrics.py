"""What the core tells operators it did: counts, amounts and latencies for dashboards and alerts.

Methods say what happened, in words of the domain; an adapter turns them into time series. Arguments are
low-cardinality by design (a provider's name, an outcome, a status): never an id, an email or a URL.
They are called in process and must not block, hence not async, like `Clock`.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from domain.credits.ledger import EntryKind
from domain.enrichment.circuit_breaker import Circuit
from domain.jobs.job import JobStatus


class Metrics(Protocol):
    @abstractmethod
    def provider_attempt(self, provider: str, outcome: str, latency_ms: float | None) -> None:
        """A provider was called and answered `outcome` (an `Outcome` value) after `latency_ms`; or, with
        `latency_ms` None, it was skipped (`outcome` "skipped": no key, circuit open) without a call."""

    @abstractmethod
    def lookup_cache(self, provider: str, *, hit: bool) -> None:
        """The lookup cache was asked for a provider's answer."""

    @abstractmethod
    def credits_moved(self, kind: EntryKind, amount: int) -> None:
        """A ledger entry of `kind` moving `amount` credits was committed (a replayed key moves nothing)."""

    @abstractmethod
    def job_submitted(self) -> None: ...

    @abstractmethod
    def job_finished(self, status: JobStatus) -> None: ...

    @abstractmethod
    def job_record_done(self, outcome: str) -> None:
        """A job's record was saved as done: a `RecordStatus` value, or `missing` (deleted meanwhile)."""

    @abstractmethod
    def circuit_state(self, provider: str, circuit: Circuit) -> None:
        """A provider's circuit, as this process last saw it."""

    @abstractmethod
    def webhook_delivery(self, outcome: str, latency_ms: float | None) -> None:
        """A delivery attempt was recorded: `succeeded`, `failed` (retried later) or `dead_lettered`; a delivery
        dead-lettered without an attempt (its webhook inactive) has no latency."""

    @abstractmethod
    def replication_lag(self, sink: str, *, events: int, seconds: float, dead_letters: int) -> None:
        """A sink's distance behind the outbox as last measured: events waiting, the oldest one's age, and its
        dead letters."""


class NoMetrics:
    """Counts nothing: the default of use cases built without a `Metrics` (tests, tools)."""

    def provider_attempt(self, provider: str, outcome: str, latency_ms: float | None) -> None:
        pass

    def lookup_cache(self, provider: str, *, hit: bool) -> None:
        pass

    def credits_moved(self, kind: EntryKind, amount: int) -> None:
        pass

    def job_submitted(self) -> None:
        pass

    def job_finished(self, status: JobStatus) -> None:
        pass

    def job_record_done(self, outcome: str) -> None:
        pass

    def circuit_state(self, provider: str, circuit: Circuit) -> None:
        pass

    def webhook_delivery(self, outcome: str, latency_ms: float | None) -> None:
        pass

    def replication_lag(self, sink: str, *, events: int, seconds: float, dead_letters: int) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()
