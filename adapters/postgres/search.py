"""The search index in PostgreSQL (migrations/postgres/016_search.sql): the embedded default.

It answers by the rules of domain/search/search.py. A term's exact and prefix matches come from a range scan
of the workspace's words; its typos from the trigram index (words sharing enough of the term's trigrams:
`pg_trgm.word_similarity_threshold`, set to TYPO_SIMILARITY for the query), then the same bounded edit
distance as the domain's, on the whole word and on its start.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pool import connection
from domain.kernel.errors import ServiceUnavailable
from domain.search.search import (
    FACETS,
    MAX_PREFIX,
    SearchDocument,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Sort,
    Tombstone,
    allowed_edits,
    cursor_after,
    hit,
)

TYPO_SIMILARITY = "0.3"
# Past every word that starts with a term: the highest code point, compared byte by byte (COLLATE "C").
_LAST = chr(0x10FFFF)
DOCUMENT_COLUMNS = (
    "record_id, workspace_id, version, kind, status, name, email, domain, company, title, industry, country, "
    "seniority, technologies, created_at, updated_at"
)
# Newer versions only; a tombstone keeps its version, so an older write that comes later changes nothing.
WRITE_DOCUMENTS = """
WITH incoming AS (
    SELECT * FROM jsonb_to_recordset(%(documents)s::jsonb) AS d(
        record_id uuid, workspace_id uuid, version bigint, kind text, status text, name text, email text,
        domain text, company text, title text, industry text, country text, seniority text,
        technologies text[], sort_name text, created_at timestamptz, updated_at timestamptz, words text[])
), written AS (
    INSERT INTO search_documents AS s (record_id, workspace_id, version, deleted, kind, status, name, email, domain,
        company, title, industry, country, seniority, technologies, sort_name, created_at, updated_at)
    SELECT record_id, workspace_id, version, false, kind, status, name, email, domain, company, title, industry,
        country, seniority, technologies, sort_name, created_at, updated_at
    FROM incoming
    ON CONFLICT (record_id) DO UPDATE SET
        workspace_id = EXCLUDED.workspace_id, version = EXCLUDED.version, deleted = false, kind = EXCLUDED.kind,
        status = EXCLUDED.status, name = EXCLUDED.name, email = EXCLUDED.email, domain = EXCLUDED.domain,
        company = EXCLUDED.company, title = EXCLUDED.title, industry = EXCLUDED.industry,
        country = EXCLUDED.country, seniority = EXCLUDED.seniority, technologies = EXCLUDED.technologies,
        sort_name = EXCLUDED.sort_name, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
    WHERE s.version {newer} EXCLUDED.version
    RETURNING record_id
), cleared AS (
    DELETE FROM search_words w USING written WHERE w.record_id = written.record_id
)
INSERT INTO search_words (record_id, workspace_id, word)
SELECT i.record_id, i.workspace_id, unnest(i.words) FROM incoming i JOIN written USING (record_id)
"""
WRITE_TOMBSTONES = """
WITH incoming AS (
    SELECT * FROM jsonb_to_recordset(%(tombstones)s::jsonb) AS t(record_id uuid, workspace_id uuid, version bigint)
), written AS (
    INSERT INTO search_documents AS s (record_id, workspace_id, version, deleted)
    SELECT record_id, workspace_id, version, true FROM incoming
    ON CONFLICT (record_id) DO UPDATE SET version = EXCLUDED.version, deleted = true
    WHERE s.version < EXCLUDED.version
    RETURNING record_id
)
DELETE FROM search_words w USING written WHERE w.record_id = written.record_id
"""
# A rebuild in place: what it did not write has no record any more (its tombstone may still be on its way).
SWEEP = """
WITH gone AS (
    UPDATE search_documents s SET deleted = true
    WHERE NOT s.deleted AND NOT EXISTS (SELECT 1 FROM records r WHERE r.id = s.record_id)
    RETURNING record_id
)
DELETE FROM search_words w USING gone WHERE w.record_id = gone.record_id
"""
COUNT = "SELECT count(*) FROM search_documents WHERE NOT deleted"
VERSIONS = "SELECT record_id, version FROM search_documents WHERE workspace_id = %(ws)s AND NOT deleted"
# A typo: some start of the word, of a length within the term's edits of its own (and at most MAX_PREFIX), is
# within those edits of the term (domain.search.tier_of).
TERM = """
SELECT record_id, max(CASE WHEN word = {t} THEN 3 WHEN word >= {t} AND word < {end} THEN 2 ELSE 1 END) AS tier
FROM search_words
WHERE workspace_id = %(ws)s AND (
    (word >= {t} AND word < {end})
    OR ({k} > 0 AND {t} <%% word AND EXISTS (
        SELECT 1 FROM generate_series(greatest(1, {n} - {k}), least(length(word), {n} + {k}, {longest})) AS n
        WHERE levenshtein_less_equal(left(word, n), {t}, {k}) <= {k}))
)
GROUP BY record_id
"""
# A term too short for typos (allowed_edits 0): its prefix range alone, a plain index range scan.
TERM_PREFIX = """
SELECT record_id, max(CASE WHEN word = {t} THEN 3 ELSE 2 END) AS tier
FROM search_words
WHERE workspace_id = %(ws)s AND word >= {t} AND word < {end}
GROUP BY record_id
"""
FILTERS = """
    AND (%(kind)s::text[] IS NULL OR d.kind = ANY(%(kind)s::text[]))
    AND (%(status)s::text[] IS NULL OR d.status = ANY(%(status)s::text[]))
    AND (%(industry)s::text[] IS NULL OR d.industry = ANY(%(industry)s::text[]))
    AND (%(country)s::text[] IS NULL OR d.country = ANY(%(country)s::text[]))
    AND (%(seniority)s::text[] IS NULL OR d.seniority = ANY(%(seniority)s::text[]))
    AND (%(technologies)s::text[] IS NULL OR d.technologies && %(technologies)s::text[])
