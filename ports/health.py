from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Literal, Protocol

Status = Literal["ok", "degraded", "down"]


@dataclass(slots=True, kw_only=True, frozen=True)
class ComponentHealth:
    name: str
    status: Status
    latency_ms: float
    detail: str = ""
    required: bool = True


class HealthProbe(Protocol):
    @abstractmethod
    async def check(self) -> ComponentHealth: ...


class DatabaseProbe(HealthProbe, Protocol):
    """The system of record; when it is down Cascade is not ready."""


class CacheProbe(HealthProbe, Protocol):
    """Redis; optional: without it Cascade runs degraded."""


class WorkflowProbe(HealthProbe, Protocol):
    """Temporal; optional for the API: without it jobs wait (the API still serves everything else)."""


class ReplicationProbe(HealthProbe, Protocol):
    """How far behind the outbox the sinks are; optional: records are served whatever the index does."""
