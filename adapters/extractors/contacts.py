"""`contacts`: the email addresses and phone numbers a site shows.

Rules: emails come from `mailto:` links (query dropped; several addresses split), Cloudflare-protected addresses
(`data-cfemail`) and the visible text (plain, escaped or obfuscated — see `normalize`); phones from `tel:` links
and the visible text, in E.164, read in the page's region. Script, style and noscript content is not read: what
only JavaScript writes is found on a rendered page. Each value once, with the first page it was seen on; emails
on the site's own domain come first, then the rest, each in the order they were first seen (pages in order,
links before text). At most MAX_PER_PAGE of each kind per page and MAX_FOUND in all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from adapters.extractors.html import host_of, language, nodes, visible_text
from adapters.extractors.normalize import (
    cloudflare_email,
    find_emails,
    find_phones,
    normalize_email,
    normalize_phone,
    phone_region,
)
from domain.scraping.pages import Page, same_site

MAX_PER_PAGE = 50
MAX_FOUND = 100
CLOUDFLARE_EMAIL_PATH = "/cdn-cgi/l/email-protection#"


class ContactsExtractor:
    name: str = "contacts"
    fields: tuple[str, ...] = ("emails", "phones")

    def extract(self, pages: list[Page]) -> dict[str, Any]:
        emails: dict[str, str] = {}
        phones: dict[str, str] = {}
        for page in pages:
            for email in page_emails(page)[:MAX_PER_PAGE]:
                if len(emails) < MAX_FOUND:
                    emails.setdefault(email, page.url)
            for phone in page_phones(page)[:MAX_PER_PAGE]:
                if len(phones) < MAX_FOUND:
                    phones.setdefault(phone, page.url)
        site = host_of(pages[0].url) if pages else ""
        own = sorted(emails, key=lambda email: not same_site(email.rsplit("@", 1)[-1], site))  # stable
        found: dict[str, Any] = {}
        if emails:
            found["emails"] = [{"value": email, "page": emails[email]} for email in own]
        if phones:
            found["phones"] = [{"value": phone, "page": page} for phone, page in phones.items()]
        return found


def page_emails(page: Page) -> list[str]:
    """The page's addresses, each once: mailto links, Cloudflare-protected ones, then the visible text."""
    found: dict[str, None] = {}
    for node in nodes(page, "a[href], [data-cfemail]"):
        href = (node.attributes.get("href") or "").strip()
        candidates: list[str | None] = []
        if href[:7].lower() == "mailto:":
            addresses = unquote(href[7:].split("?", 1)[0])
            candidates += [normalize_email(address) for address in addresses.split(",")[:MAX_PER_PAGE]]
        elif CLOUDFLARE_EMAIL_PATH in href:
            candidates.append(cloudflare_email(href.split("#", 1)[1]))
        if encoded := node.attributes.get("data-cfemail"):
            candidates.append(cloudflare_email(encoded))
        for email in candidates:
            if email is not None:
                found.setdefault(email, None)
    for email in find_emails(visible_text(page), MAX_PER_PAGE):
        found.setdefault(email, None)
    return list(found)


def page_phones(page: Page) -> list[str]:
    """The page's numbers in E.164, each once: tel links, then the visible text."""
    region = phone_region(language(page), page.url)
    found: dict[str, None] = {}
    for node in nodes(page, "a[href]"):
        href = (node.attributes.get("href") or "").strip()
        if href[:4].lower() == "tel:" and (phone := normalize_phone(href, region)) is not None:
            found.setdefault(phone, None)
    for phone in find_phones(visible_text(page), region, MAX_PER_PAGE):
        found.setdefault(phone, None)
    return list(found)
