"""A fake Hunter API (`https://api.hunter.io/v2`) speaking Hunter's wire format, for tests and the sandbox.

Auth: header `X-API-KEY: hunter-test-key` (HUNTER_KEY) or `?api_key=`; anything else is
401 {"errors": [{"id": "authentication_failed", ...}]}. Answers are {"data": ..., "meta": ...}.
Routes: `GET /email-finder` (domain|company + first_name&last_name|full_name, or linkedin_handle; max_duration
3-20), `GET /email-verifier?email=`, `GET /domain-search` (domain|company, limit <= 100).
Data: tests/fakes/world.py. The finder answers `email: null` for anyone unknown. The verifier answers the
fixture status (Priya: accept_all) for known people, `invalid` for other addresses at a known domain,
`webmail` at gmail.com and `unknown` elsewhere. A domain search of an unknown domain has `organization: null`.

Triggers (an email local part for the verifier, a domain `<name>.test` for the finder and domain search):
  pending       202 for the first `pending_polls` (2) asks of that email, then 200 valid
                (`pending<N>`, e.g. `pending1@x.com`: the first N asks)
  unverifiable  222 (the remote SMTP check failed)
  ratelimited   403 (Hunter's rate limit; no Retry-After, as Hunter sends none)
  quota         429 too_many_requests (the monthly quota)
  invalid       400 wrong_params;  echo  400 whose details quote the api key received
  slow          sleeps `slow_seconds` (15 s by default, past the 10 s default timeout), then answers
  broken        500 with an HTML body;  garbled  200 with truncated JSON;  wrongshape  200, `data` is a string
  huge          200 with a 2 MiB body and its Content-Length
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, get

from tests.fakes.common import Polls, answer, transport_trouble
from tests.fakes.world import COMPANIES, PEOPLE, Person, find_person, trigger

HUNTER_KEY = "hunter-test-key"
COUNTRY_CODES = {"United States": "US", "Spain": "ES", "Germany": "DE"}
_ERRORS = {
    "unverifiable": (222, "smtp_failed", "The SMTP server of the domain could not be reached"),
    "ratelimited": (403, "too_many_requests", "You have reached the rate limit for this endpoint"),
    "quota": (429, "too_many_requests", "You have reached the monthly quota of your plan"),
    "invalid": (400, "wrong_params", "The parameters are invalid"),
}


def errors(status: int, id_: str, details: str) -> Response[Any]:
    return answer({"errors": [{"id": id_, "code": status, "details": details}]}, status)


def finder(person: Person | None, params: dict[str, str]) -> dict[str, Any]:
    if person is None:
        return {"first_name": params.get("first_name"), "last_name": params.get("last_name"), "email": None,
                "score": None, "domain": params.get("domain"), "accept_all": False, "position": None,
                "twitter": None, "linkedin_url": None, "phone_number": None, "company": None, "sources": [],
                "verification": {"date": None, "status": None}}  # fmt: skip
    return {"first_name": person.first, "last_name": person.last, "email": person.email, "score": person.score,
            "domain": person.domain, "accept_all": person.status == "accept_all", "position": person.title,
            "twitter": person.twitter or None, "linkedin_url": f"https://www.linkedin.com/{person.linkedin}",
            "phone_number": person.phone or None, "company": COMPANIES[person.domain].name,
            "sources": [{"domain": person.domain, "uri": f"https://{person.domain}/team", "still_on_page": True}],
            "verification": {"date": "2026-10-02", "status": person.status}}  # fmt: skip


def domain_search(domain: str, limit: int) -> dict[str, Any]:
    company = COMPANIES.get(domain)
    staff = [p for p in PEOPLE.values() if p.domain == domain][:limit]
    data: dict[str, Any] = {"domain": domain, "disposable": False, "webmail": False, "accept_all": False,
                            "pattern": "{first}.{last}" if company else None, "organization": None,
                            "emails": []}  # fmt: skip
    if company:
        data |= {"organization": company.name, "description": company.description, "industry": company.industry,
                 "twitter": f"https://twitter.com/{company.twitter}", "facebook": None,
                 "linkedin": f"https://www.linkedin.com/{company.linkedin}", "headcount": company.employee_range,
                 "technologies": [t.lower().replace(" ", "-") for t in company.technologies],
                 "country": COUNTRY_CODES[company.country], "state": company.state, "city": company.city}  # fmt: skip
        data["emails"] = [{"value": p.email, "type": "personal", "confidence": p.score, "first_name": p.first,
                           "last_name": p.last, "position": p.title, "seniority": p.seniority,
                           "department": p.department, "linkedin": None, "twitter": p.twitter or None,
                           "phone_number": p.phone or None, "verification": {"date": None, "status": p.status},
                           "sources": []} for p in staff]  # fmt: skip
    return {"data": data, "meta": {"results": len(staff), "limit": limit, "offset": 0, "params": {"domain": domain}}}


def verification(email: str) -> dict[str, Any]:
    domain = email.rsplit("@", 1)[-1].lower()
    known = PEOPLE.get(email.lower())
    status = (
        known.status
        if known
        else "valid"
        if trigger(email) == "pending"
        else "invalid"
        if domain in COMPANIES
        else "webmail"
        if domain == "gmail.com"
        else "unknown"
    )
    score = known.score if known else 0  # fmt: skip
    return {"data": {"email": email, "status": status, "result": "deliverable" if known else "undeliverable",
                     "score": score, "regexp": True, "gibberish": False, "disposable": False,
                     "webmail": status == "webmail", "mx_records": True, "smtp_server": True,
                     "smtp_check": bool(known), "accept_all": status == "accept_all", "block": False,
                     "sources": []}, "meta": {"params": {"email": email}}}  # fmt: skip


def create_app(*, api_key: str = HUNTER_KEY, slow_seconds: float = 15.0, pending_polls: int = 2) -> Litestar:
    polls = Polls(pending_polls)

    async def refused(request: Request[Any, Any, Any], name: str | None) -> Response[Any] | None:
        sent = request.headers.get("x-api-key") or request.query_params.get("api_key")
        if sent != api_key:
            return errors(401, "authentication_failed", "No user found for the API key supplied")
        if name in _ERRORS:
            return errors(*_ERRORS[name])
        if name == "echo":
            return errors(400, "wrong_params", f"The api_key {sent} cannot be used with these parameters")
        if name == "wrongshape":
            return answer({"data": "not an object", "meta": {}})
        return await transport_trouble(request, name, slow_seconds, streamed=False)

    @get("/email-finder")
    async def email_finder(request: Request[Any, Any, Any]) -> Response[Any]:
        params = dict(request.query_params)
        if denied := await refused(request, trigger(params.get("domain"))):
            return denied
        if not 3 <= int(params.get("max_duration", "10")) <= 20:
            return errors(400, "wrong_params", "max_duration must be between 3 and 20")
        named = ("first_name" in params and "last_name" in params) or "full_name" in params
        if not ((params.keys() & {"domain", "company"} and named) or "linkedin_handle" in params):
            return errors(400, "wrong_params", "You are missing the domain or company, or the name parameters")
        named_company = params.get("company")
        domain = params.get("domain") or next((c.domain for c in COMPANIES.values() if c.name == named_company), None)
        handle = params.get("linkedin_handle")
        found = find_person(first=params.get("first_name"), last=params.get("last_name"), domain=domain,
                            full_name=params.get("full_name"), linkedin=f"in/{handle}" if handle else None)  # fmt: skip
        return answer({"data": finder(found, params), "meta": {"params": params}})

    @get("/email-verifier")
    async def email_verifier(request: Request[Any, Any, Any], email: str = "") -> Response[Any]:
        name = trigger(email)
        if denied := await refused(request, name):
            return denied
        if "@" not in email:
            return errors(400, "wrong_params", "The email parameter is invalid")
        if name == "pending" and not polls.ready(email):
            return errors(202, "verification_in_progress", "The verification is still running; ask again")
        return answer(verification(email))

    @get("/domain-search")
    async def domain_search_route(request: Request[Any, Any, Any], domain: str = "", company: str = "",
                                  limit: int = 10) -> Response[Any]:  # fmt: skip
        if denied := await refused(request, trigger(domain)):
            return denied
        domain = domain or next((c.domain for c in COMPANIES.values() if c.name.lower() == company.lower()), company)
        if not domain or not 1 <= limit <= 100:
            return errors(400, "wrong_params", "You are missing the domain or company parameter")
        return answer(domain_search(domain.lower(), limit))

    return Litestar([email_finder, email_verifier, domain_search_route], debug=False)
