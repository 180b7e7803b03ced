"""Operations: health and readiness."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.ops.check_health import CheckHealth
from ports.health import CacheProbe, DatabaseProbe, ReplicationProbe, WorkflowProbe


class OpsWiring(Provider):
    scope = Scope.APP

    @provide
    def check_health(
        self, database: DatabaseProbe, cache: CacheProbe, workflows: WorkflowProbe, replication: ReplicationProbe
    ) -> CheckHealth:
        return CheckHealth(database, cache, workflows, replication)
