"""dishka wiring of search and replication: the index of the storage in use, the sinks, the replicator."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AnyOf, AsyncContainer, Provider, Scope, provide
from opensearchpy import AsyncOpenSearch

from adapters.memory.replication import MemoryReplicationReader
from adapters.memory.search import MemorySearchIndex
from adapters.memory.search_rebuild import MemoryReindexes, MemorySearchSource
from adapters.opensearch.search import OpenSearchIndex
from adapters.postgres.replication import PostgresReplicationReader
from adapters.postgres.search import PostgresSearchIndex
from adapters.postgres.search_rebuild import PostgresReindexes, PostgresSearchSource
from application.replication.drain_outbox import DrainOutbox
from application.replication.replication_admin import ReplicationAdmin
from application.replication.replication_lag import ReplicationLag
from application.replication.replicator import ReplicationTuning, Replicator
from application.search.reindex_search import ReindexInBackground, ReindexTuning, RunReindex
from application.search.search_admin import SearchAdmin
from application.search.search_records import SearchRecords
from application.search.search_sink import SearchSink
from domain.replication.replication import RetryPolicy
from entrypoints.wiring.settings import Settings
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.health import ReplicationProbe
from ports.metrics import Metrics
from ports.records import RecordReader
from ports.replication import ReplicationReader, ReplicationSink
from ports.search import Reindexes, SearchIndex, SearchIndexBuilds, SearchSource
from ports.system import Clock
from ports.unit_of_work import UnitOfWork


class SearchWiring(Provider):
    scope = Scope.APP

    def __init__(self, topology: Topology, settings: Settings) -> None:
        super().__init__()
        index = AnyOf[SearchIndex, SearchIndexBuilds]
        if settings.opensearch_url:
            self.provide(self.opensearch, provides=index)
        else:
            self.provide(MemorySearchIndex if topology.in_memory else PostgresSearchIndex, provides=index)
        provide_reader(self, topology, SearchSource, memory=MemorySearchSource, postgres=PostgresSearchSource)
        provide_reader(self, topology, Reindexes, memory=MemoryReindexes, postgres=PostgresReindexes)
        provide_reader(
            self, topology, ReplicationReader, memory=MemoryReplicationReader, postgres=PostgresReplicationReader
        )

    @provide
    def search_sink(self, index: SearchIndex, records: RecordReader, settings: Settings) -> SearchSink:
        return SearchSink(index, records, "opensearch" if settings.opensearch_url else "search")

    async def opensearch(self, settings: Settings) -> AsyncIterator[OpenSearchIndex]:
        client = AsyncOpenSearch(hosts=[settings.opensearch_url], timeout=settings.opensearch_timeout_seconds)
        yield OpenSearchIndex(client, settings.opensearch_index)
        await client.close()

    @provide
    def tuning(self, settings: Settings) -> ReplicationTuning:
        return ReplicationTuning(batch=settings.replication.batch, poll_seconds=settings.replication.poll_seconds)

    @provide
    def retry_policy(self, settings: Settings) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=settings.replication.max_attempts,
            first_wait_seconds=settings.replication.first_retry_seconds,
            max_wait_seconds=settings.replication.max_retry_seconds,
        )

    @provide
    def sinks(self, search: SearchSink) -> list[ReplicationSink]:
        return [search]

    @provide(scope=Scope.REQUEST)
    def drain_outbox(
        self, uow: UnitOfWork, clock: Clock, policy: RetryPolicy, tuning: ReplicationTuning
    ) -> DrainOutbox:
        return DrainOutbox(uow, clock, policy, batch=tuning.batch)

    @provide
    async def replicator(
        self,
        container: AsyncContainer,
        sinks: list[ReplicationSink],
        tuning: ReplicationTuning,
        lag: ReplicationLag,
    ) -> AsyncIterator[Replicator]:
        async def drain(sink: ReplicationSink) -> int:
            async with container() as scope:
                return await (await scope.get(DrainOutbox))(sink)

        replicator = Replicator(sinks, drain, tuning, measure=lag.statuses)
        yield replicator
        await replicator.stop()

    search_records = provide(SearchRecords, scope=Scope.REQUEST)
    search_admin = provide(SearchAdmin, scope=Scope.REQUEST)
    run_reindex = provide(RunReindex)

    @provide
    def reindex_tuning(self, settings: Settings) -> ReindexTuning:
        return ReindexTuning(batch=settings.replication.batch)

    @provide
    async def reindex_in_background(self, run: RunReindex) -> AsyncIterator[ReindexInBackground]:
        background = ReindexInBackground(run)
        yield background
        await background.stop()

    replication_admin = provide(ReplicationAdmin, scope=Scope.REQUEST)

    @provide
    def lag(
        self,
        reader: ReplicationReader,
        sinks: list[ReplicationSink],
        clock: Clock,
        metrics: Metrics,
        settings: Settings,
    ) -> ReplicationLag:
        return ReplicationLag(reader, sinks, clock, metrics, settings.replication.lag_degraded_seconds)

    @provide
    def probe(self, lag: ReplicationLag) -> ReplicationProbe:
        return lag
