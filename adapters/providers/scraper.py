"""Our scraper service as an enrichment provider: companies by domain, from their own website.

`POST {base}/v1/scrape` with `X-Service-Key`; the envelope's data holds one
finding per extractor. Free by default (no third party bills it). A site
that cannot be fetched or says nothing is a miss; a refused target (an
address the scraper may not reach) is a bad request; the service itself
failing is transient.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from adapters.providers.fields import Fields, bare_domain, names, put
from adapters.providers.http import CallFailed, HttpProvider, check_key, decode, retry_after, status_detail
from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery, ProviderResult

EXTRACTORS = ["company_meta", "social", "tech_stack", "contacts"]
SOCIAL_NETWORKS = ("linkedin", "twitter", "github", "facebook", "instagram", "youtube")
MAX_LISTED = 20


class Email(msgspec.Struct):
    value: str


class Phone(msgspec.Struct):
    value: str


class Contacts(msgspec.Struct):
    emails: list[Email] = []
    phones: list[Phone] = []


class Technology(msgspec.Struct):
    name: str


class TechStack(msgspec.Struct):
    technologies: list[Technology] = []


class CompanyMeta(msgspec.Struct):
    name: str | None = None
    description: str | None = None


class Findings(msgspec.Struct):
    company_meta: CompanyMeta | None = None
    social: dict[str, str] | None = None
    tech_stack: TechStack | None = None
    contacts: Contacts | None = None


class Scrape(msgspec.Struct):
    data: Findings
    pages: list[str] = []


class Envelope(msgspec.Struct):
    data: Scrape


class ErrorBody(msgspec.Struct):
    code: str = ""
    message: str = ""


class ErrorEnvelope(msgspec.Struct):
    error: ErrorBody | None = None


class ScraperProvider(HttpProvider):
    name = "scraper"

    def __init__(self, client: httpx.AsyncClient, *, base_url: str, **limits: Any) -> None:
        super().__init__(client, **limits)
        self._base = base_url.rstrip("/")

    async def _lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        domain = bare_domain(query.get("domain"))
        if query.kind is not EntityKind.COMPANY or domain is None:
            raise CallFailed(Outcome.BAD_REQUEST, "the scraper reads a company's site by its domain; none was given")
        headers = {"X-Service-Key": check_key(api_key), "Accept": "application/json"}
        body = {"domain": domain, "extractors": EXTRACTORS, "render": "auto"}
        reply = await self._http.send("POST", self._base + "/v1/scrape", headers=headers, json=body)
        if reply.status != 200:
            raise _failure(reply.status, reply.body, reply.headers)
        fields = _fields(decode(reply.body, Envelope).data.data)
        if not fields:
            return ProviderResult(outcome=Outcome.MISS, detail="the site says nothing the scraper can read")
        return ProviderResult(outcome=Outcome.HIT, fields=fields)


def _fields(found: Findings) -> Fields:
    fields: Fields = {}
    if found.company_meta is not None:
        put(fields, "name", found.company_meta.name, 0.7)
        put(fields, "description", found.company_meta.description, 0.8)
    social = {k: v for k, v in (found.social or {}).items() if k in SOCIAL_NETWORKS and isinstance(v, str)}
    put(fields, "linkedinUrl", social.get("linkedin"), 0.9)
    put(fields, "socialProfiles", social, 0.9)
    if found.tech_stack is not None:
        put(fields, "technologies", names(t.name for t in found.tech_stack.technologies)[:MAX_LISTED], 0.8)
    if found.contacts is not None:
        put(fields, "emails", names(e.value for e in found.contacts.emails)[:MAX_LISTED], 0.9)
        put(fields, "phones", names(p.value for p in found.contacts.phones)[:MAX_LISTED], 0.9)
    return fields


def _failure(status: int, body: bytes, headers: httpx.Headers) -> CallFailed:
    try:
        error = msgspec.json.decode(body, type=ErrorEnvelope).error or ErrorBody()
    except msgspec.DecodeError:
        error = ErrorBody()
    detail = status_detail("the scraper", status, error.message)
    if status == 401:
        return CallFailed(Outcome.INVALID_CREDENTIALS, detail)
    if status == 429:
        return CallFailed(Outcome.RATE_LIMITED, detail, retry_after_seconds=retry_after(headers))
    if status == 502 and error.code == "FETCH_FAILED":
        return CallFailed(Outcome.MISS, detail)  # the company's site could not be read: nothing to find there
    if status in (400, 404, 413, 422):
        return CallFailed(Outcome.BAD_REQUEST, detail)
    return CallFailed(Outcome.TRANSIENT, detail)
