"""The enrichment providers Cascade knows by name.

A static list until the provider registry of a later issue replaces it.
"""

from __future__ import annotations

from domain.kernel.errors import ErrorDetail, ValidationFailed

PROVIDERS: tuple[str, ...] = ("apollo", "clearbit", "hunter", "scraper")


def check_provider(name: str) -> str:
    """Return `name` if it is a known provider; otherwise `ValidationFailed` listing the known ones."""
    if name not in PROVIDERS:
        raise ValidationFailed(
            f"unknown provider; expected one of: {', '.join(PROVIDERS)}",
            details=(ErrorDetail(field="provider", message="unknown provider"),),
        )
    return name
