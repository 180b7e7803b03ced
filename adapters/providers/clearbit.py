"""Clearbit (HubSpot Breeze Intelligence): people by email, companies by domain, on two hosts.

A 202 means the lookup was queued (ask again later), a 404 that the record is
unknown (Clearbit bills it: the waterfall models misses as billable), 402
that the quota is used up.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from adapters.providers.clearbit_payloads import Company, ErrorAnswer, Person, company_fields, person_fields
from adapters.providers.fields import Fields, bare_domain
from adapters.providers.http import (
    CallFailed,
    HttpProvider,
    Reply,
    check_key,
    classified,
    decode,
)
from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery, ProviderResult

CLEARBIT_PERSON_BASE_URL = "https://person.clearbit.com"
CLEARBIT_COMPANY_BASE_URL = "https://company.clearbit.com"
_STATUS_OUTCOMES = {
    202: (Outcome.PENDING, "clearbit queued the lookup; ask again later"),
    401: (Outcome.INVALID_CREDENTIALS, "clearbit answered 401: the api key was refused"),
    402: (Outcome.QUOTA_EXHAUSTED, "clearbit answered 402: over quota"),
    403: (Outcome.INVALID_CREDENTIALS, "clearbit answered 403: this key may not use the endpoint"),
    404: (Outcome.MISS, "clearbit has no record (a billable miss)"),
    429: (Outcome.RATE_LIMITED, "clearbit answered 429: rate limited"),
}


class ClearbitProvider(HttpProvider):
    name = "clearbit"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        person_base_url: str = CLEARBIT_PERSON_BASE_URL,
        company_base_url: str = CLEARBIT_COMPANY_BASE_URL,
        **limits: Any,
    ) -> None:
        super().__init__(client, **limits)
        self._person_base = person_base_url.rstrip("/")
        self._company_base = company_base_url.rstrip("/")

    async def _lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        if query.kind is EntityKind.PERSON:
            email = query.get("email")
            if email is None:
                raise CallFailed(Outcome.BAD_REQUEST, "clearbit finds a person by email; none was given")
            reply = await self._get(self._person_base + "/v2/people/find", {"email": email}, api_key)
            return _found(person_fields(decode(reply.body, Person)))
        domain = bare_domain(query.get("domain"))
        if domain is None:
            raise CallFailed(Outcome.BAD_REQUEST, "clearbit finds a company by domain; none was given")
        reply = await self._get(self._company_base + "/v2/companies/find", {"domain": domain}, api_key)
        return _found(company_fields(decode(reply.body, Company)))

    async def _get(self, url: str, params: dict[str, str], api_key: str) -> Reply:
        headers = {"Authorization": "Bearer " + check_key(api_key), "Accept": "application/json"}
        reply = await self._http.send("GET", url, headers=headers, params=params)
        if reply.status != 200:
            raise _failure(reply)
        return reply


def _found(fields: Fields) -> ProviderResult:
    if not fields:
        return ProviderResult(outcome=Outcome.MISS, detail="clearbit answered an empty record")
    return ProviderResult(outcome=Outcome.HIT, fields=fields)


def _failure(reply: Reply) -> CallFailed:
    return classified("clearbit", reply, _STATUS_OUTCOMES, _error_message)


def _error_message(body: bytes) -> str:
    try:
        error = msgspec.json.decode(body, type=ErrorAnswer).error
    except msgspec.DecodeError:
        return ""
    return f"{error.type or 'error'}: {error.message or ''}".strip(": ") if error else ""
