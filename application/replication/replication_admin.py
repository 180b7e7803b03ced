"""What platform admins see and do of replication: each sink's lag, its dead letters, replaying and discarding
them."""

from __future__ import annotations

from uuid import UUID

from application.access import authorize_platform_admin
from application.auth.get_current_user import GetCurrentUser
from domain.kernel.errors import NotFound
from domain.kernel.events import Event
from domain.kernel.pagination import Page, PageRequest
from domain.replication.replication import ConsumerStatus, Failure
from ports.replication import ReplicationReader, ReplicationSink
from ports.system import Clock


class ReplicationAdmin:
    """Rules: platform admins only (`Forbidden` for anyone else); a sink is named as it is configured (an
    unknown one is `NotFound`); replaying gives dead letters one more attempt each, at once (one that fails
    again is dead again, its error updated); discarding forgets them (the sink never applies them)."""

    def __init__(
        self, current: GetCurrentUser, reader: ReplicationReader, sinks: list[ReplicationSink], clock: Clock
    ) -> None:
        self._current, self._reader, self._clock = current, reader, clock
        self._sinks = [sink.name for sink in sinks]

    async def status(self, actor_id: UUID | None) -> list[ConsumerStatus]:
        await self._admin(actor_id)
        return [await self._reader.status(name, self._clock.now()) for name in self._sinks]

    async def dead_letters(self, actor_id: UUID | None, sink: str, page: PageRequest) -> Page[Failure]:
        await self._admin(actor_id, sink)
        return await self._reader.dead_letters(sink, page)

    async def dead_letter(self, actor_id: UUID | None, sink: str, event_id: UUID) -> tuple[Failure, Event | None]:
        await self._admin(actor_id, sink)
        found = await self._reader.failure(sink, event_id)
        if found is None or not found[0].dead:
            raise NotFound("no such dead letter")
        return found

    async def replay(self, actor_id: UUID | None, sink: str, event_ids: list[UUID] | None) -> int:
        await self._admin(actor_id, sink)
        replayed = await self._reader.replay(sink, event_ids, self._clock.now())
        if event_ids is not None and replayed == 0:
            raise NotFound("no such dead letter")
        return replayed

    async def discard(self, actor_id: UUID | None, sink: str, event_ids: list[UUID] | None) -> int:
        await self._admin(actor_id, sink)
        discarded = await self._reader.discard(sink, event_ids)
        if event_ids is not None and discarded == 0:
            raise NotFound("no such dead letter")
        return discarded

    async def _admin(self, actor_id: UUID | None, sink: str | None = None) -> None:
        await authorize_platform_admin(self._current, actor_id)
        if sink is not None and sink not in self._sinks:
            raise NotFound(f"no sink {sink!r}; sinks: {', '.join(self._sinks)}")
