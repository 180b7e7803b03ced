"""`cascade replication status|replay`: each sink's lag and dead letters, and replaying them, from a shell."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID

from application.replication.replication_admin import ReplicationAdmin
from entrypoints.wiring.container import build_container
from entrypoints.wiring.settings import Settings


def replication_status(settings: Settings) -> list[dict[str, object]]:
    async def run() -> list[dict[str, object]]:
        container = build_container(settings)
        try:
            async with container() as request:
                statuses = await (await request.get(ReplicationAdmin)).status(None)
        finally:
            await container.close()
        return [
            {"sink": s.name, "applied": s.applied, "behind": s.behind, "secondsBehind": round(s.seconds_behind, 3),
             "retrying": s.retrying, "deadLetters": s.dead,
             "updatedAt": s.updated_at.isoformat() if s.updated_at else None}
            for s in statuses
        ]  # fmt: skip

    return asyncio.run(run())


def replay(settings: Settings, sink: str, event_ids: list[UUID] | None) -> int:
    async def run() -> int:
        container = build_container(settings)
        try:
            async with container() as request:
                return await (await request.get(ReplicationAdmin)).replay(None, sink, event_ids)
        finally:
            await container.close()

    return asyncio.run(run())


def print_status(settings: Settings) -> None:
    for line in replication_status(settings):
        print(json.dumps(line))
