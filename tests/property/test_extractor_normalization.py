"""Extractor properties: normalizations and extractors never crash on arbitrary text or HTML and give only clean
values; normalizing twice changes nothing; canonical social URLs round-trip; phones are always E.164; emails always
plain and lower-case."""

from __future__ import annotations

import json
import re
from typing import Any

import phonenumbers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat as Style

from adapters.extractors import EXTRACTORS
from adapters.extractors.normalize import (
    SOCIAL_NETWORKS,
    canonical_social,
    find_emails,
    find_phones,
    normalize_email,
    normalize_phone,
    social_profile,
)
from domain.scraping.pages import Page

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$")
CANONICAL = re.compile(
    r"^https://(?:linkedin\.com|x\.com|github\.com|facebook\.com|instagram\.com|youtube\.com)/[^?#\s]+$"
)
REGIONS = st.sampled_from(["US", "DE", "GB", "FR", "JP", "BR", "IN", "ZZ", ""])
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

alnum = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)
label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
top = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
noise = st.text(max_size=40)
phone_regions = st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS))
STYLES = [Style.E164, Style.INTERNATIONAL, Style.NATIONAL, Style.RFC3966]


def clean_email(value: str) -> bool:
    return bool(EMAIL.match(value)) and value == value.lower()


@st.composite
def emailish(draw: st.DrawFn) -> str:
    """Something shaped like an address, in one of the ways sites write one."""
    local = draw(st.from_regex(r"[A-Za-z0-9_+-]{1,10}(?:\.[A-Za-z0-9_+-]{1,6})?", fullmatch=True))
    domain = ".".join([*draw(st.lists(label, min_size=1, max_size=3)), draw(top)])
    plain = f"{local}@{domain}"
    forms = [
        plain,
        f"mailto:{plain}?subject={draw(noise)}",
        plain.replace("@", " [at] ").replace(".", " [dot] "),
        plain.replace("@", "(at)").replace(".", "(dot)"),
        plain.replace("@", "&#64;"),
        f"<{plain.upper()}>",
    ]
    return draw(st.sampled_from(forms))


@st.composite
def phoneish(draw: st.DrawFn) -> str:
    """A real number of some region as sites write it (international, national, tel:), or a garbled one."""
    number = phonenumbers.example_number(draw(phone_regions))
    if number is None:
        return draw(st.from_regex(r"\+?[0-9 ()\-.]{6,22}", fullmatch=True))
    written = phonenumbers.format_number(number, draw(st.sampled_from(STYLES)))
    if draw(st.booleans()):
        position = draw(st.integers(0, max(len(written) - 1, 0)))
        written = (
            written[:position] + draw(st.sampled_from(["", "0", "9", " ", "-", "(", "+"])) + written[position + 1 :]
        )
    return draw(st.sampled_from([written, "tel:" + written.replace(" ", ""), f"Call {written} today"]))


@st.composite
def social_url(draw: st.DrawFn) -> str:
    host = draw(
        st.sampled_from(
            ["linkedin.com", "www.linkedin.com", "de.linkedin.com", "twitter.com", "mobile.twitter.com", "x.com",
             "www.x.com", "github.com", "facebook.com", "m.facebook.com", "fb.com", "instagram.com", "youtube.com",
             "m.youtube.com", "evil.test", "LinkedIn.COM"]
        )
    )  # fmt: skip
    first = draw(st.sampled_from(["company", "in", "school", "orgs", "channel", "c", "user", "intent", "share", "p"]))
    segments = draw(st.lists(st.one_of(alnum, st.just(first), alnum.map("@{}".format), noise), max_size=3))
    scheme = draw(st.sampled_from(["https://", "http://", "//", "HTTPS://"]))
    tail = draw(st.sampled_from(["", "/", "?ref=x", "#top", "/?a=b#c"]))
    return scheme + host + "/" + "/".join([first, *segments][: draw(st.integers(1, 4))]) + tail


