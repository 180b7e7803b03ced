"""The composition root: the one container of a process, from one provider per technology and one per context.

A new context adds its provider to `providers` (one line); nothing else here changes.
"""

from __future__ import annotations

from dishka import AsyncContainer, Provider, make_async_container

from entrypoints.wiring.audit import AuditWiring
from entrypoints.wiring.background import BackgroundWiring
from entrypoints.wiring.credentials import CredentialsWiring
from entrypoints.wiring.credits import CreditsWiring
from entrypoints.wiring.enrichment import EnrichmentWiring
from entrypoints.wiring.identity import IdentityWiring
from entrypoints.wiring.jobs import JobWiring
from entrypoints.wiring.limits import LimitsWiring, shared_state
from entrypoints.wiring.metrics import MetricsWiring, PoolMetricsWiring
from entrypoints.wiring.ops import OpsWiring
from entrypoints.wiring.records import RecordsWiring
from entrypoints.wiring.search import SearchWiring
from entrypoints.wiring.settings import ConfigError, Settings
from entrypoints.wiring.storage import storage
from entrypoints.wiring.system import CryptoWiring, SystemWiring
from entrypoints.wiring.team import TeamWiring
from entrypoints.wiring.topology import Topology
from entrypoints.wiring.webhooks import WebhookWiring
from entrypoints.wiring.workspaces import WorkspacesWiring


def providers(topology: Topology, settings: Settings) -> list[Provider]:
    technologies = [
        SystemWiring(),
        CryptoWiring(),
        storage(topology),
        shared_state(topology),
        MetricsWiring(),  # after the shared state: it decorates the circuit breaker
        *([] if topology.in_memory else [PoolMetricsWiring()]),
    ]
    contexts = [
        IdentityWiring(topology),
        WorkspacesWiring(topology),
        TeamWiring(topology),
        CredentialsWiring(topology),
        CreditsWiring(topology),
        AuditWiring(topology),
        RecordsWiring(topology),
        EnrichmentWiring(topology),
        JobWiring(topology),
        WebhookWiring(topology),
        SearchWiring(topology, settings),
        LimitsWiring(),
        OpsWiring(),
        BackgroundWiring(),
    ]
    return [*technologies, *contexts]


def build_container(settings: Settings, *extra: Provider) -> AsyncContainer:
    """The one container of a process. Nothing is built until first asked for."""
    if settings.profile != "memory" and not settings.database.url:
        raise ConfigError("CASCADE_DATABASE_URL: required by the local and production profiles")
    topology = Topology.of(settings)
    return make_async_container(
        *providers(topology, settings), *extra, context={Settings: settings, Topology: topology}
    )
