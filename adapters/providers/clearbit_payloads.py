"""Clearbit's person and company records as msgspec Structs (camelCase, unknown fields ignored), and their mapping."""

from __future__ import annotations

import msgspec

from adapters.providers.fields import FACEBOOK, LINKEDIN, TWITTER, Fields, location, names, profile_url, put


class _Camel(msgspec.Struct, rename="camel"):
    pass


class Name(_Camel):
    given_name: str | None = None
    family_name: str | None = None


class Geo(_Camel):
    city: str | None = None
    state: str | None = None
    country: str | None = None


class Employment(_Camel):
    domain: str | None = None
    title: str | None = None
    role: str | None = None
    seniority: str | None = None


class Handle(_Camel):
    handle: str | None = None


class Person(_Camel):
    email: str | None = None
    name: Name | None = None
    geo: Geo | None = None
    employment: Employment | None = None
    linkedin: Handle | None = None
    twitter: Handle | None = None


class Category(_Camel):
    industry: str | None = None


class Metrics(_Camel):
    employees: int | None = None
    employees_range: str | None = None
    annual_revenue: int | float | None = None
    estimated_annual_revenue: str | None = None


class Company(_Camel):
    name: str | None = None
    domain: str | None = None
    category: Category | None = None
    metrics: Metrics | None = None
    tech: list[str] | None = None
    geo: Geo | None = None
    founded_year: int | None = None
    description: str | None = None
    linkedin: Handle | None = None
    twitter: Handle | None = None
    facebook: Handle | None = None


class Error(_Camel):
    type: str | None = None
    message: str | None = None


class ErrorAnswer(_Camel):
    error: Error | None = None


def _handle(profile: Handle | None) -> str | None:
    return profile.handle if profile else None


def _location(geo: Geo | None) -> dict[str, str]:
    return location(geo.city, geo.state, geo.country) if geo else {}


def person_fields(person: Person) -> Fields:
    fields: Fields = {}
    job = person.employment or Employment()
    put(fields, "email", person.email)
    put(fields, "firstName", person.name.given_name if person.name else None)
    put(fields, "lastName", person.name.family_name if person.name else None)
    put(fields, "title", job.title)
    put(fields, "seniority", job.seniority)
    put(fields, "department", job.role)
    put(fields, "linkedinUrl", profile_url(LINKEDIN, _handle(person.linkedin)))
    put(fields, "twitter", profile_url(TWITTER, _handle(person.twitter)))
    put(fields, "location", _location(person.geo))
    put(fields, "companyDomain", job.domain)
    return fields


def company_fields(company: Company) -> Fields:
    fields: Fields = {}
    metrics = company.metrics or Metrics()
    linkedin = profile_url(LINKEDIN, _handle(company.linkedin))
    put(fields, "name", company.name)
    put(fields, "domain", company.domain)
    put(fields, "industry", company.category.industry if company.category else None)
    put(fields, "employeeCount", metrics.employees)
    put(fields, "employeeRange", metrics.employees_range)
    # The exact figure when Clearbit has one, else its estimated band ("$10M-$50M").
    revenue = metrics.annual_revenue if metrics.annual_revenue is not None else metrics.estimated_annual_revenue
    put(fields, "annualRevenue", revenue)
    put(fields, "foundedYear", company.founded_year)
    put(fields, "location", _location(company.geo))
    put(fields, "description", company.description)
    put(fields, "linkedinUrl", linkedin)
    put(fields, "technologies", names(company.tech))
    profiles = {
        "linkedin": linkedin,
        "twitter": profile_url(TWITTER, _handle(company.twitter)),
        "facebook": profile_url(FACEBOOK, _handle(company.facebook)),
    }
    put(fields, "socialProfiles", {network: url for network, url in profiles.items() if url})
    return fields