@st.composite
def html_documents(draw: st.DrawFn) -> str:
    """HTML made of the tags the extractors read, with arbitrary and likely attribute values and text."""
    value = st.one_of(
        noise,
        emailish(),
        social_url(),
        phoneish(),
        st.sampled_from(["mailto:a@b.test?x", "tel:+14155550132", "/cdn-cgi/l/email-protection#4243", "logo.png",
                         "javascript:void(0)", "http://[::1", "og:site_name", "og:image", "icon", "generator",
                         "description", "application-name", "WordPress 6", "https://js.stripe.com/v3/",
                         "//widget.intercom.io/widget/x", "en-GB", "de", "#x"]),
    )  # fmt: skip
    scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), noise, value)
    entity_type = st.sampled_from(["Organization", "Person", "PostalAddress", "Dentist", "schema:Corporation", "Thing"])
    keys = st.sampled_from(
        ["@id", "name", "url", "logo", "email", "telephone", "sameAs", "address", "founder", "founders", "worksFor",
         "numberOfEmployees", "addressCountry", "streetAddress", "value", "minValue", "jobTitle", "contentUrl"]
    )  # fmt: skip
    json_ld = st.one_of(
        noise,
        st.recursive(
            scalar,
            lambda inner: st.one_of(
                st.lists(inner, max_size=4),
                st.dictionaries(keys, inner, max_size=6).flatmap(
                    lambda entity: entity_type.map(lambda kind: {"@type": kind, **entity})
                ),
                st.lists(inner, max_size=4).map(lambda graph: {"@graph": graph}),
            ),
            max_leaves=25,
        ).map(json.dumps),
    )
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["a", "img", "meta", "link", "script", "ldjson", "title", "p", "text", "span"]))
        if kind == "a":
            parts.append(f'<a href="{draw(st.one_of(social_url(), value))}">{draw(noise)}</a>')
        elif kind == "img":
            parts.append(f'<img src="{draw(value)}" alt="{draw(value)}" class="logo">')
        elif kind == "meta":
            parts.append(f'<meta name="{draw(value)}" property="{draw(value)}" content="{draw(value)}">')
        elif kind == "link":
            rel = draw(st.one_of(value, st.sampled_from(["icon", "shortcut icon", "apple-touch-icon"])))
            parts.append(f'<link rel="{rel}" href="{draw(value)}">')
        elif kind == "script":
            src = draw(st.one_of(value, st.sampled_from(["/_next/static/x.js", "https://cdn.shopify.com/s.js"])))
            code = draw(st.one_of(noise, st.sampled_from(["window.intercomSettings = {}", "gtag('config', 'G-X1')"])))
            parts.append(f'<script src="{src}"></script><script>{code}</script>')
        elif kind == "ldjson":
            parts.append(f'<script type="application/ld+json">{draw(json_ld)}</script>')
        elif kind == "title":
            parts.append(f"<title>{draw(noise)}</title>")
        elif kind == "p":
            parts.append(f"<p>{draw(value)}</p>")
        elif kind == "span":
            parts.append(f'<span data-cfemail="{draw(value)}">{draw(noise)}')
        else:
            parts.append(draw(noise))
    return f'<html lang="{draw(value)}"><head></head><body>' + "".join(parts) + "</body></html>"


# --- emails ---------------------------------------------------------------------------------------------------


@FAST
@given(st.one_of(noise, emailish(), st.text()))
def test_an_email_normalizes_clean_or_not_at_all_and_only_once(raw: str) -> None:
    email = normalize_email(raw)

    if email is not None:
        assert clean_email(email)
        assert normalize_email(email) == email


@FAST
@given(emailish())
def test_the_ways_sites_write_an_address_all_give_the_plain_one(raw: str) -> None:
    email = normalize_email(raw)

    if email is not None:
        assert normalize_email(f"mailto:{email}") == email
        assert normalize_email(email.replace("@", " [at] ")) == email


@FAST
@given(st.lists(st.one_of(noise, emailish()), max_size=8).map(" ".join), st.integers(1, 5))
def test_emails_found_in_text_are_clean_distinct_and_capped(text: str, limit: int) -> None:
    found = find_emails(text, limit)

    assert len(found) <= limit
    assert len(set(found)) == len(found)
    assert all(clean_email(email) and normalize_email(email) == email for email in found)


# --- phones ---------------------------------------------------------------------------------------------------


@FAST
@given(st.one_of(phoneish(), noise), REGIONS, REGIONS)
def test_a_phone_normalizes_to_e164_or_not_at_all_and_only_once(raw: str, region: str, other: str) -> None:
    phone = normalize_phone(raw, region)

    if phone is not None:
        assert E164.match(phone)
        assert normalize_phone(phone, region) == phone
        assert normalize_phone(phone, other) == phone  # an E.164 number reads the same in any region


@FAST
@given(st.lists(st.one_of(phoneish(), noise), max_size=6).map("\n".join), REGIONS, st.integers(1, 5))
def test_phones_found_in_text_are_e164_distinct_and_capped(text: str, region: str, limit: int) -> None:
    found = find_phones(text, region, limit)

    assert len(found) <= limit
    assert len(set(found)) == len(found)
    assert all(E164.match(phone) and normalize_phone(phone, "US") == phone for phone in found)


# --- social profiles ------------------------------------------------------------------------------------------


@FAST
@given(st.one_of(social_url(), noise, st.text()))
def test_a_canonical_social_url_round_trips(url: str) -> None:
    profile = social_profile(url)

    if profile is not None:
        network, canonical = profile
        assert network in SOCIAL_NETWORKS
        assert CANONICAL.match(canonical)
        assert not canonical.endswith("/")
        assert canonical == canonical_social(url)
        assert social_profile(canonical) == profile


# --- extractors -----------------------------------------------------------------------------------------------


def check_clean(name: str, found: dict[str, Any]) -> None:
    assert set(found) <= set(EXTRACTORS[name].fields)
    assert json.loads(json.dumps(found, allow_nan=False)) == found
    if name == "contacts":
        assert all(clean_email(e["value"]) for e in found.get("emails", []))
        assert all(E164.match(p["value"]) for p in found.get("phones", []))
    if name == "social":
        assert all(canonical_social(url) == url for url in found.values())
    if name == "schema_org":
        assert all(len(items) <= 20 for items in found.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.one_of(html_documents(), st.text(max_size=300)), min_size=1, max_size=3))
def test_every_extractor_reads_any_html_without_crashing(documents: list[str]) -> None:
    pages = [Page(url=f"https://acme.test/{i}", status=200, html=html) for i, html in enumerate(documents)]

    for name, extractor in EXTRACTORS.items():
        check_clean(name, extractor.extract(pages))
