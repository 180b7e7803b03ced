"""Where each part of Cascade runs, decided once from the settings; providers and processes ask for it."""

from __future__ import annotations

from dataclasses import dataclass

from entrypoints.wiring.settings import Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class Topology:
    in_memory: bool  # the memory profile: every store in this process, nothing survives a restart
    shared_limits: bool  # Redis: rate limits, circuit breakers and the cache shared by every process
    workflows: bool  # Temporal: jobs and webhook deliveries run in the worker, not in the API

    @classmethod
    def of(cls, settings: Settings) -> Topology:
        return cls(
            in_memory=settings.profile == "memory",
            shared_limits=bool(settings.redis_url),
            workflows=bool(settings.temporal.address),
        )
