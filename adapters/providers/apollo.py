"""Apollo: people by `POST /people/match`, companies by `GET /organizations/enrich`, and both in bulk.

Apollo says "no match" with a 200 and `person: null` (or `organization:
null`), "no credits" with a 422 and rate limits with a 429 plus fixed-window
counters in the headers of every answer, which we read to say how long to wait.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.providers.apollo_answers import align, align_organizations, exhausted_window, failure, request_item
from adapters.providers.apollo_payloads import (
    BulkOrganizations,
    BulkPeople,
    OrganizationEnrich,
    PersonMatch,
    organization_fields,
    person_fields,
)
from adapters.providers.fields import Fields
from adapters.providers.http import (
    CallFailed,
    HttpProvider,
    Reply,
    check_key,
    decode,
    scrubbed,
)
from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery, ProviderResult

APOLLO_BASE_URL = "https://api.apollo.io/api/v1"
BULK_SIZE = 10


class ApolloProvider(HttpProvider):
    name = "apollo"

    def __init__(self, client: httpx.AsyncClient, *, base_url: str = APOLLO_BASE_URL, **limits: Any) -> None:
        super().__init__(client, **limits)
        self._base = base_url.rstrip("/")

    async def _lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        item = request_item(query)
        if query.kind is EntityKind.PERSON:
            reply = await self._call("POST", "/people/match", api_key, json=item)
            person = decode(reply.body, PersonMatch).person
            return _found(person_fields(person) if person else {}, reply)
        reply = await self._call("GET", "/organizations/enrich", api_key, params={"domain": item})
        organization = decode(reply.body, OrganizationEnrich).organization
        return _found(organization_fields(organization) if organization else {}, reply)

    async def lookup_many(self, queries: list[ProviderQuery], api_key: str) -> list[ProviderResult]:
        """Bulk endpoints, 10 records a request; results in the order of `queries`."""
        results: dict[int, ProviderResult] = {}
        items: dict[EntityKind, list[tuple[int, Any]]] = {kind: [] for kind in EntityKind}
        for index, query in enumerate(queries):
            try:
                items[query.kind].append((index, request_item(query)))
            except CallFailed as failed:
                results[index] = failed.result
        for kind, pending in items.items():
            for start in range(0, len(pending), BULK_SIZE):
                chunk = pending[start : start + BULK_SIZE]
                answers = await self._bulk(kind, [item for _, item in chunk], api_key)
                results.update(zip([index for index, _ in chunk], answers, strict=True))
        return [scrubbed(results[index], api_key) for index in range(len(queries))]

    async def _bulk(self, kind: EntityKind, items: list[Any], api_key: str) -> list[ProviderResult]:
        try:
            if kind is EntityKind.PERSON:
                reply = await self._call("POST", "/people/bulk_match", api_key, json={"details": items})
                matches = align(items, decode(reply.body, BulkPeople).matches or [])
                return [_found(person_fields(person) if person else {}, reply) for person in matches]
            reply = await self._call("POST", "/organizations/bulk_enrich", api_key, json={"domains": items})
            organizations = align_organizations(items, decode(reply.body, BulkOrganizations).organizations or [])
            return [_found(organization_fields(org) if org else {}, reply) for org in organizations]
        except CallFailed as failed:
            return [failed.result] * len(items)

    async def _call(self, method: str, path: str, api_key: str, **request: Any) -> Reply:
        headers = {
            "x-api-key": check_key(api_key),
            "Cache-Control": "no-cache",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        reply = await self._http.send(method, self._base + path, headers=headers, **request)
        if reply.status != 200:
            raise failure(reply)
        return reply


def _found(fields: Fields, reply: Reply) -> ProviderResult:
    wait = exhausted_window(reply.headers)  # a hint even on success: the next call would be refused
    if not fields:
        return ProviderResult(outcome=Outcome.MISS, detail="apollo has no match", retry_after_seconds=wait)
    return ProviderResult(outcome=Outcome.HIT, fields=fields, retry_after_seconds=wait)
