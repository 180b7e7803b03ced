"""The search index: documents kept from the records by replication, and the queries users type."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

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
