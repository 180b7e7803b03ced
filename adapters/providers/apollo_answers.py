"""How Apollo's answers are read: failures by status, rate-limit windows, bulk matches back to requests."""

from __future__ import annotations

import re
from typing import Any

import httpx
import msgspec

from adapters.providers.apollo_payloads import ErrorBody, Organization, Person
from adapters.providers.fields import bare_domain
from adapters.providers.http import CallFailed, Reply, retry_after, status_detail
from domain.enrichment.schema import EntityKind, Outcome, ProviderQuery

_INTEGER = re.compile(r"^-?\d{1,18}$", re.ASCII)
# Longest window first: when the day is spent, waiting a minute does not help.
_WINDOWS = (("daily", 86_400.0), ("hourly", 3_600.0), ("minute", 60.0))
_PERSON_INPUTS = {
    "first_name": "firstName", "last_name": "lastName", "name": "fullName", "email": "email",
    "organization_name": "companyName", "domain": "domain", "linkedin_url": "linkedinUrl",
}  # fmt: skip


def request_item(query: ProviderQuery) -> Any:
    """The `details` entry of a person, or the bare domain of a company; refused when there is nothing to ask."""
    if query.kind is EntityKind.COMPANY:
        domain = bare_domain(query.get("domain"))
        if domain is None:
            raise CallFailed(Outcome.BAD_REQUEST, "apollo enriches a company by its domain; none was given")
        return domain
    details = {key: value for key, name in _PERSON_INPUTS.items() if (value := query.get(name))}
    if "domain" in details:
        details["domain"] = bare_domain(details["domain"]) or details["domain"]
    if not details:
        raise CallFailed(Outcome.BAD_REQUEST, "apollo needs a name, an email or a LinkedIn URL to match a person")
    return details


def align(details: list[dict[str, str]], matches: list[Person | None]) -> list[Person | None]:
    """One match per request entry: by position when Apollo answers every slot, else by identity.

    Identity is the email, LinkedIn URL or name at a domain; failing those (a
    locked email), the company domain, but only where it points one way: a
    record left without a match is better than another person's data.
    """
    if len(matches) == len(details):
        return matches
    people = [person for person in matches if person]
    aligned: list[Person | None] = []
    for entry in details:
        found = next((p for p in people if _identity(entry) & _person_identity(p)), None)
        if found:
            people.remove(found)
        aligned.append(found)
    for index, entry in enumerate(details):
        company = _company(entry)
        askers = [i for i, other in enumerate(details) if aligned[i] is None and _company(other) == company]
        candidates = [p for p in people if p.organization and bare_domain(p.organization.primary_domain) == company]
        if aligned[index] is None and company and len(askers) == 1 and len(candidates) == 1:
            aligned[index] = candidates[0]
            people.remove(candidates[0])
    return aligned


def align_organizations(domains: list[str], organizations: list[Organization | None]) -> list[Organization | None]:
    """By primary domain; by position only for a slot whose organization no other requested domain claims
    (Apollo may answer a company under another primary domain than the one asked)."""
    by_domain = {bare_domain(org.primary_domain): org for org in organizations if org}
    positional = len(organizations) == len(domains)
    aligned: list[Organization | None] = []
    for index, domain in enumerate(domains):
        org = by_domain.get(domain) or (organizations[index] if positional else None)
        claimed = org is not None and org is not by_domain.get(domain) and bare_domain(org.primary_domain) in domains
        aligned.append(None if claimed else org)
    return aligned


def _company(details: dict[str, str]) -> str | None:
    return bare_domain(details.get("domain") or details.get("email"))


def _identity(details: dict[str, str]) -> set[str]:
    keys = set()
    if email := details.get("email"):
        keys.add("email:" + email.lower())
    if linkedin := details.get("linkedin_url"):
        keys.add("linkedin:" + linkedin.lower().split("://")[-1].removeprefix("www.").rstrip("/"))
    if (first := details.get("first_name")) and (last := details.get("last_name")) and details.get("domain"):
        keys.add(f"name:{first.lower()} {last.lower()}@{details['domain']}")
    return keys


def _person_identity(person: Person) -> set[str]:
    domain = bare_domain(person.organization.primary_domain) if person.organization else None
    raw = {"email": person.email, "linkedin_url": person.linkedin_url, "first_name": person.first_name}
    raw |= {"last_name": person.last_name, "domain": domain}
    return _identity({key: value for key, value in raw.items() if value})


def failure(reply: Reply) -> CallFailed:
    status = reply.status
    if status == 401:  # a text/plain "Invalid access credentials."
        return CallFailed(Outcome.INVALID_CREDENTIALS, "apollo answered 401: invalid access credentials")
    if status == 403:
        return CallFailed(Outcome.INVALID_CREDENTIALS, "apollo answered 403: this key may not call the endpoint")
    if status == 429:
        wait = retry_after(reply.headers)
        wait = exhausted_window(reply.headers) if wait is None else wait
        return CallFailed(Outcome.RATE_LIMITED, status_detail("apollo", status), retry_after_seconds=wait)
    message = _error_message(reply.body, plain_text_too=status < 500)
    if status == 422 and "insufficient credits" in message.lower():
        return CallFailed(Outcome.QUOTA_EXHAUSTED, status_detail("apollo", status, message))
    outcome = Outcome.BAD_REQUEST if 400 <= status < 500 else Outcome.TRANSIENT
    return CallFailed(outcome, status_detail("apollo", status, message))


def _error_message(body: bytes, *, plain_text_too: bool) -> str:
    """Apollo's `{"error": ...}`; a plain-text body counts too, except a gateway's error page."""
    try:
        error = msgspec.json.decode(body, type=ErrorBody)
    except msgspec.DecodeError:
        return body.decode("utf-8", "replace") if plain_text_too else ""
    return error.error or error.message or ""


def exhausted_window(headers: httpx.Headers) -> float | None:
    for window, seconds in _WINDOWS:
        left = _count(headers.get(f"x-{window}-requests-left"))
        used, limit = _count(headers.get(f"x-{window}-usage")), _count(headers.get(f"x-rate-limit-{window}"))
        if (left is not None and left <= 0) or (used is not None and limit is not None and used >= limit):
            return seconds
    return None


def _count(value: str | None) -> int | None:
    return int(value) if value and _INTEGER.match(value.strip()) else None
