from __future__ import annotations

from uuid import UUID

from domain.search.search import SearchDocument, SearchQuery, SearchResult, Tombstone, run_query


class MemorySearchIndex:
    """The index in this process: each record's newest document (or tombstone), by record id. A rebuild fills
    another of these, whose documents then become this one's."""

    def __init__(self) -> None:
        self._documents: dict[UUID, SearchDocument | Tombstone] = {}
        self._generation = 1
        self._builds: dict[str, MemorySearchIndex] = {}

    async def write(self, documents: list[SearchDocument], tombstones: list[Tombstone]) -> dict[UUID, str]:
        everything: list[SearchDocument | Tombstone] = [*documents, *tombstones]
        for written in everything:
            held = self._documents.get(written.record_id)
            if held is None or held.version < written.version:
                self._documents[written.record_id] = written
        return {}

    async def search(self, query: SearchQuery) -> SearchResult:
        live = [d for d in self._documents.values() if isinstance(d, SearchDocument)]
        return run_query(live, query)

    async def versions(self, workspace_id: UUID) -> dict[UUID, int]:
        return {
            d.record_id: d.version
            for d in self._documents.values()
            if isinstance(d, SearchDocument) and d.workspace_id == workspace_id
        }

    async def live(self) -> str:
        return f"memory-v{self._generation}"

    async def start(self) -> tuple[str, MemorySearchIndex]:
        self._builds.clear()
        name, build = f"memory-v{self._generation + 1}", MemorySearchIndex()
        self._builds[name] = build
        return name, build

    async def swap(self, name: str) -> None:
        self._documents = self._builds.pop(name)._documents
        self._generation += 1

    async def drop(self, name: str) -> None:
        self._builds.pop(name, None)

    async def count(self) -> int:
        return sum(1 for d in self._documents.values() if isinstance(d, SearchDocument))
