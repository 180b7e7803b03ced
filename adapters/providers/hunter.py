"""Hunter: `/email-finder` and `/email-verifier` for people, `/domain-search` for companies.

Hunter's statuses differ from the others': 403 is the rate limit and 429 the
exhausted monthly quota; 202 means a verification is still running and 222
that the remote mail server could not be checked.
"""

from __future__ import annotations

import re

import httpx
import msgspec

from adapters.providers.fields import Fields, bare_domain
from adapters.providers.http import (
    DEFAULT_TIMEOUT_SECONDS,
    MAX_BODY_BYTES,
    CallFailed,
    HttpProvider,
    Reply,
    check_key,
    classified,
    decode,
)
from adapters.providers.hunter_payloads import (
    DomainAnswer,
    ErrorAnswer,
    FinderAnswer,
    VerifierAnswer,
    domain_fields,
    finder_fields,
    verifier_fields,
)
from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery, ProviderResult

HUNTER_BASE_URL = "https://api.hunter.io/v2"
_LINKEDIN_HANDLE = re.compile(r"linkedin\.com/in/([^/?#\s]+)", re.IGNORECASE)
_STATUS_OUTCOMES = {
    202: (Outcome.PENDING, "hunter is still verifying; ask again later"),
    222: (Outcome.MISS, "hunter could not check the remote mail server (unverifiable)"),
    401: (Outcome.INVALID_CREDENTIALS, "hunter answered 401: no user for this api key"),
    403: (Outcome.RATE_LIMITED, "hunter answered 403: rate limit reached"),
    429: (Outcome.QUOTA_EXHAUSTED, "hunter answered 429: the monthly quota is used up"),
    451: (Outcome.MISS, "the person asked hunter not to process their data"),
}


class HunterProvider(HttpProvider):
    name = "hunter"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str = HUNTER_BASE_URL,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        super().__init__(client, timeout_seconds=timeout_seconds, max_body_bytes=max_body_bytes)
        self._base = base_url.rstrip("/")
        # Hunter gives up after max_duration (3-20 s): let it answer before our own deadline does.
        self._max_duration = str(min(max(int(timeout_seconds) - 1, 3), 20))

    async def _lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        if query.kind is EntityKind.COMPANY:
            reply = await self._get("/domain-search", _domain_params(query), api_key)
            data = decode(reply.body, DomainAnswer).data
            return _found(domain_fields(data) if data else {}, "hunter knows no organization at this domain")
        if email := query.get("email"):
            reply = await self._get("/email-verifier", {"email": email}, api_key)
            verified = decode(reply.body, VerifierAnswer).data
            return _found(verifier_fields(verified) if verified else {}, "hunter gave no verification status")
        params = _finder_params(query) | {"max_duration": self._max_duration}
        reply = await self._get("/email-finder", params, api_key)
        found = decode(reply.body, FinderAnswer).data
        return _found(finder_fields(found) if found else {}, "hunter found no email")

    async def _get(self, path: str, params: dict[str, str], api_key: str) -> Reply:
        headers = {"X-API-KEY": check_key(api_key), "Accept": "application/json"}
        reply = await self._http.send("GET", self._base + path, headers=headers, params=params)
        if reply.status != 200:
            raise _failure(reply)
        return reply


def _domain_params(query: ProviderQuery) -> dict[str, str]:
    # One email is enough: the organization is what we want, and 1-10 emails cost the same.
    if domain := bare_domain(query.get("domain")):
        return {"domain": domain, "limit": "1"}
    if company := query.get("companyName"):
        return {"company": company, "limit": "1"}
    raise CallFailed(Outcome.BAD_REQUEST, "hunter needs a domain or a company name to search")


def _finder_params(query: ProviderQuery) -> dict[str, str]:
    """`domain` or `company` plus a name; a LinkedIn handle alone when those are missing."""
    params: dict[str, str] = {}
    if domain := bare_domain(query.get("domain")):
        params["domain"] = domain
    elif company := query.get("companyName"):
        params["company"] = company
    if (first := query.get("firstName")) and (last := query.get("lastName")):
        params |= {"first_name": first, "last_name": last}
    elif full_name := query.get("fullName"):
        params["full_name"] = full_name
    if params.keys() & {"domain", "company"} and params.keys() & {"first_name", "full_name"}:
        return params
    handle = _LINKEDIN_HANDLE.search(query.get("linkedinUrl") or "")
    if handle:
        return {"linkedin_handle": handle[1]}
    raise CallFailed(Outcome.BAD_REQUEST, "hunter needs a domain or company and a name, or a LinkedIn URL")


def _found(fields: Fields, miss_detail: str) -> ProviderResult:
    if not fields:
        return ProviderResult(outcome=Outcome.MISS, detail=miss_detail)
    return ProviderResult(outcome=Outcome.HIT, fields=fields)


def _failure(reply: Reply) -> CallFailed:
    return classified("hunter", reply, _STATUS_OUTCOMES, _error_message)


def _error_message(body: bytes) -> str:
    try:
        errors = msgspec.json.decode(body, type=ErrorAnswer).errors or []
    except msgspec.DecodeError:
        return ""
    return "; ".join(f"{e.id or 'error'}: {e.details or ''}".strip(": ") for e in errors)
