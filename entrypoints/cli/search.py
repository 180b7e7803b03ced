"""`cascade search status|reindex`: the search index against the records, and rebuilding it from a shell."""

from __future__ import annotations

import json
from typing import Any

from dishka import AsyncContainer

from application.search.reindex_search import RunReindex
from application.search.search_admin import SearchAdmin
from domain.search.reindex import Reindex, ReindexStatus
from entrypoints.cli.in_container import in_container
from entrypoints.wiring.settings import Settings


def reindex_line(run: Reindex) -> dict[str, Any]:
    return {
        "id": str(run.id), "status": run.status.value, "phase": run.phase.value, "index": run.index,
        "total": run.total, "copied": run.copied, "caughtUp": run.caught_up, "failed": run.failed,
        "error": run.error,
    }  # fmt: skip


def print_status(settings: Settings) -> None:
    async def status(request: AsyncContainer) -> dict[str, Any]:
        found = await (await request.get(SearchAdmin)).status(None)
        lag = found.replication
        return {
            "index": found.index, "documents": found.documents, "records": found.records,
            "behind": lag.behind, "secondsBehind": round(lag.seconds_behind, 3), "deadLetters": lag.dead,
            "lastError": found.last_error, "reindex": reindex_line(found.reindex) if found.reindex else None,
        }  # fmt: skip

    print(json.dumps(in_container(settings, status)))


def reindex(settings: Settings) -> bool:
    """Rebuild in this process, a JSON line of progress at each step that moves it by a tenth or more."""

    async def run(request: AsyncContainer) -> Reindex:
        begun = await (await request.get(SearchAdmin)).start_reindex(None)
        shown = [-1]

        def progress(run: Reindex) -> None:
            step = (run.copied + run.caught_up) * 10 // max(run.total, 1)
            if step > shown[0] or run.finished:
                shown[0] = step
                print(json.dumps(reindex_line(run)), flush=True)

        return await (await request.get(RunReindex))(begun, progress)

    return in_container(settings, run).status is ReindexStatus.SUCCEEDED
