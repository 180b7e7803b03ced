"""`company_meta`: what a site says about itself in its head: name, description, logo, favicon, language, og tags.

Rules: each field is taken from the first page that has it, so the home page (the first) wins. The name is
`og:site_name`, else `application-name`, else the `<title>` cut at its first separator (` | `, ` - `, an en or em
dash, ` · `, ` : `), skipping generic parts ("Home", "Welcome"). The description is the meta description, else
`og:description`. The logo is the first `<img>` whose src, alt, class or id mentions "logo", else `og:image` (an
og:image is often a share banner, so a marked logo is preferred). The favicon is the first `<link rel="icon">` or
`shortcut icon`, else an `apple-touch-icon` or `mask-icon`; nothing declared means no favicon — `/favicon.ico`
is not assumed, as nothing checked it exists. URLs are made absolute and kept only if http(s). The language is
`<html lang>`; opengraph holds the first value of each `og:*` property of the first page that has any. Text is
squashed and capped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from adapters.extractors.html import language, meta, metas, nodes, parsed, squashed, web_url
from domain.scraping.pages import Page

MAX_NAME = 200
MAX_DESCRIPTION = 1_000
MAX_OG_PROPERTIES = 40
MAX_OG_VALUE = 1_000
_TITLE_SEPARATORS = re.compile("\\s+(?:\\||-|\u2013|\u2014|\u00b7|:|::|\u00bb)\\s+")
GENERIC_TITLES = frozenset(
    {"home", "homepage", "home page", "welcome", "start", "startseite", "accueil", "inicio", "index", "official site",
     "official website", "willkommen", "bienvenue"}
)  # fmt: skip
ICON_RANKS = {"icon": 0, "apple-touch-icon": 1, "apple-touch-icon-precomposed": 1, "mask-icon": 2}


class CompanyMetaExtractor:
    name: str = "company_meta"
    fields: tuple[str, ...] = ("name", "description", "logo", "favicon", "language", "opengraph")

    def extract(self, pages: list[Page]) -> dict[str, Any]:
        readers: dict[str, Callable[[Page], Any]] = {
            "name": site_name,
            "description": description,
            "logo": logo,
            "favicon": favicon,
            "language": language,
            "opengraph": opengraph,
        }
        found: dict[str, Any] = {}
        for field, read in readers.items():
            for page in pages:
                if value := read(page):
                    found[field] = value
                    break
        return found


def site_name(page: Page) -> str | None:
    if named := meta(page, "og:site_name", "application-name"):
        return squashed(named, MAX_NAME) or None
    title = parsed(page).css_first("title")
    return title_name(title.text()) if title is not None else None


def title_name(title: str) -> str | None:
    """A title without its tagline: `Acme Robotics | Robots for all` → `Acme Robotics`."""
    for part in _TITLE_SEPARATORS.split(squashed(title, 2_000)):
        part = part.strip()
        if part and part.lower() not in GENERIC_TITLES:
            return part[:MAX_NAME].strip()
    return None


def description(page: Page) -> str | None:
    text = meta(page, "description", "og:description")
    return (squashed(text, MAX_DESCRIPTION) or None) if text else None


def logo(page: Page) -> str | None:
    for node in nodes(page, "img"):
        attrs = node.attributes
        src = attrs.get("src") or attrs.get("data-src")
        marks = " ".join(attrs.get(key) or "" for key in ("src", "data-src", "alt", "class", "id"))
        if "logo" in marks.lower() and (url := web_url(page.url, src)):
            return url
    return web_url(page.url, meta(page, "og:image", "og:image:url", "og:image:secure_url"))


def favicon(page: Page) -> str | None:
    best: tuple[int, str] | None = None
    for node in nodes(page, "link[rel][href]"):
        tokens = (node.attributes.get("rel") or "").lower().split()
        rank = min((ICON_RANKS[token] for token in tokens if token in ICON_RANKS), default=None)
        url = web_url(page.url, node.attributes.get("href"))
        if rank is not None and url is not None and (best is None or rank < best[0]):
            best = (rank, url)
    return best[1] if best else None


def opengraph(page: Page) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, content in metas(page):
        if key.startswith("og:") and key not in found and len(found) < MAX_OG_PROPERTIES:
            found[key] = squashed(content, MAX_OG_VALUE)
    return {key: value for key, value in found.items() if value}
