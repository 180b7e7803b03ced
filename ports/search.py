"""The search index: documents kept from the records by replication, and the queries users type."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from domain.records.record import Record
from domain.search.reindex import Reindex
from domain.search.search import SearchDocument, SearchQuery, SearchResult, Tombstone


class SearchIndex(Protocol):
    """Every query is one workspace's: an index never answers with another workspace's document.

    Writes are idempotent and ordered by version: a document or tombstone older than what the index holds for
    its record changes nothing. An unreachable engine raises `SearchUnavailable`."""

    @abstractmethod
    async def write(self, documents: list[SearchDocument], tombstones: list[Tombstone]) -> dict[UUID, str]:
        """Keep the documents, forget the records of the tombstones; the records it could not write, by id,
        with why."""

    @abstractmethod
    async def search(self, query: SearchQuery) -> SearchResult: ...

    @abstractmethod
    async def versions(self, workspace_id: UUID) -> dict[UUID, int]:
        """Each live document of the workspace at its version (for checks that the index matches the records)."""


class SearchIndexBuilds(Protocol):
    """The index's generations: a new one built beside the live one, then made live at once.

    An index that lives in the records' own database may build in place: `start` then names the live index,
    and `swap` only clears the documents of records that are no longer there."""

    @abstractmethod
    async def live(self) -> str:
        """The name of the index searches read now."""

    @abstractmethod
    async def start(self) -> tuple[str, SearchIndex]:
        """A new, empty index (with what earlier builds left behind dropped) and a way to write into it."""

    @abstractmethod
    async def swap(self, name: str) -> None:
        """Make `name` the index searches read, in one step, and drop the one they read before."""

    @abstractmethod
    async def drop(self, name: str) -> None:
        """Forget a build that will not be finished (the live index is never dropped)."""

    @abstractmethod
    async def count(self) -> int:
        """Live documents in the live index, of every workspace."""


class SearchSource(Protocol):
    """The records as the database holds them now, every workspace's: what a rebuild copies."""

    @abstractmethod
    async def records_after(self, after: UUID | None, limit: int) -> list[Record]:
        """The next `limit` records by id, after `after`."""

    @abstractmethod
    async def count(self) -> int: ...


class Reindexes(Protocol):
    """The runs of reindex, the last one first."""

    @abstractmethod
    async def begin(self, reindex: Reindex) -> None:
        """Keep a new run; `ReindexRunning` while another runs (one abandoned is marked failed and gives way)."""

    @abstractmethod
    async def save(self, reindex: Reindex) -> None: ...

    @abstractmethod
    async def get(self, reindex_id: UUID) -> Reindex | None: ...

    @abstractmethod
    async def latest(self) -> Reindex | None: ...
