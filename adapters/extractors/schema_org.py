"""`schema_org`: the organizations, people and postal addresses a site describes in JSON-LD.

Rules: every `<script type="application/ld+json">` is read (HTML comment and CDATA wrappers dropped, control
characters in strings tolerated); a block that is not JSON is skipped. Entities are found anywhere in a block —
top level, lists, `@graph`, nested values — and a bare `{"@id": ...}` reference is followed within its block.
Organization means Organization and its subtypes (Corporation, LocalBusiness and the common kinds of either,
and any type named ...Organization, ...Business or ...Store), kept with that `type`; Person and PostalAddress as
named. Only whitelisted keys are kept, each cleaned: text squashed and capped, URLs absolute http(s), emails and
phones normalized (E.164, in the page's region; invalid ones dropped), `founder`/`founders` merged into
`founders`, nested entities reduced to their own whitelist two levels deep. Site data is untrusted: at most
MAX_BLOCKS blocks of MAX_BLOCK_CHARS a page, MAX_WALK values walked a block, MAX_ITEMS results of each kind.
People of one name are one person (the first value of each key kept); an item equal to or contained in another
(the `worksFor` stub of the full Organization) is dropped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from adapters.extractors.html import language, nodes, squashed, web_url
from adapters.extractors.normalize import normalize_email, normalize_phone, phone_region
from domain.scraping.pages import Page

MAX_BLOCKS = 50
MAX_BLOCK_CHARS = 1_000_000
MAX_WALK = 10_000
MAX_CANDIDATES = 200
MAX_ITEMS = 20
MAX_LIST = 20
MAX_TEXT = 500
MAX_NESTING = 2
ORGANIZATION_TYPES = frozenset(
    {"Organization", "Corporation", "LocalBusiness", "NGO", "OnlineBusiness", "OnlineStore", "Airline",
     "Consortium", "Cooperative", "EducationalOrganization", "CollegeOrUniversity", "School", "FundingAgency",
     "GovernmentOrganization", "MedicalOrganization", "NewsMediaOrganization", "PerformingGroup", "PoliticalParty",
     "ResearchOrganization", "SportsOrganization", "SportsTeam", "WorkersUnion", "LibrarySystem", "Project",
     "ResearchProject", "Store", "Restaurant", "ProfessionalService", "LegalService", "Attorney", "Notary",
     "Dentist", "Physician", "FinancialService", "AccountingService", "BankOrCreditUnion", "InsuranceAgency",
     "AutoDealer", "AutoRepair", "Electrician", "Plumber", "GeneralContractor", "RoofingContractor",
     "HousePainter", "Locksmith", "MovingCompany", "Hotel", "Motel", "BedAndBreakfast", "Hostel",
     "RealEstateAgent", "TravelAgency", "FoodEstablishment", "CafeOrCoffeeShop", "Bakery", "BarOrPub", "Brewery",
     "Winery", "FastFoodRestaurant", "EmploymentAgency", "InternetCafe", "Library", "MedicalClinic", "Pharmacy",
     "Optician", "SportsActivityLocation", "ExerciseGym", "ChildCare", "DryCleaningOrLaundry", "EmergencyService",
     "GovernmentOffice", "RadioStation", "TelevisionStation", "SelfStorage", "ShoppingCenter",
     "TouristInformationCenter", "AnimalShelter", "Hospital", "Campground"}
)  # fmt: skip
ORGANIZATION_SUFFIXES = ("Organization", "Business", "Store")
JSON_LD = "application/ld+json"
_WRAPPERS = re.compile(r"^\s*(?:<!--|(?://\s*)?<!\[CDATA\[)|(?:-->|(?://\s*)?\]\]>)\s*$")

Clean = Callable[[Any, int], Any]


class SchemaOrgExtractor:
    name: str = "schema_org"
    fields: tuple[str, ...] = ("organizations", "people", "addresses")

    def extract(self, pages: list[Page]) -> dict[str, Any]:
        candidates: dict[str, list[dict[str, Any]]] = {kind: [] for kind in self.fields}
        for page in pages:
            for block in json_ld(page):
                cleaner = _Cleaner(page, block)
                for kind, node in cleaner.entities():
                    if len(candidates[kind]) < MAX_CANDIDATES and (item := cleaner.entity(kind, node, 0)):
                        candidates[kind].append(item)
        candidates["people"] = _same_names_merged(candidates["people"])
        found = {kind: _distinct(items)[:MAX_ITEMS] for kind, items in candidates.items()}
        return {kind: items for kind, items in found.items() if items}


def json_ld(page: Page) -> list[Any]:
    """The parsed JSON-LD blocks of a page (those that are not JSON left out)."""
    blocks = []
    for node in nodes(page, "script[type]"):
        kind = (node.attributes.get("type") or "").split(";", 1)[0].strip().lower()
        if kind != JSON_LD:
            continue
        text = _WRAPPERS.sub("", node.text()[:MAX_BLOCK_CHARS].strip())
        try:
            blocks.append(json.loads(text, strict=False, parse_constant=lambda _: None))
        except (ValueError, RecursionError):
            continue
        if len(blocks) >= MAX_BLOCKS:
            break
    return blocks


def type_names(node: dict[str, Any]) -> list[str]:
    """`@type` as bare names (`schema:Corporation`, `https://schema.org/Corporation` → `Corporation`)."""
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return [re.split(r"[/:#]", value.strip())[-1] for value in values[:MAX_LIST] if isinstance(value, str)]


def kind_of(node: dict[str, Any]) -> tuple[str, str] | None:
    """(result kind, the type that made it) for a kept entity; None for any other node."""
    names = type_names(node)
    for name in names:
        if name in ORGANIZATION_TYPES or name.endswith(ORGANIZATION_SUFFIXES):
            return "organizations", name
    if "Person" in names:
        return "people", "Person"
    if "PostalAddress" in names:
        return "addresses", "PostalAddress"
    return None


class _Cleaner:
    """Walks one block and cleans its entities against the whitelists."""

    def __init__(self, page: Page, block: Any) -> None:
        self._base = page.url
        self._region = phone_region(language(page), page.url)
        self._dicts = _walk(block)
        self._ids = {
            node["@id"]: node
            for node in self._dicts
            if isinstance(node.get("@id"), str) and set(node) - {"@id", "@type"}
        }
        self._keys: dict[str, dict[str, tuple[str, Clean]]] = {
            "organizations": {
                "name": ("name", self.text),
                "legalName": ("legalName", self.text),
                "url": ("url", self.url),
                "logo": ("logo", self.url),
                "email": ("email", self.email),
                "telephone": ("telephone", self.phone),
                "sameAs": ("sameAs", self.urls),
                "address": ("address", self.address),
                "founder": ("founders", self.people),
                "founders": ("founders", self.people),
                "foundingDate": ("foundingDate", self.text),
                "numberOfEmployees": ("numberOfEmployees", self.employees),
            },
            "people": {
                "name": ("name", self.text),
                "jobTitle": ("jobTitle", self.text),
                "worksFor": ("worksFor", self.organization),
                "url": ("url", self.url),
                "email": ("email", self.email),
                "telephone": ("telephone", self.phone),
                "sameAs": ("sameAs", self.urls),
            },
            "addresses": {
                key: (key, self.text) for key in ("streetAddress", "addressLocality", "addressRegion", "postalCode")
            }
            | {"addressCountry": ("addressCountry", self.country)},
        }

    def entities(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for node in self._dicts:
            if (kind := kind_of(node)) is not None:
                yield kind[0], node

    def entity(self, kind: str, node: Any, depth: int) -> dict[str, Any] | None:
        node = self._deref(node)
        if not isinstance(node, dict):
            return None
        item: dict[str, Any] = {}
        found = kind_of(node)
        if kind == "organizations" and found is not None and found[0] == kind:
            item["type"] = found[1]
        for key, (out, clean) in self._keys[kind].items():
            if key in node and (value := clean(node[key], depth)) not in (None, "", [], {}):
                if isinstance(value, list) and isinstance(item.get(out), list):
                    value = (item[out] + [v for v in value if v not in item[out]])[:MAX_LIST]
                item[out] = value
        return item if set(item) - {"type"} else None

    def _deref(self, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("@id"), str) and set(value) <= {"@id", "@type"}:
            return self._ids.get(value["@id"], value)
        return value

    def text(self, value: Any, depth: int = 0) -> str | None:
        value = _first(value)
        if isinstance(value, str):
            return squashed(value, MAX_TEXT) or None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return str(value)
        return None

    def url(self, value: Any, depth: int = 0) -> str | None:
        value = self._deref(_first(value))
        if isinstance(value, dict):
            value = next((value[k] for k in ("url", "contentUrl", "@id") if isinstance(value.get(k), str)), None)
        return web_url(self._base, value) if isinstance(value, str) else None

    def urls(self, value: Any, depth: int = 0) -> list[str]:
        found: dict[str, None] = {}
        for item in value[:MAX_LIST] if isinstance(value, list) else [value]:
            if isinstance(item, str) and (url := web_url(self._base, item)):
                found.setdefault(url, None)
        return list(found)

    def email(self, value: Any, depth: int = 0) -> str | None:
        value = _first(value)
        return normalize_email(value) if isinstance(value, str) else None

    def phone(self, value: Any, depth: int = 0) -> str | None:
        value = _first(value)
        return normalize_phone(value, self._region) if isinstance(value, str) else None

    def address(self, value: Any, depth: int) -> dict[str, Any] | str | None:
        value = self._deref(_first(value))
        if isinstance(value, dict):
            return self.entity("addresses", value, depth + 1)
        return self.text(value)

    def country(self, value: Any, depth: int = 0) -> str | None:
        value = self._deref(_first(value))
        if isinstance(value, dict):
            value = value.get("name") or value.get("identifier")
        return self.text(value)

    def people(self, value: Any, depth: int) -> list[Any]:
        found: list[Any] = []
        for item in value[:MAX_LIST] if isinstance(value, list) else [value]:
            person = self._nested("people", item, depth)
            if person and person not in found:
                found.append(person)
        return found

    def organization(self, value: Any, depth: int) -> dict[str, Any] | str | None:
        return self._nested("organizations", _first(value), depth)

    def _nested(self, kind: str, value: Any, depth: int) -> dict[str, Any] | str | None:
        value = self._deref(value)
        if not isinstance(value, dict):
            return self.text(value)
        if depth + 1 >= MAX_NESTING:
            return self.text(value.get("name"))
        return self.entity(kind, value, depth + 1)

    def employees(self, value: Any, depth: int = 0) -> int | float | str | dict[str, Any] | None:
        value = _first(value)
        if isinstance(value, dict):
            if "value" in value:
                value = value["value"]
            else:
                bounds = {key: _number(value.get(key)) for key in ("minValue", "maxValue")}
                return {key: number for key, number in bounds.items() if number is not None} or None
        number = _number(value)
        return number if number is not None else self.text(value)


def _walk(block: Any) -> list[dict[str, Any]]:
    """Every object in a block, in document order, at most MAX_WALK values looked at."""
    found: list[dict[str, Any]] = []
    stack = [block]
    budget = MAX_WALK
    while stack and budget > 0:
        budget -= 1
        value = stack.pop()
        if isinstance(value, dict):
            found.append(value)
            stack.extend(reversed(list(value.values())[:MAX_WALK]))
        elif isinstance(value, list):
            stack.extend(reversed(value[:MAX_WALK]))
    return found


def _first(value: Any) -> Any:
    """A value, or the first usable (not a list) element of a list."""
    if isinstance(value, list):
        return next((item for item in value[:MAX_LIST] if item is not None and not isinstance(item, list)), None)
    return value


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or abs(value) > 1e12:
        return None
    return int(value) if float(value).is_integer() else value


def _same_names_merged(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """People of one name (case aside) as one, where they were first seen: the first value of each key kept."""
    merged: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    for person in people:
        name = person.get("name")
        if not isinstance(name, str):
            merged.append(person)
        elif (known := by_name.get(name.casefold())) is not None:
            for key, value in person.items():
                known.setdefault(key, value)
        else:
            by_name[name.casefold()] = dict(person)
            merged.append(by_name[name.casefold()])
    return merged


def _distinct(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items in order, without those equal to or contained in another (a richer one, or an earlier equal one)."""
    bare = [{k: v for k, v in item.items() if k != "type"} for item in items]

    def covered(index: int) -> bool:
        own = bare[index]
        return any(
            other != index
            and all(k in theirs and theirs[k] == v for k, v in own.items())
            and (len(theirs) > len(own) or other < index)
            for other, theirs in enumerate(bare)
        )

    return [item for index, item in enumerate(items) if not covered(index)]
