"""The search index in OpenSearch (`CASCADE_OPENSEARCH_URL`), through opensearch-py and standard APIs only.

Documents live in a versioned index (`<alias>-v1`, then `-v2`... one per rebuild) behind an alias, which
every read and write names; a rebuild fills the next one and moves the alias to it in one request. Each
document is its record's, under the record's id, written with the record's version as an external version:
the engine itself refuses an older one. A deletion is a document too (`deleted`, at the version of the
deletion), so an older write that comes after it is refused forever, not only while the engine remembers
deletes.

Queries follow domain/search/search.py: per term, the best of an exact word (3), a word's start (2) and a
typo against a word's start (1, a fuzzy query on the words' edge n-grams, without transpositions), summed
over the terms; every query is filtered by its workspace, whatever the text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any
from uuid import UUID

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import ConnectionTimeout, NotFoundError, RequestError, TransportError

from domain.search.search import (
    FACETS,
    MAX_PREFIX,
    SearchDocument,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Sort,
    Tier,
    Tombstone,
    allowed_edits,
    cursor_after,
    hit,
)

FIRST = 1  # the first index's generation; a reindex builds the next (`<alias>-v2`, ...) with today's mappings
FACET_SIZE = 100  # facet values per facet, most frequent first
MAX_EXPANSIONS = 200  # n-grams a fuzzy term may stand for
UNAVAILABLE = (OpenSearchConnectionError, ConnectionTimeout)
KEYWORD = {"type": "keyword"}
SETTINGS = {
    "analysis": {
        "filter": {"starts": {"type": "edge_ngram", "min_gram": 1, "max_gram": MAX_PREFIX}},
        "analyzer": {"starts": {"type": "custom", "tokenizer": "keyword", "filter": ["starts"]}},
    }
}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "record_id": KEYWORD,
        "workspace_id": KEYWORD,
        "version": {"type": "long"},
        "deleted": {"type": "boolean"},
        **dict.fromkeys(("kind", "status", "industry", "country", "seniority", "technologies"), KEYWORD),
        **{name: {"type": "keyword", "index": False} for name in ("name", "email", "domain", "company", "title")},
        "sort_name": KEYWORD,
        "words": {
            "type": "keyword",
            "fields": {"starts": {"type": "text", "analyzer": "starts", "search_analyzer": "keyword"}},
        },
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
    },
}


def _document(source: Mapping[str, Any]) -> SearchDocument:
    return SearchDocument(
        record_id=UUID(source["record_id"]), workspace_id=UUID(source["workspace_id"]), version=source["version"],
        kind=source["kind"], status=source["status"], name=source["name"], email=source["email"],
        domain=source["domain"], company=source["company"], title=source["title"], industry=source["industry"],
        country=source["country"], seniority=source["seniority"], technologies=tuple(source["technologies"]),
        created_at=datetime.fromisoformat(source["created_at"]),
        updated_at=datetime.fromisoformat(source["updated_at"]),
    )  # fmt: skip


class AlreadyMade(RequestError):
    """`resource_already_exists_exception`: the index was there before us."""


def _term(term: str) -> dict[str, Any]:
    """The term's best match, as points: exact 3, a word's start 2, a typo against a word's start 1."""
    queries: list[dict[str, Any]] = [
        {"constant_score": {"filter": {"term": {"words": term}}, "boost": int(Tier.EXACT)}},
        {"constant_score": {"filter": {"prefix": {"words": term}}, "boost": int(Tier.PREFIX)}},
    ]
    if edits := allowed_edits(term):
        fuzzy = {"value": term, "fuzziness": edits, "transpositions": False, "max_expansions": MAX_EXPANSIONS}
        queries.append({"constant_score": {"filter": {"fuzzy": {"words.starts": fuzzy}}, "boost": int(Tier.TYPO)}})
    return {"dis_max": {"queries": queries}}


def _filters(query: SearchQuery) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [
        {"term": {"workspace_id": str(query.workspace_id)}},
        {"term": {"deleted": False}},
    ]
    filters += [{"terms": {facet: list(values)}} for facet, values in query.filters.items()]
    return filters


