"""`GET /workspaces/{id}/search`: the workspace's people and companies as the user types, with facets."""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, get
from litestar.params import Parameter

from adapters.telemetry.logging import request_id_var
from application.search.search_records import MAX_LIMIT, SearchRecords, SearchRecordsQuery
from domain.search.search import SearchHit, SearchResult
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.workspaces import CursorParam
from entrypoints.http.envelope import PageMeta
from entrypoints.http.injection import inject

T = TypeVar("T")
Values = Annotated[
    list[str] | None, Parameter(description="any of these values (repeat the parameter for more than one)")
]


class HighlightOut(msgspec.Struct, rename="camel"):
    field: str
    value: str
    spans: list[tuple[int, int]]  # [start, end) of each matched word in `value`


class HitOut(msgspec.Struct, rename="camel"):
    record_id: UUID
    kind: str
    status: str
    name: str
    email: str
    domain: str
    company: str
    title: str
    industry: str
    country: str
    seniority: str
    technologies: list[str]
    match: Literal["exact", "prefix", "typo"]
    highlights: list[HighlightOut]


class FacetValueOut(msgspec.Struct, rename="camel"):
    value: str
    count: int


class SearchOut(msgspec.Struct, rename="camel"):
    total: int
    hits: list[HitOut]
    facets: dict[str, list[FacetValueOut]]


class SearchEnvelope(msgspec.Struct, Generic[T], rename="camel"):
    success: bool
    data: T
    error: None
    meta: PageMeta


MATCHES: dict[int, Literal["exact", "prefix", "typo"]] = {3: "exact", 2: "prefix", 1: "typo"}


def hit_out(hit: SearchHit) -> HitOut:
    d = hit.document
    return HitOut(
        record_id=d.record_id, kind=d.kind, status=d.status, name=d.name, email=d.email, domain=d.domain,
        company=d.company, title=d.title, industry=d.industry, country=d.country, seniority=d.seniority,
        technologies=list(d.technologies), match=MATCHES[hit.match],
        highlights=[HighlightOut(field=h.field, value=h.value, spans=list(h.spans)) for h in hit.highlights],
    )  # fmt: skip


def search_out(result: SearchResult, limit: int) -> SearchEnvelope[SearchOut]:
    data = SearchOut(
        total=result.total,
        hits=[hit_out(h) for h in result.hits],
        facets={f: [FacetValueOut(value=v, count=c) for v, c in counts] for f, counts in result.facets.items()},
    )
    cursor = result.next_cursor.encode() if result.next_cursor is not None else None
    meta = PageMeta(request_id=request_id_var.get(), next_cursor=cursor, limit=limit)
    return SearchEnvelope(success=True, data=data, error=None, meta=meta)


class SearchController(Controller):
    path = "/workspaces/{workspace_id:uuid}/search"
    tags = ["search"]
    dependencies = AUTHENTICATED
    security = BEARER

    @get(
        "/",
        summary="Find people and companies by name, email, domain, company or title, as you type (viewer+)",
        description=(
            "Every word of `q` must match a word of the record: exactly, as its start, or with a typo (one edit "
            "from 4 characters, two from 8). Exact matches come first, then prefixes, then typos, then by name. "
            "Filters take any of their values (repeat a parameter: `country=FR&country=DE`) and combine; facet "
            "counts are over every match, filters applied. The index follows the records within about a second."
        ),
    )
    @inject
    async def search(
        self,
        principal: Principal,
        workspace_id: UUID,
        uc: FromDishka[SearchRecords],
        q: Annotated[str, Parameter(description="the words to find (at most 200 characters)")] = "",
        kind: Values = None,
        status: Values = None,
        industry: Values = None,
        country: Values = None,
        seniority: Values = None,
        technologies: Values = None,
        sort: Annotated[Literal["relevance", "newest"], Parameter(description="default: relevance")] = "relevance",
        limit: Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="hits per page (default 20)")] = 20,
        cursor: CursorParam = None,
    ) -> SearchEnvelope[SearchOut]:
        filters = {
            "kind": kind, "status": status, "industry": industry, "country": country, "seniority": seniority,
            "technologies": technologies,
        }  # fmt: skip
        query = SearchRecordsQuery(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            text=q,
            filters={name: values for name, values in filters.items() if values},
            sort=sort,
            limit=limit,
            cursor=cursor,
        )
        return search_out(await uc(query), limit)
