"""Helpers that turn a provider's decoded answer into normalized `FieldValue`s.

Only what the provider really returned becomes a field: empty strings,
nulls, empty lists and empty mappings are left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.enrichment.schema import FieldData, FieldValue

LINKEDIN = "https://www.linkedin.com/"
TWITTER = "https://twitter.com/"
FACEBOOK = "https://www.facebook.com/"

Fields = dict[str, FieldValue]


def put(fields: Fields, name: str, value: FieldData | None, confidence: float = 1.0) -> None:
    if isinstance(value, bool):  # a JSON boolean is no field value of ours
        return
    if isinstance(value, str):
        value = value.strip()
    if value is None or value in ("", [], {}):
        return
    fields[name] = FieldValue(value=value, confidence=min(max(confidence, 0.0), 1.0))


def names(values: Iterable[str | None] | None) -> list[str]:
    """Stripped, non-empty, each once, in the provider's order."""
    seen: dict[str, None] = {}
    for value in values or ():
        if value and value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)


def location(city: str | None, region: str | None, country: str | None) -> dict[str, str]:
    parts = {"city": city, "region": region, "country": country}
    return {key: value.strip() for key, value in parts.items() if value and value.strip()}


def profile_url(base: str, handle: str | None) -> str | None:
    """A social handle ("in/jane", "@jane", "company/acme") as a URL; a URL stays as it is."""
    if not handle or not handle.strip():
        return None
    handle = handle.strip()
    if handle.startswith(("http://", "https://")):
        return handle
    return base + handle.lstrip("@/")


def bare_domain(value: str | None) -> str | None:
    """`https://www.Acme.com/about` or `@acme.com` → `acme.com`, as providers want a domain."""
    if not value:
        return None
    domain = value.strip().lower()
    domain = domain.split("://", 1)[-1].rsplit("@", 1)[-1]
    domain = domain.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].strip(".")
    domain = domain.removeprefix("www.")
    return domain or None


def first(values: Iterable[str | None] | None) -> str | None:
    found = names(values)
    return found[0] if found else None