def _body(query: SearchQuery) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": {"bool": {"filter": _filters(query), "must": [_term(t) for t in query.terms]}},
        "size": query.limit + 1,
        "track_total_hits": True,
        "aggs": {facet: {"terms": {"field": facet, "size": FACET_SIZE}} for facet in FACETS},
    }
    after = query.after
    if query.sort is Sort.NEWEST:
        body["sort"] = [{"created_at": "desc"}, {"record_id": "desc"}]
        if after is not None and after.created_at is not None:
            body["search_after"] = [int(after.created_at.timestamp() * 1000), str(after.record_id)]
    else:
        body["sort"] = [{"_score": "desc"}, {"sort_name": "asc"}, {"record_id": "asc"}]
        if after is not None:
            body["search_after"] = [after.score, after.name, str(after.record_id)]
    return body


class OpenSearchIndex:
    def __init__(self, client: AsyncOpenSearch, alias: str = "cascade-records", *, refresh: bool = False) -> None:
        """`refresh`: make each write searchable before it returns (tests); otherwise the engine's refresh
        interval (a second by default) bounds how long a write stays unseen."""
        self._client = client
        self.alias = alias
        self._refresh = "true" if refresh else "false"
        self._ready = False
        self._require_alias = {"require_alias": "true"}  # a build writes to its index by name: {}

    @contextmanager
    def _engine_errors(self) -> Iterator[None]:
        """An engine that cannot be reached, or answers 5xx, is `SearchUnavailable`; so is one that lost the
        index (it is made again at the next call; what it held needs a reindex). Another 4xx is a bug of ours."""
        try:
            yield
        except UNAVAILABLE as exc:
            raise SearchUnavailable("the search engine is unavailable") from exc
        except NotFoundError as exc:  # no call of ours names anything but the index and its alias
            self._ready = False
            raise SearchUnavailable("the search index is gone from the engine") from exc
        except TransportError as exc:
            if isinstance(exc.status_code, int) and exc.status_code >= 500:
                raise SearchUnavailable(f"the search engine answered {exc.status_code}") from exc
            raise

    async def ensure(self) -> None:
        """The alias and its index, made with the mappings if they are not there yet (once per process: an
        engine away at start is asked again by the next write or search)."""
        if self._ready:
            return
        with self._engine_errors():
            if not await self._client.indices.exists_alias(name=self.alias):
                index = f"{self.alias}-v{FIRST}"
                if not await self._client.indices.exists(index=index):
                    with suppress(AlreadyMade):  # by another process, or by a call of ours that timed out
                        await self._create(index)
                await self._client.indices.put_alias(index=index, name=self.alias)
        self._ready = True

    async def _create(self, index: str) -> None:
        try:
            await self._client.indices.create(index=index, body={"settings": SETTINGS, "mappings": MAPPINGS})
        except RequestError as exc:
            if exc.error == "resource_already_exists_exception":
                raise AlreadyMade(*exc.args) from exc
            raise

    async def write(self, documents: list[SearchDocument], tombstones: list[Tombstone]) -> dict[UUID, str]:
        operations: list[dict[str, Any]] = []
        for document in documents:
            operations += [
                self._index_op(document.record_id, document.version),
                {**document.stored(), "deleted": False},
            ]
        for tombstone in tombstones:
            operations += [
                self._index_op(tombstone.record_id, tombstone.version),
                {"record_id": str(tombstone.record_id), "workspace_id": str(tombstone.workspace_id),
                 "version": tombstone.version, "deleted": True},
            ]  # fmt: skip
        if not operations:
            return {}
        await self.ensure()
        with self._engine_errors():
            # Through an alias only: an engine that lost its indexes must not make one, unmapped, of the alias.
            answer = await self._client.bulk(body=operations, refresh=self._refresh, params=self._require_alias)
        failed: dict[UUID, str] = {}
        for item in answer.get("items", []):
            result = item.get("index", {})
            error = result.get("error")
            if error and error.get("type") == "index_not_found_exception":
                self._ready = False  # made again by the next write; what it held needs a reindex
                raise SearchUnavailable("the search index is gone from the engine")
            # An older version than the engine holds: nothing to do, as the domain wants.
            if error and error.get("type") != "version_conflict_engine_exception":
                failed[UUID(result["_id"])] = f"{error.get('type')}: {error.get('reason', '')}"[:500]
        return failed

    def _index_op(self, record_id: UUID, version: int) -> dict[str, Any]:
        return {"index": {"_index": self.alias, "_id": str(record_id), "version": version,
                          "version_type": "external"}}  # fmt: skip

    async def search(self, query: SearchQuery) -> SearchResult:
        await self.ensure()
        with self._engine_errors():
            answer = await self._client.search(index=self.alias, body=_body(query))
        found = [
            (_document(h["_source"]), int(h["_score"] or 0) if query.sort is Sort.RELEVANCE else 0, h)
            for h in answer["hits"]["hits"]
        ]
        page = found[: query.limit]
        facets = {
            facet: sorted(
                ((b["key"], b["doc_count"]) for b in answer["aggregations"][facet]["buckets"] if b["key"] != ""),
                key=lambda item: (-item[1], item[0]),
            )
            for facet in FACETS
        }
        more = len(found) > query.limit
        return SearchResult(
            hits=[hit(d, score, query.terms) for d, score, _ in page],
            total=int(answer["hits"]["total"]["value"]),
            facets=facets,
            next_cursor=cursor_after(page[-1][1], page[-1][0]) if more and page else None,
        )

    async def versions(self, workspace_id: UUID) -> dict[UUID, int]:
        live = [{"term": {"workspace_id": str(workspace_id)}}, {"term": {"deleted": False}}]
        page = 1000
        body: dict[str, Any] = {
            "query": {"bool": {"filter": live}},
            "_source": ["record_id", "version"],
            "sort": [{"record_id": "asc"}],
            "size": page,
        }
        versions: dict[UUID, int] = {}
        await self.ensure()
        with self._engine_errors():
            while True:
                answer = await self._client.search(index=self.alias, body=body)
                hits = answer["hits"]["hits"]
                versions |= {UUID(h["_source"]["record_id"]): h["_source"]["version"] for h in hits}
                if len(hits) < page:
                    return versions
                body["search_after"] = hits[-1]["sort"]

    async def live(self) -> str:
        await self.ensure()
        with self._engine_errors():
            aliased: dict[str, Any] = await self._client.indices.get_alias(name=self.alias)
        return next(iter(aliased))

    async def start(self) -> tuple[str, OpenSearchIndex]:
        live = await self.live()
        with self._engine_errors():
            built = [name for name in await self._client.indices.get(index=f"{self.alias}-v*") if name != live]
            for leftover in built:  # of a rebuild that did not finish
                await self._client.indices.delete(index=leftover)
            name = f"{self.alias}-v{max(_generation(n) for n in [live, *built]) + 1}"
            await self._create(name)
        build = OpenSearchIndex(self._client, name, refresh=self._refresh == "true")
        build._ready, build._require_alias = True, {}
        return name, build

    async def swap(self, name: str) -> None:
        live = await self.live()
        moves = [{"remove": {"index": live, "alias": self.alias}}, {"add": {"index": name, "alias": self.alias}}]
        with self._engine_errors():
            await self._client.indices.refresh(index=name)
            await self._client.indices.update_aliases(body={"actions": moves})
            await self._client.indices.delete(index=live)

    async def drop(self, name: str) -> None:
        if name == await self.live():
            return
        with self._engine_errors():
            await self._client.indices.delete(index=name, ignore_unavailable=True)

    async def count(self) -> int:
        await self.ensure()
        with self._engine_errors():
            answer = await self._client.count(
                index=self.alias, body={"query": {"bool": {"filter": [{"term": {"deleted": False}}]}}}
            )
        return int(answer["count"])


def _generation(index: str) -> int:
    suffix = index.rpartition("-v")[2]
    return int(suffix) if suffix.isdigit() else FIRST
