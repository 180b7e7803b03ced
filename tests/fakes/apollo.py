"""A fake Apollo API (`https://api.apollo.io/api/v1`) speaking Apollo's wire format, for tests and the sandbox.

Auth: header `x-api-key: apollo-test-key` (APOLLO_KEY); anything else is a 401 with the text/plain body
`Invalid access credentials.`. Routes: `POST /people/match`, `POST /people/bulk_match` {"details": [<= 10]},
`GET /organizations/enrich?domain=`, `POST /organizations/bulk_enrich` {"domains": [<= 10]}.
Data: tests/fakes/world.py. People match by email, linkedin_url, or name (first+last or `name`) plus `domain`
or `organization_name`; anyone else is `200 {"person": null}`. Tom Becker's email is locked
(`email_not_unlocked@...`, as Apollo answers without reveal). Unknown domains are `200 {"organization": null}`.
Every answer carries the x-rate-limit-* / x-*-usage / x-*-requests-left headers, with plenty left.

Triggers (an email local part, or a domain `<name>.test`; in bulk, one entry decides the whole request):
  ratelimited  429; people: x-minute-usage = x-rate-limit-minute, x-minute-requests-left 0, no Retry-After;
               companies: Retry-After: 7
  exhausted    200 with Maya Chen / Northwind Analytics, and x-daily-requests-left: 0
  quota        422 {"error": "Insufficient credits. Please upgrade your plan."}
  invalid      422 {"error": "..."} (another validation error)
  forbidden    403 (the endpoint needs a master key)
  echo         422 whose message quotes the x-api-key it received
  slow         sleeps `slow_seconds` (15 s by default, past the 10 s default timeout), then answers
  broken       500 with an HTML body;  garbled  200 with truncated JSON;  wrongshape  200, `person` is a list
  huge         200 with a 2 MiB body, streamed without Content-Length
  moved        301 to /moved (an adapter must not follow it: the key would travel along)
`omit_misses=True` makes bulk_match leave unmatched people out of `matches` instead of answering null in place.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Litestar, Request, Response, get, post

from tests.fakes.common import answer, text, transport_trouble
from tests.fakes.world import COMPANIES, PEOPLE, Company, Person, find_person, trigger

APOLLO_KEY = "apollo-test-key"
PLENTY = {"x-rate-limit-minute": "200", "x-minute-usage": "1", "x-minute-requests-left": "199"}
PLENTY |= {"x-rate-limit-hourly": "2000", "x-hourly-usage": "1", "x-hourly-requests-left": "1999"}
PLENTY |= {"x-rate-limit-daily": "6000", "x-daily-usage": "1", "x-daily-requests-left": "5999"}
SPENT_MINUTE = PLENTY | {"x-minute-usage": "200", "x-minute-requests-left": "0"}


def organization(company: Company) -> dict[str, Any]:
    return {
        "id": "5e66b6381e05b4008c" + company.domain[:6], "name": company.name,
        "website_url": f"http://www.{company.domain}", "linkedin_url": f"http://www.linkedin.com/{company.linkedin}",
        "twitter_url": f"https://twitter.com/{company.twitter}", "facebook_url": None, "primary_phone": {},
        "primary_domain": company.domain, "industry": company.industry.lower(), "keywords": [],
        "estimated_num_employees": company.employees, "annual_revenue": float(company.revenue),
        "total_funding": None, "latest_funding_stage": None, "technology_names": list(company.technologies),
        "current_technologies": [{"uid": t.lower().replace(" ", "_"), "name": t, "category": "Other"}
                                 for t in company.technologies],
        "founded_year": company.founded, "city": company.city, "state": company.state, "country": company.country,
        "short_description": company.description,
    }  # fmt: skip


def person(someone: Person) -> dict[str, Any]:
    company = COMPANIES[someone.domain]
    locked = someone.email.startswith("tom.")
    phones = [{"raw_number": someone.phone, "sanitized_number": someone.phone, "type": "work_direct",
               "status": "valid_number"}] if someone.phone else []  # fmt: skip
    return {
        "id": "60ab" + someone.email.split("@")[0], "first_name": someone.first, "last_name": someone.last,
        "name": f"{someone.first} {someone.last}", "linkedin_url": f"http://www.linkedin.com/{someone.linkedin}",
        "title": someone.title, "headline": someone.title, "photo_url": None,
        "email_status": "unavailable" if locked else "verified",
        "email": f"email_not_unlocked@{someone.domain}" if locked else someone.email,
        "twitter_url": f"https://twitter.com/{someone.twitter}" if someone.twitter else None,
        "city": someone.city, "state": someone.state, "country": someone.country, "seniority": someone.seniority,
        "departments": [someone.department], "organization_id": organization(company)["id"],
        "employment_history": [{"organization_name": company.name, "title": someone.title, "current": True}],
        "organization": organization(company), "contact": {"phone_numbers": phones},
    }  # fmt: skip


def _find(details: dict[str, Any]) -> Person | None:
    domain = details.get("domain") or next(
        (c.domain for c in COMPANIES.values() if c.name == details.get("organization_name")), None
    )
    return find_person(email=details.get("email"), first=details.get("first_name"), last=details.get("last_name"),
                       full_name=details.get("name"), domain=domain, linkedin=details.get("linkedin_url"))  # fmt: skip


def create_app(
    *, api_key: str = APOLLO_KEY, slow_seconds: float = 15.0, omit_misses: bool = False, latency_seconds: float = 0.0
) -> Litestar:
    """`latency_seconds`: every person match answers after that long (a provider's fixed latency, for P1)."""

    async def refused(request: Request[Any, Any, Any], name: str | None, kind: str) -> Response[Any] | None:
        """The answer to a wrong key or a trigger; None when the request goes on normally."""
        if request.headers.get("x-api-key") != api_key:
            return text("Invalid access credentials.", 401)
        if name == "ratelimited":
            headers = SPENT_MINUTE if kind == "person" else PLENTY | {"Retry-After": "7"}
            return answer({"error": "API rate limit reached"}, 429, headers)
        errors = {
            "quota": (422, "Insufficient credits. Please upgrade your plan."),
            "invalid": (422, "Invalid parameters: domain is not a valid domain"),
            "forbidden": (403, "api/v1/people/match is not accessible with this api_key"),
            "echo": (422, f"Bad request for key {request.headers.get('x-api-key')}"),
        }
        if name in errors:
            status, message = errors[name]
            return answer({"error": message, "error_code": "API_INACCESSIBLE" if status == 403 else None}, status)
        if name == "wrongshape":
            return answer({"person": ["not", "an", "object"], "organization": ["nope"]}, 200, PLENTY)
        if name == "moved":
            return Response(content=b"", status_code=301, headers={"Location": "/moved"})
        return await transport_trouble(request, name, slow_seconds, streamed=True)

    @post("/people/match")
    async def people_match(request: Request[Any, Any, Any]) -> Response[Any]:
        details = dict(request.query_params) | (await request.json() or {})
        if denied := await refused(request, trigger(details.get("email"), details.get("domain")), "person"):
            return denied
        if latency_seconds:
            await asyncio.sleep(latency_seconds)
        if trigger(details.get("email"), details.get("domain")) == "exhausted":
            spent = PLENTY | {"x-daily-usage": "6000", "x-daily-requests-left": "0"}
            return answer({"person": person(PEOPLE["maya.chen@northwind.io"])}, 200, spent)
        found = _find(details)
        return answer({"person": person(found) if found else None}, 200, PLENTY)

    @post("/people/bulk_match")
    async def people_bulk(request: Request[Any, Any, Any]) -> Response[Any]:
        details: list[dict[str, Any]] = (await request.json() or {}).get("details") or []
        names = [trigger(d.get("email"), d.get("domain")) for d in details]
        if denied := await refused(request, next((n for n in names if n), None), "person"):
            return denied
        if not 1 <= len(details) <= 10:
            return answer({"error": "details must hold between 1 and 10 people"}, 422)
        found = [_find(d) for d in details]
        matches = [person(p) if p else None for p in found if p or not omit_misses]
        missing = sum(p is None for p in found)
        return answer({"status": "success", "error_code": None, "error_message": None,
                       "total_requested_enrichments": len(details), "unique_enriched_records": len(details) - missing,
                       "missing_records": missing, "credits_consumed": len(details) - missing,
                       "matches": matches}, 200, PLENTY)  # fmt: skip

    @get("/organizations/enrich")
    async def organization_enrich(request: Request[Any, Any, Any], domain: str = "") -> Response[Any]:
        if denied := await refused(request, trigger(domain), "company"):
            return denied
        if not domain or domain.startswith(("www.", "@")):
            return answer({"error": "domain must be a bare domain, e.g. apollo.io"}, 422)
        company = COMPANIES.get(domain.lower())
        return answer({"organization": organization(company) if company else None}, 200, PLENTY)

    @post("/organizations/bulk_enrich")
    async def organizations_bulk(request: Request[Any, Any, Any]) -> Response[Any]:
        domains: list[str] = (await request.json() or {}).get("domains") or []
        if denied := await refused(request, next((n for d in domains if (n := trigger(d))), None), "company"):
            return denied
        if not 1 <= len(domains) <= 10:
            return answer({"error": "domains must hold between 1 and 10 domains"}, 422)
        found = [organization(COMPANIES[d]) for d in dict.fromkeys(domains) if d in COMPANIES]
        unique = len(set(domains))
        return answer({"status": "success", "total_requested_domains": len(domains), "unique_domains": unique,
                       "unique_enriched_records": len(found), "missing_records": unique - len(found),
                       "organizations": found}, 200, PLENTY)  # fmt: skip

    return Litestar([people_match, people_bulk, organization_enrich, organizations_bulk], debug=False)
