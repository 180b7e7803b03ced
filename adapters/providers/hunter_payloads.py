"""Hunter's `{"data": ..., "meta": ...}` answers as msgspec Structs, and their mapping to normalized fields."""

from __future__ import annotations

import msgspec

from adapters.providers.fields import FACEBOOK, LINKEDIN, TWITTER, Fields, location, names, profile_url, put


class Verification(msgspec.Struct):
    status: str | None = None


class Finder(msgspec.Struct):
    email: str | None = None
    score: int | float | None = None
    first_name: str | None = None
    last_name: str | None = None
    position: str | None = None
    twitter: str | None = None
    linkedin_url: str | None = None
    phone_number: str | None = None
    verification: Verification | None = None


class Verifier(msgspec.Struct):
    email: str | None = None
    status: str | None = None
    score: int | float | None = None


class Domain(msgspec.Struct):
    domain: str | None = None
    organization: str | None = None
    # Company details Hunter adds to a domain search when it knows them.
    industry: str | None = None
    headcount: str | None = None
    description: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    linkedin: str | None = None
    twitter: str | None = None
    facebook: str | None = None
    technologies: list[str] | None = None


class FinderAnswer(msgspec.Struct):
    data: Finder | None = None


class VerifierAnswer(msgspec.Struct):
    data: Verifier | None = None


class DomainAnswer(msgspec.Struct):
    data: Domain | None = None


class Error(msgspec.Struct):
    id: str | None = None
    details: str | None = None


class ErrorAnswer(msgspec.Struct):
    errors: list[Error] | None = None


def _confidence(score: float | None) -> float:
    return 1.0 if score is None else score / 100


def finder_fields(found: Finder) -> Fields:
    """Nothing without an email: Hunter's `email: null` is a miss, whatever else comes back."""
    fields: Fields = {}
    if not found.email or not found.email.strip():
        return fields
    confidence = _confidence(found.score)
    put(fields, "email", found.email, confidence)
    put(fields, "emailStatus", found.verification.status if found.verification else None, confidence)
    put(fields, "firstName", found.first_name, confidence)
    put(fields, "lastName", found.last_name, confidence)
    put(fields, "title", found.position, confidence)
    put(fields, "linkedinUrl", found.linkedin_url, confidence)
    put(fields, "twitter", profile_url(TWITTER, found.twitter), confidence)
    put(fields, "phone", found.phone_number, confidence)
    return fields


def verifier_fields(verified: Verifier) -> Fields:
    fields: Fields = {}
    if not verified.status or not verified.status.strip():
        return fields
    confidence = _confidence(verified.score)
    put(fields, "email", verified.email, confidence)
    put(fields, "emailStatus", verified.status, confidence)
    return fields


def domain_fields(found: Domain) -> Fields:
    """Nothing when Hunter knows no organization behind the domain (it echoes the domain regardless)."""
    fields: Fields = {}
    put(fields, "name", found.organization)
    put(fields, "industry", found.industry)
    put(fields, "employeeRange", found.headcount)
    put(fields, "description", found.description)
    put(fields, "location", location(found.city, found.state, found.country))
    put(fields, "linkedinUrl", profile_url(LINKEDIN, found.linkedin))
    put(fields, "technologies", names(found.technologies))
    profiles = {"linkedin": profile_url(LINKEDIN, found.linkedin), "twitter": profile_url(TWITTER, found.twitter)}
    profiles["facebook"] = profile_url(FACEBOOK, found.facebook)
    put(fields, "socialProfiles", {network: url for network, url in profiles.items() if url})
    if fields:
        put(fields, "domain", found.domain)
    return fields
