"""Apollo's answers as msgspec Structs (unknown fields ignored), and their mapping to normalized fields."""

from __future__ import annotations

import msgspec

from adapters.providers.fields import Fields, first, location, names, put

# Apollo answers a locked email with this placeholder instead of leaving it out.
LOCKED_EMAIL_PREFIX = "email_not_unlocked@"


class Phone(msgspec.Struct):
    raw_number: str | None = None
    sanitized_number: str | None = None


class Contact(msgspec.Struct):
    phone_numbers: list[Phone] | None = None


class Technology(msgspec.Struct):
    name: str | None = None


class Organization(msgspec.Struct):
    name: str | None = None
    primary_domain: str | None = None
    industry: str | None = None
    estimated_num_employees: int | None = None
    annual_revenue: int | float | None = None
    founded_year: int | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    short_description: str | None = None
    linkedin_url: str | None = None
    twitter_url: str | None = None
    facebook_url: str | None = None
    technology_names: list[str] | None = None
    current_technologies: list[Technology] | None = None


class Person(msgspec.Struct):
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    email: str | None = None
    email_status: str | None = None
    seniority: str | None = None
    departments: list[str] | None = None
    linkedin_url: str | None = None
    twitter_url: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    phone_numbers: list[Phone] | None = None
    contact: Contact | None = None
    organization: Organization | None = None


class PersonMatch(msgspec.Struct):
    person: Person | None = None


class OrganizationEnrich(msgspec.Struct):
    organization: Organization | None = None


class BulkPeople(msgspec.Struct):
    matches: list[Person | None] | None = None


class BulkOrganizations(msgspec.Struct):
    organizations: list[Organization | None] | None = None


class ErrorBody(msgspec.Struct):
    error: str | None = None
    message: str | None = None


def person_fields(person: Person) -> Fields:
    fields: Fields = {}
    email = person.email if person.email and not person.email.startswith(LOCKED_EMAIL_PREFIX) else None
    put(fields, "email", email)
    put(fields, "emailStatus", person.email_status if email else None)
    put(fields, "firstName", person.first_name)
    put(fields, "lastName", person.last_name)
    put(fields, "title", person.title)
    put(fields, "seniority", person.seniority)
    put(fields, "department", first(person.departments))
    phones = (person.phone_numbers or []) + ((person.contact.phone_numbers or []) if person.contact else [])
    put(fields, "phone", first(p.sanitized_number or p.raw_number for p in phones))
    put(fields, "linkedinUrl", person.linkedin_url)
    put(fields, "twitter", person.twitter_url)
    put(fields, "location", location(person.city, person.state, person.country))
    put(fields, "companyDomain", person.organization.primary_domain if person.organization else None)
    return fields


def organization_fields(org: Organization) -> Fields:
    fields: Fields = {}
    put(fields, "name", org.name)
    put(fields, "domain", org.primary_domain)
    put(fields, "industry", org.industry)
    put(fields, "employeeCount", org.estimated_num_employees)
    put(fields, "annualRevenue", org.annual_revenue)
    put(fields, "foundedYear", org.founded_year)
    put(fields, "location", location(org.city, org.state, org.country))
    put(fields, "description", org.short_description)
    put(fields, "linkedinUrl", org.linkedin_url)
    technologies = names(org.technology_names) or names(t.name for t in org.current_technologies or [])
    put(fields, "technologies", technologies)
    profiles = {"linkedin": org.linkedin_url, "twitter": org.twitter_url, "facebook": org.facebook_url}
    put(fields, "socialProfiles", {k: v.strip() for k, v in profiles.items() if v and v.strip()})
    return fields
