from __future__ import annotations

from ports.health import ComponentHealth


class StaticProbe:
    """A component served in process: always up, with a note on what it stands for."""

    def __init__(self, name: str, detail: str) -> None:
        self._health = ComponentHealth(name=name, status="ok", latency_ms=0.0, detail=detail, required=False)

    async def check(self) -> ComponentHealth:
        return self._health