"""
# A page after the cursor: (where, order) in relevance order and newest first.
RELEVANCE = (
    "%(after)s::boolean IS NULL OR score < %(score)s"
    " OR (score = %(score)s AND (sort_name, record_id) > (%(name)s, %(id)s))",
    "score DESC, sort_name, record_id",
)
NEWEST = (
    "%(after)s::boolean IS NULL OR (created_at, record_id) < (%(at)s, %(id)s)",
    "created_at DESC, record_id DESC",
)
# One statement: the matches once (a CTE read twice is materialized), then the page and the facet counts, each
# as a JSON array.
ONE_PASS = """
, page AS (SELECT * FROM matched WHERE {where} ORDER BY {order} LIMIT %(limit)s)
, facet (facet, value, n) AS ({facets})
SELECT (SELECT coalesce(json_agg(json_build_array({columns}, score) ORDER BY {order}), '[]'::json) FROM page),
       (SELECT coalesce(json_agg(json_build_array(facet, value, n)), '[]'::json) FROM facet)
"""
FACET_COUNTS = """
SELECT 'kind', kind, count(*) FROM matched WHERE kind <> '' GROUP BY kind
UNION ALL SELECT 'status', status, count(*) FROM matched WHERE status <> '' GROUP BY status
UNION ALL SELECT 'industry', industry, count(*) FROM matched WHERE industry <> '' GROUP BY industry
UNION ALL SELECT 'country', country, count(*) FROM matched WHERE country <> '' GROUP BY country
UNION ALL SELECT 'seniority', seniority, count(*) FROM matched WHERE seniority <> '' GROUP BY seniority
UNION ALL SELECT 'technologies', t, count(*) FROM matched, unnest(technologies) t GROUP BY t
"""


def _document_from_json(row: list[Any]) -> SearchDocument:
    """A page's row as ONE_PASS's JSON has it: ids and instants as text."""
    (record_id, workspace_id, version, kind, status, name, email, domain, company, title, industry, country,
     seniority, technologies, created_at, updated_at) = row[:16]  # fmt: skip
    return SearchDocument(
        record_id=UUID(record_id), workspace_id=UUID(workspace_id), version=version, kind=kind, status=status,
        name=name, email=email, domain=domain, company=company, title=title, industry=industry, country=country,
        seniority=seniority, technologies=tuple(technologies), created_at=datetime.fromisoformat(created_at),
        updated_at=datetime.fromisoformat(updated_at),
    )  # fmt: skip


def search_statement(query: SearchQuery) -> sql.Composed:
    """The one statement a search is (with `_params(query)`)."""
    where, order = NEWEST if query.sort is Sort.NEWEST else RELEVANCE
    rest = ONE_PASS.format(where=where, order=order, columns=DOCUMENT_COLUMNS, facets=FACET_COUNTS)
    return sql.Composed([_matched(query.terms), sql.SQL(rest)])


def _matched(terms: tuple[str, ...]) -> sql.Composed:
    """The CTEs naming every live document of the workspace that matches each term and the filters, with its
    tier (the weakest term's)."""
    ctes = [
        sql.SQL("t{i} AS ({body})").format(
            i=sql.SQL(str(i)),
            body=sql.SQL(TERM if allowed_edits(term) else TERM_PREFIX).format(
                t=sql.Placeholder(f"t{i}"), end=sql.Placeholder(f"end{i}"), k=sql.Placeholder(f"k{i}"),
                n=sql.Placeholder(f"n{i}"), longest=sql.Literal(MAX_PREFIX),
            ),
        )
        for i, term in enumerate(terms)
    ]  # fmt: skip
    joins = sql.SQL(" ").join(
        sql.SQL("JOIN t{i} ON t{i}.record_id = d.record_id").format(i=sql.SQL(str(i))) for i in range(len(terms))
    )
    score = sql.SQL(" + ").join(sql.SQL(f"t{i}.tier") for i in range(len(terms))) if terms else sql.SQL("0")
    matched = sql.SQL(
        "matched AS (SELECT d.*, {score} AS score FROM search_documents d {joins} "
        "WHERE d.workspace_id = %(ws)s AND NOT d.deleted {filters})"
    ).format(score=score, joins=joins, filters=sql.SQL(FILTERS))
    return sql.SQL("WITH {}").format(sql.SQL(", ").join([*ctes, matched]))


def _params(query: SearchQuery) -> dict[str, Any]:
    params: dict[str, Any] = {"ws": query.workspace_id, "limit": query.limit + 1}
    for i, term in enumerate(query.terms):
        params |= {f"t{i}": term, f"end{i}": term + _LAST, f"k{i}": allowed_edits(term), f"n{i}": len(term)}
    for facet in FACETS:
        values = query.filters.get(facet)
        params[facet] = list(values) if values else None
    after = query.after
    params |= {
        "after": True if after is not None else None,
        "score": after.score if after else 0,
        "name": after.name if after else "",
        "at": after.created_at if after else None,
        "id": after.record_id if after else UUID(int=0),
    }
    return params


class PostgresSearchIndex:
    """The index and its rebuilds: it lives in the records' database, so a rebuild rewrites it in place
    (each document recomputed from its record at its version, then the documents of records gone cleared);
    searches read it throughout."""

    NAME = "search_documents"
    _WRITE_DOCUMENTS = WRITE_DOCUMENTS.replace("{newer}", "<")  # a write replaces only an older version

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def write(self, documents: list[SearchDocument], tombstones: list[Tombstone]) -> dict[UUID, str]:
        try:
            async with connection(self._pool) as conn, conn.transaction():
                if documents:
                    payload = msgspec.json.encode([d.stored() for d in documents]).decode()
                    await conn.execute(self._WRITE_DOCUMENTS, {"documents": payload})
                if tombstones:
                    payload = msgspec.json.encode(
                        [{"record_id": t.record_id, "workspace_id": t.workspace_id, "version": t.version}
                         for t in tombstones]
                    ).decode()  # fmt: skip
                    await conn.execute(WRITE_TOMBSTONES, {"tombstones": payload})
        except ServiceUnavailable as exc:
            raise SearchUnavailable("the search index is unavailable") from exc
        return {}

    async def search(self, query: SearchQuery) -> SearchResult:
        statement, params = search_statement(query), _params(query)
        try:
            async with connection(self._pool) as conn, conn.transaction():
                await conn.execute(
                    "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", (TYPO_SIMILARITY,)
                )
                answer = await (await conn.execute(statement, params)).fetchone()
                assert answer is not None
                rows, counted = answer
        except ServiceUnavailable as exc:
            raise SearchUnavailable("the search index is unavailable") from exc
        except psycopg.errors.QueryCanceled as exc:
            raise SearchUnavailable("the search took too long") from exc
        found = [(_document_from_json(row), int(row[-1])) for row in rows]
        more = len(found) > query.limit
        found = found[: query.limit]
        facets: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for facet, value, count in counted:
            facets[facet].append((value, count))
        ordered = {f: sorted(facets.get(f, []), key=lambda item: (-item[1], item[0])) for f in FACETS}
        return SearchResult(
            hits=[hit(d, score, query.terms) for d, score in found],
            total=sum(count for _, count in ordered["kind"]),
            facets=ordered,
            next_cursor=cursor_after(found[-1][1], found[-1][0]) if more and found else None,
        )

    async def versions(self, workspace_id: UUID) -> dict[UUID, int]:
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(VERSIONS, {"ws": workspace_id})).fetchall()
        return dict(rows)

    async def live(self) -> str:
        return self.NAME

    async def start(self) -> tuple[str, PostgresSearchIndex]:
        return self.NAME, _Rewrite(self._pool)

    async def swap(self, name: str) -> None:
        async with connection(self._pool) as conn:
            await conn.execute(SWEEP)

    async def drop(self, name: str) -> None:
        """Nothing to drop: the rebuild wrote into the live index, each document as its record is."""

    async def count(self) -> int:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(COUNT)).fetchone()
        return int(row[0]) if row else 0


class _Rewrite(PostgresSearchIndex):
    """Writes of a rebuild: the same version is written again (the words may be read differently now)."""

    _WRITE_DOCUMENTS = WRITE_DOCUMENTS.replace("{newer}", "<=")
