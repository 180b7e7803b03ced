from __future__ import annotations

from types import TracebackType
from typing import Self

import adapters.memory
from adapters.contributions import contributed
from adapters.memory.store import MemoryStore, Tables
from ports.unit_of_work import UnitOfWork

# The repositories a unit of work carries, by the attribute `UnitOfWork` names them: what the contexts of this
# adapter contribute (a contract test checks that this covers the port exactly).
REPOSITORIES = contributed(adapters.memory, skip=__name__)


class MemoryUnitOfWork(UnitOfWork):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def _bind(self, tables: Tables) -> None:
        self._tables = tables
        for name, repository in REPOSITORIES.items():
            setattr(self, name, repository(tables))

    async def __aenter__(self) -> Self:
        await self._store.write_lock.acquire()
        self._bind(self._store.tables.copy())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._store.write_lock.release()

    async def commit(self) -> None:
        if not self._tables.aborted:
            self._store.tables = self._tables
        self._bind(self._store.tables.copy())
