"""The extractors: pure functions over a site's fetched pages, by name.

Each reads every page of one scrape and answers JSON-ready findings (`{}` when it found nothing); none does I/O.
`select` picks them by name: None is all of them (in EXTRACTORS' order), names are taken in the order given, each
once; an unknown name is `ValidationFailed` on the field "extractors", listing the known ones.
"""

from __future__ import annotations

from adapters.extractors.company_meta import CompanyMetaExtractor
from adapters.extractors.contacts import ContactsExtractor
from adapters.extractors.schema_org import SchemaOrgExtractor
from adapters.extractors.social import SocialExtractor
from adapters.extractors.tech_stack import TechStackExtractor
from domain.kernel.errors import ErrorDetail, ValidationFailed
from ports.scraping import Extractor

_ALL: tuple[Extractor, ...] = (
    CompanyMetaExtractor(),
    ContactsExtractor(),
    SocialExtractor(),
    SchemaOrgExtractor(),
    TechStackExtractor(),
)
EXTRACTORS: dict[str, Extractor] = {extractor.name: extractor for extractor in _ALL}


def select(names: list[str] | None) -> list[Extractor]:
    """The extractors named (None: all)."""
    if names is None:
        return list(EXTRACTORS.values())
    unknown = list(dict.fromkeys(name for name in names if name not in EXTRACTORS))
    if unknown:
        listed = ", ".join(repr(name[:40]) for name in unknown[:5])
        message = f"unknown extractor {listed}; known: {', '.join(EXTRACTORS)}"
        raise ValidationFailed(message, details=(ErrorDetail(field="extractors", message=message),))
    return [EXTRACTORS[name] for name in dict.fromkeys(names)]
