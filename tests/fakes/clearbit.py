"""A fake Clearbit API (person.clearbit.com and company.clearbit.com on one server), for tests and the sandbox.

Auth: `Authorization: Bearer clearbit-test-key` (CLEARBIT_KEY) or HTTP Basic with the key as user name and an
empty password; anything else is 401 {"error": {"type": "auth_required", ...}}.
Routes: `GET /v2/people/find?email=`, `GET /v2/combined/find?email=` ({person, company}),
`GET /v2/companies/find?domain=`. Data: tests/fakes/world.py, as Clearbit records (camelCase; handles, not
URLs, for LinkedIn and Twitter; Clearbit's employee and revenue bands; an exact annualRevenue only for
companies over 1,000 people). Unknown records are 404 {"error": {"type": "unknown_record", ...}}.

Triggers (an email local part, or a domain `<name>.test`):
  pending      202 {"error": {"type": "queued"}} for the first `pending_polls` (2) asks, then a record
               (Sam Rivera at Northwind for a person, "Pending Labs" for a company); `pending<N>`
               (`pending1@x.com`, `pending30.test`): for the first N asks
  ratelimited  429 with Retry-After: 30;  quota  402;  invalid  422 params_invalid
  echo         422 whose message quotes the api key it received
  slow         sleeps `slow_seconds` (15 s by default, past the 10 s default timeout), then answers
  broken       500 with an HTML body;  garbled  200 with truncated JSON;  wrongshape  200, `name` is a number
  huge         200 with a 2 MiB body, streamed without Content-Length
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar import Litestar, Request, Response, get

from tests.fakes.common import Polls, answer, transport_trouble
from tests.fakes.world import COMPANIES, PEOPLE, Company, Person, trigger

CLEARBIT_KEY = "clearbit-test-key"
SENIORITY = {"vp": "executive", "c_suite": "executive", "head": "director", "manager": "manager"}
ROLES = {"product_management": "product", "data_science": "engineering"}
EMPLOYEE_BANDS = ((10, "1-10"), (50, "11-50"), (250, "51-250"), (1000, "251-1K"), (5000, "1K-5K"), (10**9, "5K+"))
REVENUE_BANDS = ((10**7, "$1M-$10M"), (5 * 10**7, "$10M-$50M"), (10**8, "$50M-$100M"), (10**12, "$100M+"))
PENDING_PERSON = Person(first="Sam", last="Rivera", email="", title="Account Executive", seniority="manager",
                        department="sales", domain="northwind.io", linkedin="in/samrivera", city="Austin",
                        state="Texas", country="United States")  # fmt: skip
PENDING_COMPANY = Company(name="Pending Labs", domain="", industry="Research", employees=8, employee_range="1-10",
                          revenue=900_000, founded=2024, city="Denver", state="Colorado", country="United States",
                          description="Queued on first ask.", linkedin="company/pending-labs", twitter="",
                          technologies=())  # fmt: skip


def _band(value: int, bands: tuple[tuple[int, str], ...]) -> str:
    return next(label for limit, label in bands if value <= limit)


def _geo(city: str, state: str, country: str) -> dict[str, Any]:
    return {"city": city, "state": state, "stateCode": state[:2].upper(), "country": country,
            "countryCode": country[:2].upper(), "lat": 0.0, "lng": 0.0}  # fmt: skip


def person(someone: Person, email: str) -> dict[str, Any]:
    return {
        "id": "d54c54ad-40be-4305-8a34-" + email.split("@")[0][:12].ljust(12, "0"),
        "name": {"fullName": f"{someone.first} {someone.last}", "givenName": someone.first,
                 "familyName": someone.last},
        "email": email, "location": f"{someone.city}, {someone.country}", "timeZone": None, "utcOffset": None,
        "geo": _geo(someone.city, someone.state, someone.country), "bio": None, "site": None, "avatar": None,
        "employment": {"domain": someone.domain, "name": COMPANIES[someone.domain].name, "title": someone.title,
                       "role": ROLES.get(someone.department, someone.department), "subRole": None,
                       "seniority": SENIORITY.get(someone.seniority)},
        "facebook": {"handle": None}, "github": {"handle": None}, "googleplus": {"handle": None},
        "twitter": {"handle": someone.twitter or None, "followers": 310 if someone.twitter else None},
        "linkedin": {"handle": someone.linkedin}, "fuzzy": False, "emailProvider": False,
        "indexedAt": "2026-09-14T08:12:40.000Z",
    }  # fmt: skip


def company(firm: Company, domain: str) -> dict[str, Any]:
    return {
        "id": "3f5d6a4e-c284-4f78-bfdf-" + domain.replace(".", "")[:12].ljust(12, "0"), "name": firm.name,
        "legalName": None, "domain": domain, "domainAliases": [], "tags": ["B2B"],
        "category": {"sector": None, "industryGroup": None, "industry": firm.industry, "subIndustry": None,
                     "sicCode": None, "naicsCode": None},
        "description": firm.description, "foundedYear": firm.founded, "location": f"{firm.city}, {firm.country}",
        "geo": _geo(firm.city, firm.state, firm.country), "logo": None, "facebook": {"handle": None},
        "linkedin": {"handle": firm.linkedin}, "twitter": {"handle": firm.twitter or None},
        "crunchbase": {"handle": None}, "emailProvider": False, "type": "private", "ticker": None,
        "metrics": {"employees": firm.employees, "employeesRange": _band(firm.employees, EMPLOYEE_BANDS),
                    "annualRevenue": firm.revenue if firm.employees > 1000 else None,
                    "estimatedAnnualRevenue": _band(firm.revenue, REVENUE_BANDS), "raised": None, "marketCap": None},
        "tech": [t.lower().replace(" ", "_") for t in firm.technologies], "indexedAt": "2026-09-14T08:12:40.000Z",
    }  # fmt: skip


def error(status: int, type_: str, message: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return answer({"error": {"type": type_, "message": message}}, status, headers)


def _sent_key(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if not password else None
    return None


def create_app(*, api_key: str = CLEARBIT_KEY, slow_seconds: float = 15.0, pending_polls: int = 2) -> Litestar:
    polls = Polls(pending_polls)

    async def refused(request: Request[Any, Any, Any], value: str) -> Response[Any] | None:
        sent = _sent_key(request)
        if sent != api_key:
            return error(401, "auth_required", "The API key is missing or invalid.")
        name = trigger(value)
        errors = {"ratelimited": (429, "rate_limit", "Rate limit exceeded."),
                  "quota": (402, "over_quota", "Over quota."),
                  "invalid": (422, "params_invalid", "The parameters are invalid."),
                  "echo": (422, "params_invalid", f"Key {sent} may not look up {value}.")}  # fmt: skip
        if name in errors:
            status, type_, message = errors[name]
            return error(status, type_, message, {"Retry-After": "30"} if status == 429 else None)
        if name == "pending" and not polls.ready(value):
            return error(202, "queued", "The lookup is queued; ask again in a few seconds.")
        if name == "wrongshape":
            return answer({"name": 42, "email": ["nope"]})
        return await transport_trouble(request, name, slow_seconds, streamed=True)

    def person_record(email: str) -> dict[str, Any] | None:
        if trigger(email) == "pending":
            return person(PENDING_PERSON, email)
        known = PEOPLE.get(email.lower())
        return person(known, known.email) if known else None

    @get(["/v2/people/find", "/v2/combined/find"])
    async def find_person(request: Request[Any, Any, Any], email: str = "") -> Response[Any]:
        if denied := await refused(request, email):
            return denied
        if "@" not in email:
            return error(422, "params_invalid", "Missing or invalid email.")
        record = person_record(email)
        if record is None:
            return error(404, "unknown_record", "Unknown email address.")
        if request.url.path.startswith("/v2/combined"):
            domain = record["employment"]["domain"]
            return answer({"person": record, "company": company(COMPANIES[domain], domain)})
        return answer(record)

    @get("/v2/companies/find")
    async def find_company(request: Request[Any, Any, Any], domain: str = "") -> Response[Any]:
        if denied := await refused(request, domain):
            return denied
        if not domain:
            return error(422, "params_invalid", "Missing domain.")
        firm = PENDING_COMPANY if trigger(domain) == "pending" else COMPANIES.get(domain.lower())
        if firm is None:
            return error(404, "unknown_record", "Unknown domain.")
        return answer(company(firm, domain.lower()))

    return Litestar([find_person, find_company], debug=False)
