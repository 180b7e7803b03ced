from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.access import authorize
from domain.kernel.errors import ErrorDetail, ValidationFailed
from domain.kernel.permissions import Action
from domain.search.search import SearchCursor, SearchQuery, SearchResult, Sort, check_filters, read_terms
from ports.search import SearchIndex
from ports.workspaces import WorkspaceReader

MAX_LIMIT = 100
SORTS = {"relevance": Sort.RELEVANCE, "newest": Sort.NEWEST}


@dataclass(slots=True, kw_only=True, frozen=True)
class SearchRecordsQuery:
    actor_id: UUID
    workspace_id: UUID
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet -> values, as given
    sort: str = "relevance"
    limit: int = 20
    cursor: str | None = None


class SearchRecords:
    """Find the workspace's people and companies as the user types (see domain/search/search.py for what
    matches and in which order).

    Rules: any role (viewer and up); an empty query lists every record the filters admit; filters on facets
    (kind, status, industry, country, seniority, technologies) each admit any of their values and combine;
    facet counts are over everything that matches, filters applied; `limit` 1-100; the cursor of a page
    continues that query's order. The index answers only for the workspace asked about.
    """

    def __init__(self, workspaces: WorkspaceReader, index: SearchIndex) -> None:
        self._workspaces, self._index = workspaces, index

    async def __call__(self, query: SearchRecordsQuery) -> SearchResult:
        terms = read_terms(query.text)
        filters = check_filters(query.filters)
        sort = SORTS.get(query.sort)
        if sort is None:
            raise _invalid("sort", f"one of {', '.join(SORTS)}")
        if not 1 <= query.limit <= MAX_LIMIT:
            raise _invalid("limit", f"from 1 to {MAX_LIMIT}")
        after = SearchCursor.decode(query.cursor) if query.cursor else None
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.RECORDS_READ)
        return await self._index.search(
            SearchQuery(
                workspace_id=query.workspace_id, terms=terms, filters=filters, sort=sort, limit=query.limit, after=after
            )
        )


def _invalid(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{name}: {message}", details=(ErrorDetail(field=name, message=message),))
