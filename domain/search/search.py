"""Search: what a record looks like to the index, how a query is read, and how a match ranks.

Every index (memory, PostgreSQL, OpenSearch) follows these rules, so a query finds the same records whichever
answers it:

- A document holds its record's words: name, email, domain, company and title, lower-cased, accents
  folded, split at anything that is not a letter or a digit; the whole email and the whole domain are words
  too, so "ann@acme.io" and "acme.io" match exactly.
- A query is read the same way, into at most `MAX_TERMS` terms. A record matches when every term matches
  one of its words: the same word (exact, 3 points), the start of a word (prefix, 2: search as you type),
  or a word whose start (of up to `MAX_PREFIX` characters, the whole word included) is one edit away from a
  term of 4 characters or more, two from 8 (typo, 1; an edit: a letter added, removed or changed).
- A match scores the sum of its terms' best points, and ranks by score, then by name, then by record id, so
  the order of a document never depends on the others and a cursor stays valid while the index changes.
  Its `match` says its weakest term's kind.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from uuid import UUID

from domain.enrichment.schema import EntityKind
from domain.kernel.errors import ErrorDetail, ServiceUnavailable, ValidationFailed
from domain.records.record import Record, RecordStatus

NIL = UUID(int=0)
MAX_PREFIX = 20  # the longest start of a word a typo is looked for in
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_FILTER_VALUES = 20
FACETS = ("kind", "status", "industry", "country", "seniority", "technologies")
_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_ADDRESS = re.compile(r"[\w.@+-]+")  # an email or a domain, typed whole


class Tier(IntEnum):
    """How well a term matches a word; a document ranks by its weakest term."""

    TYPO = 1
    PREFIX = 2
    EXACT = 3


@dataclass(slots=True, kw_only=True, frozen=True)
class SearchDocument:
    record_id: UUID
    workspace_id: UUID
    version: int
    kind: str
    status: str
    name: str
    email: str
    domain: str
    company: str
    title: str
    industry: str
    country: str
    seniority: str
    technologies: tuple[str, ...]
    created_at: datetime
    updated_at: datetime

    @property
    def words(self) -> frozenset[str]:
        found = set[str]()
        for text in (self.name, self.email, self.domain, self.company, self.title):
            found.update(words_of(text))
        found.update(w for w in (fold(self.email), fold(self.domain)) if w)
        return frozenset(found)

    def facet_values(self, facet: str) -> tuple[str, ...]:
        if facet == "technologies":
            return self.technologies
        value = getattr(self, facet)
        return (value,) if value else ()

    @property
    def sort_name(self) -> str:
        return fold(self.name or self.email or self.domain or self.company)

    def stored(self) -> dict[str, object]:
        """What an index keeps of it: its fields, its sort name and its words (ids and instants as they are:
        each adapter's JSON encoder writes them)."""
        return {
            "record_id": self.record_id, "workspace_id": self.workspace_id, "version": self.version,
            "kind": self.kind, "status": self.status, "name": self.name, "email": self.email,
            "domain": self.domain, "company": self.company, "title": self.title, "industry": self.industry,
            "country": self.country, "seniority": self.seniority, "technologies": list(self.technologies),
            "sort_name": self.sort_name, "words": sorted(self.words), "created_at": self.created_at,
            "updated_at": self.updated_at,
        }  # fmt: skip


@dataclass(slots=True, kw_only=True, frozen=True)
class Tombstone:
    """A deleted record, at the version of its deletion: an older write of it changes nothing."""

    record_id: UUID
    workspace_id: UUID
    version: int


def fold(text: str) -> str:
    """Lower-case without accents: "José" and "jose" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words_of(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def document_of(record: Record, version: int) -> SearchDocument:
    inputs, fields = record.inputs, record.fields
    person = record.kind is EntityKind.PERSON
    first, last = (
        _text(fields.get("firstName")) or _text(inputs.get("firstName")),
        _text(fields.get("lastName")) or _text(inputs.get("lastName")),
    )
    if person:
        name = _text(inputs.get("fullName")) or " ".join(part for part in (first, last) if part)
    else:
        name = _text(fields.get("name")) or _text(inputs.get("companyName"))
    location = fields.get("location")
    technologies = fields.get("technologies")
    return SearchDocument(
        record_id=record.id,
        workspace_id=record.workspace_id,
        version=version,
        kind=record.kind.value,
        status=record.status.value,
        name=name,
        email=(_text(fields.get("email")) or _text(inputs.get("email"))).lower(),
        domain=record.domain or "",
        company=_text(inputs.get("companyName")) or ("" if person else name),
        title=_text(fields.get("title")),
        industry=_text(fields.get("industry")),
        country=_text(location.get("country")) if isinstance(location, dict) else "",
        seniority=_text(fields.get("seniority")),
        technologies=tuple(sorted({t.strip() for t in technologies if t.strip()}))
        if isinstance(technologies, list)
        else (),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def allowed_edits(term: str) -> int:
    return 2 if len(term) >= 8 else 1 if len(term) >= 4 else 0


def tier_of(term: str, word: str) -> Tier | None:
    """How `term` matches `word`, if it does."""
    if word == term:
        return Tier.EXACT
    if word.startswith(term):
        return Tier.PREFIX
    edits = allowed_edits(term)
    if edits:
        longest = min(len(word), len(term) + edits, MAX_PREFIX)
        if any(within(term, word[:n], edits) for n in range(max(1, len(term) - edits), longest + 1)):
            return Tier.TYPO
    return None


def within(a: str, b: str, edits: int) -> bool:
    """Whether the Levenshtein distance of `a` and `b` is at most `edits` (a band of the table only)."""
    if abs(len(a) - len(b)) > edits:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
        if min(current) > edits:
            return False
        previous = current
    return previous[-1] <= edits


def best_tiers(terms: tuple[str, ...], words: frozenset[str]) -> list[Tier] | None:
    """Each term's best match among the words; None unless every term matches one."""
    tiers = []
    for term in terms:
        best = max((t for w in words if (t := tier_of(term, w)) is not None), default=None)
        if best is None:
            return None
        tiers.append(best)
    return tiers


def match_of(terms: tuple[str, ...], document: SearchDocument) -> Tier:
    """A hit's weakest term (an empty query lists everything, as exact)."""
    return min(best_tiers(terms, document.words) or [Tier.EXACT])


class Sort(IntEnum):
    RELEVANCE = 1
    NEWEST = 2


@dataclass(slots=True, kw_only=True, frozen=True)
class SearchCursor:
    """After (score, sort name, record id) in relevance order, or (created at, record id) newest first."""

    score: int = 0
    name: str = ""
    created_at: datetime | None = None
    record_id: UUID = NIL

    def encode(self) -> str:
        at = self.created_at.isoformat() if self.created_at is not None else None
        raw = json.dumps([self.score, self.name, at, str(self.record_id)], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> SearchCursor:
        try:
            score, name, at, record_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            created_at = datetime.fromisoformat(at) if at is not None else None
            if not isinstance(score, int) or not isinstance(name, str) or (created_at and not created_at.tzinfo):
                raise ValueError("malformed")
            return cls(score=score, name=name, created_at=created_at, record_id=UUID(record_id))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                "invalid cursor", details=(ErrorDetail(field="cursor", message="malformed"),)
            ) from exc


class SearchUnavailable(ServiceUnavailable):
    """The search engine cannot be reached: records are kept and searchable again once it is back."""

    code = "SEARCH_UNAVAILABLE"


@dataclass(slots=True, kw_only=True, frozen=True)
class SearchQuery:
    workspace_id: UUID
    terms: tuple[str, ...]
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet -> any of these values
    sort: Sort = Sort.RELEVANCE
    limit: int = 20
    after: SearchCursor | None = None

    def admits(self, document: SearchDocument) -> bool:
        """The filters: every facet filtered, by any of its values."""
        return all(set(document.facet_values(f)) & set(values) for f, values in self.filters.items())


@dataclass(slots=True, kw_only=True, frozen=True)
class Highlight:
    field: str
    value: str
    spans: tuple[tuple[int, int], ...]  # [start, end) of each matched word in `value`


@dataclass(slots=True, kw_only=True, frozen=True)
class SearchHit:
    document: SearchDocument
    score: int
    match: Tier
    highlights: tuple[Highlight, ...]


def hit(document: SearchDocument, score: int, terms: tuple[str, ...]) -> SearchHit:
    return SearchHit(document=document, score=score, match=match_of(terms, document),
                     highlights=highlights(document, terms))  # fmt: skip


@dataclass(slots=True, kw_only=True, frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[tuple[str, int]]]  # facet -> (value, count), most frequent first
    next_cursor: SearchCursor | None


def read_terms(text: str) -> tuple[str, ...]:
    """The query's terms, in order, each once; `ValidationFailed` for a query too long to be one."""
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationFailed(
            f"the query is longer than {MAX_QUERY_CHARS} characters",
            details=(ErrorDetail(field="q", message=f"at most {MAX_QUERY_CHARS} characters"),),
        )
    terms = list(dict.fromkeys(words_of(text)))
    whole = fold(text)
    if ("@" in whole or "." in whole) and _ADDRESS.fullmatch(whole) and whole not in terms:
        terms = [whole]  # an email or a domain typed whole: one exact word (its parts match through it)
    return tuple(terms[:MAX_TERMS])


def highlights(document: SearchDocument, terms: tuple[str, ...]) -> tuple[Highlight, ...]:
    found = []
    for name in ("name", "email", "domain", "company", "title"):
        value: str = getattr(document, name)
        spans = tuple(
            (match.start(), match.end())
            for match in _WORD.finditer(value)
            if any(tier_of(term, fold(match.group())) is not None for term in terms)
        )
        if not spans and fold(value) in terms:
            spans = ((0, len(value)),)
        if spans:
            found.append(Highlight(field=name, value=value, spans=spans))
    return tuple(found)


def check_filters(raw: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """The facet filters given (empty values dropped), each a known facet with a few values."""
    filters: dict[str, tuple[str, ...]] = {}
    for facet, values in raw.items():
        kept = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
        if not kept:
            continue
        if any(_CONTROL.search(v) for v in kept):
            raise ValidationFailed(
                f"{facet}: control characters are not allowed",
                details=(ErrorDetail(field=facet, message="control characters"),),
            )
        if len(kept) > MAX_FILTER_VALUES or any(len(v) > 200 for v in kept):
            raise ValidationFailed(
                f"{facet}: at most {MAX_FILTER_VALUES} values of 200 characters",
                details=(ErrorDetail(field=facet, message="too many or too long"),),
            )
        if facet == "kind":
            _known(facet, kept, {k.value for k in EntityKind})
        if facet == "status":
            _known(facet, kept, {s.value for s in RecordStatus})
        filters[facet] = kept
    return filters


def _known(facet: str, values: tuple[str, ...], known: set[str]) -> None:
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValidationFailed(
            f"{facet}: unknown values {unknown}; known: {', '.join(sorted(known))}",
            details=(ErrorDetail(field=facet, message="unknown value"),),
        )


def run_query(documents: list[SearchDocument], query: SearchQuery) -> SearchResult:
    """The query over these documents, as every index answers it (the memory index runs this itself)."""
    matched: list[tuple[int, SearchDocument]] = []
    for document in documents:
        if document.workspace_id != query.workspace_id or not query.admits(document):
            continue
        tiers = best_tiers(query.terms, document.words)
        if tiers is not None:
            matched.append((sum(tiers), document))
    facets = {facet: _counts(value for _, d in matched for value in d.facet_values(facet)) for facet in FACETS}
    if query.sort is Sort.NEWEST:
        matched.sort(key=lambda m: (m[1].created_at, m[1].record_id), reverse=True)
        if (after := query.after) is not None and after.created_at is not None:
            matched = [m for m in matched if (m[1].created_at, m[1].record_id) < (after.created_at, after.record_id)]
    else:
        matched.sort(key=lambda m: (-m[0], m[1].sort_name, m[1].record_id))
        if (after := query.after) is not None:
            bound = (-after.score, after.name, after.record_id)
            matched = [m for m in matched if (-m[0], m[1].sort_name, m[1].record_id) > bound]
    page = matched[: query.limit]
    more = len(matched) > query.limit
    hits = [hit(d, score, query.terms) for score, d in page]
    return SearchResult(
        hits=hits,
        total=sum(count for _, count in facets["kind"]),
        facets=facets,
        next_cursor=cursor_after(page[-1][0], page[-1][1]) if more else None,
    )


def cursor_after(score: int, document: SearchDocument) -> SearchCursor:
    return SearchCursor(score=score, name=document.sort_name, created_at=document.created_at,
                        record_id=document.record_id)  # fmt: skip


def _counts(values: Iterable[str]) -> list[tuple[str, int]]:
    return sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))
