"""What platform admins see and do of the search index: its status, and rebuilding it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.access import authorize_platform_admin
from application.auth.get_current_user import GetCurrentUser
from application.search.reindex_search import SearchStatus
from application.search.search_sink import SearchSink
from domain.kernel.errors import NotFound
from domain.kernel.pagination import PageRequest
from domain.search.reindex import ABANDONED, Reindex
from domain.search.search import SearchUnavailable
from ports.replication import ReplicationReader
from ports.search import Reindexes, SearchIndexBuilds, SearchSource
from ports.system import Clock, IdGenerator


class SearchAdmin:
    """Rules: platform admins only (`actor_id` None: the operator's command line); one reindex at a time
    (`ReindexRunning`, a 409, while another runs); the status answers even when the engine does not, saying
    why in `last_error`."""

    def __init__(
        self,
        current: GetCurrentUser,
        builds: SearchIndexBuilds,
        source: SearchSource,
        reindexes: Reindexes,
        replication: ReplicationReader,
        sink: SearchSink,
        ids: IdGenerator,
        clock: Clock,
    ) -> None:
        self._current, self._builds, self._source, self._reindexes = current, builds, source, reindexes
        self._replication, self._sink, self._ids, self._clock = replication, sink, ids, clock

    async def status(self, actor_id: UUID | None) -> SearchStatus:
        await authorize_platform_admin(self._current, actor_id)
        index: str | None = None
        documents: int | None = None
        error: str | None = None
        try:
            index, documents = await self._builds.live(), await self._builds.count()
        except SearchUnavailable as exc:
            error = exc.message
        if error is None:
            newest = await self._replication.dead_letters(self._sink.name, PageRequest(limit=1))
            error = newest.items[0].last_error if newest.items else None
        return SearchStatus(
            index=index,
            documents=documents,
            records=await self._source.count(),
            replication=await self._replication.status(self._sink.name, self._clock.now()),
            last_error=error,
            reindex=_seen(latest, self._clock.now()) if (latest := await self._reindexes.latest()) else None,
        )

    async def start_reindex(self, actor_id: UUID | None) -> Reindex:
        """A new run, kept; the caller runs it (`RunReindex`)."""
        await authorize_platform_admin(self._current, actor_id)
        run = Reindex.begin(self._ids.new_id(), await self._source.count(), self._clock.now(), actor_id)
        await self._reindexes.begin(run)
        return run

    async def reindex(self, actor_id: UUID | None, reindex_id: UUID) -> Reindex:
        await authorize_platform_admin(self._current, actor_id)
        found = await self._reindexes.get(reindex_id)
        if found is None:
            raise NotFound("no such reindex")
        return _seen(found, self._clock.now())


def _seen(run: Reindex, now: datetime) -> Reindex:
    """A run whose process stopped is shown as the failure it is, before the next run records it."""
    if run.abandoned(now):
        return run.failed_with(ABANDONED, now)
    return run
