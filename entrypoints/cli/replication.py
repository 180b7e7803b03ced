"""`cascade replication status|replay`: each sink's lag and dead letters, and replaying them, from a shell."""

from __future__ import annotations

import json
from uuid import UUID

from dishka import AsyncContainer

from application.replication.replication_admin import ReplicationAdmin
from entrypoints.cli.in_container import in_container
from entrypoints.wiring.settings import Settings


def replication_status(settings: Settings) -> list[dict[str, object]]:
    async def run(request: AsyncContainer) -> list[dict[str, object]]:
        statuses = await (await request.get(ReplicationAdmin)).status(None)
        return [
            {"sink": s.name, "applied": s.applied, "behind": s.behind, "secondsBehind": round(s.seconds_behind, 3),
             "retrying": s.retrying, "deadLetters": s.dead,
             "updatedAt": s.updated_at.isoformat() if s.updated_at else None}
            for s in statuses
        ]  # fmt: skip

    return in_container(settings, run)


def replay(settings: Settings, sink: str, event_ids: list[UUID] | None) -> int:
    async def run(request: AsyncContainer) -> int:
        return await (await request.get(ReplicationAdmin)).replay(None, sink, event_ids)

    return in_container(settings, run)


def print_status(settings: Settings) -> None:
    for line in replication_status(settings):
        print(json.dumps(line))
