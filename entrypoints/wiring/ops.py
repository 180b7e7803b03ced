"""Operations: health and readiness."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.ops.check_health import CheckHealth


class OpsWiring(Provider):
    scope = Scope.APP
    check_health = provide(CheckHealth)
