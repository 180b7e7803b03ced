"""Parsing shared by the extractors: each page's HTML parsed once, its visible text, links, meta tags and language.

Rules: only the first MAX_HTML_CHARS of a page's HTML are read, and only as deep as MAX_DEPTH nested elements
(`depth_capped`); a page's parse is cached by its HTML (the last CACHE_SIZE pages, CACHE_CHARS of HTML at most),
so every extractor over one scrape shares it — callers must not change the tree. Visible text is the body's text
without script, style, noscript and template content, one text node a line. Links are `href`s resolved against
the page's URL (mailto: and tel: stay as written); one that does not resolve (a malformed URL) is skipped; at
most MAX_NODES elements of one kind are looked at per page.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from domain.scraping.pages import Page

MAX_HTML_CHARS = 2_000_000
MAX_NODES = 2_000
MAX_URL_CHARS = 2_000
CACHE_SIZE = 8  # a scrape's pages (6 by default)
CACHE_CHARS = 6_000_000  # a parse takes ~15x its HTML in memory: bound what idles in the cache
MAX_DEPTH = 256
DEPTH_SCAN_TAGS = 5_000
RAW_TEXT_TAGS = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
FLAT_TAGS = frozenset(  # void elements, and those whose end tag may be left out
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param",
     "keygen", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "rt", "rp", "thead", "tbody", "tfoot",
     "colgroup", "caption", "html", "head", "body"}
)  # fmt: skip
_TAG = re.compile(r"<(?:(!--)|(/)?([a-z][a-z0-9:-]*)[^<>]*>)")
HIDDEN_TAGS = "script, style, noscript, template"
_URL_NOISE = re.compile(r"[\t\n\r]")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,4}$", re.IGNORECASE)


@dataclass(slots=True)
class Document:
    """A parsed page, with what is read from it computed once (None until asked for)."""

    tree: LexborHTMLParser
    text: str | None = None
    metas: list[tuple[str, str]] | None = None


_cache: OrderedDict[str, Document] = OrderedDict()
_cache_lock = Lock()


def _document(html: str) -> Document:
    """The page's parse, from the cache (most recently used last) or parsed now."""
    with _cache_lock:
        if (doc := _cache.get(html)) is not None:
            _cache.move_to_end(html)
            return doc
    doc = Document(LexborHTMLParser(depth_capped(html[:MAX_HTML_CHARS])))
    with _cache_lock:
        _cache[html] = doc
        while len(_cache) > 1 and (len(_cache) > CACHE_SIZE or sum(map(len, _cache)) > CACHE_CHARS):
            _cache.popitem(last=False)
    return doc


def depth_capped(html: str) -> str:
    """The HTML cut where its elements nest deeper than MAX_DEPTH (the parser's work grows with depth squared).

    Only pages with over DEPTH_SCAN_TAGS tags are scanned. The depth is estimated from the tags: void elements,
    self-closed ones and those whose end tag is optional (p, li, td...) do not nest; comments and the content of
    raw-text elements (script, style...) are skipped; an unterminated one ends the scan, as it ends the page.
    """
    if html.count("<") <= DEPTH_SCAN_TAGS:
        return html
    lower, depth, position = html.lower(), 0, 0
    while (tag := _TAG.search(lower, position)) is not None:
        position = tag.end()
        comment, closing, name = tag.group(1), tag.group(2), tag.group(3)
        if comment:
            end = lower.find("-->", position)
            if end < 0:
                break
            position = end + 3
        elif name in RAW_TEXT_TAGS and not closing:
            end = lower.find("</" + name, position)
            if end < 0:
                break
            position = end
        elif closing:
            depth = max(0, depth - 1)
        elif name not in FLAT_TAGS and not tag.group().endswith("/>"):
            depth += 1
            if depth > MAX_DEPTH:
                return html[: tag.start()]
    return html


def parsed(page: Page) -> LexborHTMLParser:
    """The page's tree, parsed once for every extractor (read it; do not change it)."""
    return _document(page.html).tree


def nodes(page: Page, selector: str) -> list[LexborNode]:
    """The first MAX_NODES elements matching a CSS selector."""
    return parsed(page).css(selector)[:MAX_NODES]


def visible_text(page: Page) -> str:
    """What a reader sees: the body's text, without script/style/noscript/template, one text node a line."""
    doc = _document(page.html)
    if doc.text is None:
        copy = doc.tree.clone()
        for node in copy.css(HIDDEN_TAGS):
            node.decompose()
        body = copy.body
        doc.text = body.text(separator="\n", strip=True) if body is not None else ""
    return doc.text


def resolve(base: str, href: str | None) -> str | None:
    """`href` made absolute against `base` (tabs and newlines dropped, as browsers do); None if it cannot be."""
    if not href:
        return None
    href = _URL_NOISE.sub("", href.strip())
    if not href or len(href) > MAX_URL_CHARS:
        return None
    try:
        return urljoin(base, href)
    except ValueError:  # e.g. a malformed IPv6 host
        return None


def host_of(url: str) -> str:
    """The lower-case host of a URL ("" when it has none or is malformed)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def web_url(base: str, href: str | None) -> str | None:
    """`href` resolved, and only if it is an http(s) URL."""
    url = resolve(base, href)
    return url if url is not None and url.lower().startswith(("http://", "https://")) else None


def links(page: Page) -> list[str]:
    """Every `<a href>` target, resolved, in page order (duplicates kept: callers count them)."""
    found = []
    for node in nodes(page, "a[href], area[href]"):
        url = resolve(page.url, node.attributes.get("href"))
        if url is not None:
            found.append(url)
    return found


def metas(page: Page) -> list[tuple[str, str]]:
    """(name or property, lower-cased; content, stripped) of every `<meta>` with both, in page order."""
    doc = _document(page.html)
    if doc.metas is None:
        found = []
        for node in doc.tree.css("meta")[:MAX_NODES]:
            attrs = node.attributes
            key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
            content = attrs.get("content")
            if key and content and content.strip():
                found.append((key.strip().lower(), content.strip()))
        doc.metas = found
    return doc.metas


def meta(page: Page, *keys: str) -> str | None:
    """The content of the first meta tag named (or with the property) any of `keys`, in the order of `keys`."""
    found = metas(page)
    for key in keys:
        for name, content in found:
            if name == key:
                return content
    return None


def language(page: Page) -> str | None:
    """The page's `<html lang>` as a language tag (`en_us` → `en-US`), or None when missing or malformed."""
    node = parsed(page).css_first("html")
    raw = (node.attributes.get("lang") or "").strip().replace("_", "-") if node is not None else ""
    if not _LANGUAGE.match(raw):
        return None
    primary, *rest = raw.split("-")
    return "-".join([primary.lower(), *(part.upper() if len(part) == 2 else part for part in rest)])


def squashed(text: str, limit: int) -> str:
    """Whitespace runs made one space, trimmed, cut at `limit` characters."""
    return " ".join(text.split())[:limit].strip()
