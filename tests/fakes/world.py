"""The fictional people and companies every fake provider knows, each fake in its own wire format.

Companies: northwind.io, globex-logistics.com, initech.dev, umbrellahealth.co, bluefin-robotics.com,
crowd.example (where the crowd below works).
People (email, company domain):
  maya.chen@northwind.io              Maya Chen, VP Engineering (phone, LinkedIn, Twitter)
  daniel.okafor@globex-logistics.com  Daniel Okafor, Head of Sales
  lucia.romero@initech.dev            Lucía Romero, Chief Technology Officer
  tom.becker@bluefin-robotics.com     Tom Becker, Product Manager
  priya@umbrellahealth.co             Priya Natarajan, Data Scientist (no phone, no Twitter, accept-all domain)

A crowd for load tests: any email `<name>@crowd.example` (`name` lower-case
letters and digits) is a generated person every fake knows, so thousands of
distinct records can all be hits.

A special input (see `trigger`) turns any request into an error case: an
email whose local part, or a domain whose first label (under `.test`), is
one of TRIGGERS, e.g. `quota@anything.com` or `quota.test`. `pending<N>` (N up to 999) is
`pending` answered N times before the record, e.g. `pending1@anything.com` or `pending30.test`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TRIGGERS = frozenset(
    {"ratelimited", "quota", "invalid", "pending", "unverifiable", "forbidden", "exhausted"}
    | {"slow", "broken", "garbled", "wrongshape", "huge", "echo", "moved"}
)
_COUNTED_PENDING = re.compile(r"^pending\d{1,3}$")


@dataclass(frozen=True, kw_only=True)
class Company:
    name: str
    domain: str
    industry: str
    employees: int
    employee_range: str
    revenue: int
    founded: int
    city: str
    state: str
    country: str
    description: str
    linkedin: str  # handle, "company/..."
    twitter: str
    technologies: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Person:
    first: str
    last: str
    email: str
    title: str
    seniority: str
    department: str
    domain: str
    linkedin: str  # handle, "in/..."
    city: str
    state: str
    country: str
    phone: str = ""
    twitter: str = ""
    score: int = 95  # Hunter's confidence in the email
    status: str = "valid"  # Hunter's verification status


COMPANIES = {
    c.domain: c
    for c in (
        Company(name="Northwind Analytics", domain="northwind.io", industry="Information Technology and Services",
                employees=240, employee_range="201-500", revenue=38_000_000, founded=2014, city="San Francisco",
                state="California", country="United States",
                description="Northwind turns product telemetry into revenue forecasts.",
                linkedin="company/northwind-analytics", twitter="northwindhq",
                technologies=("Amazon AWS", "Segment", "Stripe")),
        Company(name="Globex Logistics", domain="globex-logistics.com", industry="Logistics and Supply Chain",
                employees=1800, employee_range="1K-5K", revenue=410_000_000, founded=1998, city="Chicago",
                state="Illinois", country="United States", description="Freight brokerage for mid-size shippers.",
                linkedin="company/globex-logistics", twitter="globexfreight",
                technologies=("Salesforce", "SAP", "Zendesk")),
        Company(name="Initech", domain="initech.dev", industry="Computer Software", employees=62,
                employee_range="51-200", revenue=9_500_000, founded=2019, city="Madrid", state="Madrid",
                country="Spain", description="Payroll software for European startups.",
                linkedin="company/initech-dev", twitter="initechdev", technologies=("Google Cloud", "HubSpot")),
        Company(name="Umbrella Health", domain="umbrellahealth.co", industry="Hospital and Health Care",
                employees=530, employee_range="501-1K", revenue=72_000_000, founded=2011, city="Boston",
                state="Massachusetts", country="United States", description="Remote monitoring for clinics.",
                linkedin="company/umbrella-health", twitter="umbrellahealth", technologies=("Microsoft Azure",)),
        Company(name="Bluefin Robotics", domain="bluefin-robotics.com", industry="Industrial Automation",
                employees=130, employee_range="51-200", revenue=21_000_000, founded=2016, city="Berlin",
                state="Berlin", country="Germany", description="Autonomous pallet movers for warehouses.",
                linkedin="company/bluefin-robotics", twitter="bluefinbots", technologies=("Amazon AWS", "Jira")),
    )
}  # fmt: skip

CROWD_DOMAIN = "crowd.example"
COMPANIES[CROWD_DOMAIN] = Company(
    name="Crowd Example", domain=CROWD_DOMAIN, industry="Staffing and Recruiting", employees=50_000,
    employee_range="10K+", revenue=900_000_000, founded=2001, city="Austin", state="Texas",
    country="United States", description="Where the generated people of the load tests work.",
    linkedin="company/crowd-example", twitter="crowdexample", technologies=("Amazon AWS",))  # fmt: skip

PEOPLE = {
    p.email: p
    for p in (
        Person(first="Maya", last="Chen", email="maya.chen@northwind.io", title="VP Engineering", seniority="vp",
               department="engineering", domain="northwind.io", linkedin="in/maya-chen-eng", city="San Francisco",
               state="California", country="United States", phone="+14155550134", twitter="mayachen", score=97),
        Person(first="Daniel", last="Okafor", email="daniel.okafor@globex-logistics.com", title="Head of Sales",
               seniority="head", department="sales", domain="globex-logistics.com", linkedin="in/danielokafor",
               city="Chicago", state="Illinois", country="United States", phone="+13125550178",
               twitter="dokafor", score=91),
        Person(first="Lucía", last="Romero", email="lucia.romero@initech.dev", title="Chief Technology Officer",
               seniority="c_suite", department="engineering", domain="initech.dev", linkedin="in/luciaromero",
               city="Madrid", state="Madrid", country="Spain", phone="+34915550192", twitter="lromero", score=88),
        Person(first="Tom", last="Becker", email="tom.becker@bluefin-robotics.com", title="Product Manager",
               seniority="manager", department="product_management", domain="bluefin-robotics.com",
               linkedin="in/tombecker", city="Berlin", state="Berlin", country="Germany", score=84),
        Person(first="Priya", last="Natarajan", email="priya@umbrellahealth.co", title="Data Scientist",
               seniority="senior", department="data_science", domain="umbrellahealth.co",
               linkedin="in/priya-natarajan", city="Boston", state="Massachusetts", country="United States",
               score=71, status="accept_all"),
    )
}  # fmt: skip


def trigger(*values: str | None) -> str | None:
    """The first special input among `values` (emails or domains), if any."""
    for value in values:
        if not value:
            continue
        value = value.strip().lower()
        name = value.split("@", 1)[0] if "@" in value else value.removesuffix(".test")
        name = "pending" if _COUNTED_PENDING.match(name) else name
        if name in TRIGGERS and ("@" in value or value.endswith(".test")):
            return name
    return None


def find_person(
    *,
    email: str | None = None,
    first: str | None = None,
    last: str | None = None,
    full_name: str | None = None,
    domain: str | None = None,
    linkedin: str | None = None,
) -> Person | None:
    """A person by email, LinkedIn URL/handle, or name at a company domain."""
    if email and (crowd := crowd_person(email)):
        return crowd
    for person in PEOPLE.values():
        if email and email.strip().lower() == person.email:
            return person
        if linkedin and linkedin.rstrip("/").lower().endswith(person.linkedin.removeprefix("in/")):
            return person
        named = full_name or (f"{first} {last}" if first and last else "")
        if named and domain and named.lower() == f"{person.first} {person.last}".lower() and domain == person.domain:
            return person
    return None


_CROWD_NAME = re.compile(r"^[a-z][a-z0-9]{0,40}$")


def crowd_person(email: str) -> Person | None:
    """The generated person of a crowd email, the same every time."""
    name, _, domain = email.strip().lower().partition("@")
    if domain != CROWD_DOMAIN or not _CROWD_NAME.match(name):
        return None
    return Person(first=name.capitalize(), last="Crowd", email=f"{name}@{CROWD_DOMAIN}", title="Staff Engineer",
                  seniority="senior", department="engineering", domain=CROWD_DOMAIN, linkedin=f"in/{name}-crowd",
                  city="Austin", state="Texas", country="United States")  # fmt: skip
