"""The extractors over the Acme Robotics fixture site, exactly; the registry; and each normalization rule."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from protego import Protego

from adapters.extractors import EXTRACTORS, select
from adapters.extractors.company_meta import CompanyMetaExtractor, title_name
from adapters.extractors.contacts import ContactsExtractor
from adapters.extractors.html import MAX_DEPTH, depth_capped, language, links, parsed, visible_text
from adapters.extractors.normalize import (
    canonical_social,
    cloudflare_email,
    deobfuscate,
    find_emails,
    find_phones,
    normalize_email,
    normalize_phone,
    phone_region,
    social_profile,
)
from adapters.extractors.schema_org import SchemaOrgExtractor
from adapters.extractors.social import SocialExtractor
from adapters.extractors.tech_stack import FINGERPRINTS, LOWERED, TechStackExtractor
from domain.kernel.errors import ValidationFailed
from domain.scraping.pages import Page, key_links, needs_browser

SITE = Path(__file__).resolve().parents[2] / "fixtures" / "sites" / "acme"
BASE = "https://acme-robotics.test/"
SITE_FILES = ("index.html", "about.html", "contact.html", "team.html", "imprint.html")
HOME_HEADERS = {"server": "cloudflare", "cf-ray": "8a1b2c3d4e5f-SJC", "content-type": "text/html; charset=UTF-8"}
HOME_COOKIES = ("__cf_bm", "_ga", "hubspotutk")
# as the browser saw them: the page's own, and gtag, which Tag Manager loaded
HOME_SCRIPTS = (
    "https://www.googletagmanager.com/gtm.js?id=GTM-ACME42",
    "https://www.googletagmanager.com/gtag/js?id=G-ACME42",
)


def fixture_page(name: str, **extra: Any) -> Page:
    return Page(url=BASE + name, status=200, html=(SITE / name).read_text(encoding="utf-8"), **extra)


def site() -> list[Page]:
    home = fixture_page("index.html", headers=HOME_HEADERS, cookies=HOME_COOKIES, scripts=HOME_SCRIPTS)
    return [home] + [fixture_page(name) for name in SITE_FILES[1:]]


def html_page(html: str, url: str = BASE, **extra: Any) -> Page:
    return Page(url=url, status=200, html=html, **extra)


def rendered_app() -> Page:
    """app.html as a browser leaves it once its script ran (what the page's own script writes into #app)."""
    static = (SITE / "app.html").read_text(encoding="utf-8")
    filled = (
        '<div id="app"><h1>Careers at Acme Robotics</h1><p>We are hiring robot whisperers. Apply at '
        '<a href="mailto:jobs@acme-robotics.test">jobs@acme-robotics.test</a> or call our recruiting line '
        '<a href="tel:+14155550177">+1 415 555 0177</a>.</p></div>'
    )
    return html_page(static.replace('<div id="app"></div>', filled), url=BASE + "app.html", rendered=True)


# --- the registry ---------------------------------------------------------------------------------------------


def test_the_registry_names_every_extractor_once() -> None:
    assert list(EXTRACTORS) == ["company_meta", "contacts", "social", "schema_org", "tech_stack"]
    for name, extractor in EXTRACTORS.items():
        assert extractor.name == name
        assert extractor.fields
        assert all(isinstance(field, str) for field in extractor.fields)


def test_select_gives_all_or_the_named_in_order_each_once() -> None:
    assert select(None) == list(EXTRACTORS.values())
    assert [e.name for e in select(["social", "contacts", "social"])] == ["social", "contacts"]
    assert select([]) == []


def test_an_unknown_extractor_is_a_validation_error_naming_the_known_ones() -> None:
    with pytest.raises(ValidationFailed) as caught:
        select(["contacts", "horoscope"])

    (detail,) = caught.value.details
    assert detail.field == "extractors"
    assert "horoscope" in detail.message
    assert "company_meta, contacts, social, schema_org, tech_stack" in detail.message


@pytest.mark.parametrize("name", list(EXTRACTORS))
def test_no_pages_or_an_empty_page_find_nothing(name: str) -> None:
    assert EXTRACTORS[name].extract([]) == {}
    assert EXTRACTORS[name].extract([html_page("")]) == {}


@pytest.mark.parametrize("name", list(EXTRACTORS))
def test_findings_only_use_declared_fields_and_are_json(name: str) -> None:
    found = EXTRACTORS[name].extract(site())

    assert found
    assert set(found) <= set(EXTRACTORS[name].fields)
    assert json.loads(json.dumps(found, allow_nan=False)) == found


def test_the_whole_fixture_site_is_read_in_a_few_milliseconds() -> None:
    pages = site()
    for extractor in EXTRACTORS.values():  # warm: imports, phonenumbers metadata, the parse cache
        extractor.extract(pages)
    started = time.perf_counter()
    for extractor in EXTRACTORS.values():
        extractor.extract(pages)

    assert time.perf_counter() - started < 0.1  # ~5 ms here; generous for slow CI machines


# --- company_meta ---------------------------------------------------------------------------------------------


def test_company_meta_of_the_fixture_site() -> None:
    assert CompanyMetaExtractor().extract(site()) == {
        "name": "Acme Robotics",
        "description": "Acme Robotics builds collaborative robot arms that small factories can set up in an afternoon.",
        "logo": "https://acme-robotics.test/img/acme-logo.svg",
        "favicon": "https://acme-robotics.test/favicon-32x32.png",
        "language": "en-US",
        "opengraph": {
            "og:site_name": "Acme Robotics",
            "og:title": "Acme Robotics - Robot arms that play well with people",
            "og:description": "Collaborative robot arms for small factories.",
            "og:type": "website",
            "og:url": "https://acme-robotics.test/",
            "og:image": "https://acme-robotics.test/img/og-banner.png",
        },
    }


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Acme Robotics | Robot arms", "Acme Robotics"),
        ("Acme Robotics - Robot arms - Home", "Acme Robotics"),
        ("Home | Acme Robotics", "Acme Robotics"),
        ("Welcome \u2013 Acme", "Acme"),
        ("Acme-Robotics", "Acme-Robotics"),
        ("  Acme\n  Robotics  ", "Acme Robotics"),
        ("Home", None),
        ("", None),
    ],
)
def test_a_title_loses_its_tagline(title: str, name: str | None) -> None:
    assert title_name(title) == name


def test_company_meta_falls_back_page_by_page() -> None:
    bare = html_page("<html><head><title>Home | Bolt &amp; Nut</title></head><body><p>hi</p></body></html>")
    second = html_page(
        '<html lang="fr_fr"><head><meta property="og:description" content=" Vis et  boulons "/>'
        '<meta name="application-name" content="Bolt App">'
        '<meta property="og:image" content="/img/share.png"><link rel="apple-touch-icon" href="/touch.png">'
        '<link rel="mask-icon" href="/mask.svg"></head><body><img src="data:image/png;base64,AAAA" alt="logo">'
        "</body></html>",
        url="https://bolt.test/about/",
    )

    assert CompanyMetaExtractor().extract([bare, second]) == {
        "name": "Bolt & Nut",
        "description": "Vis et boulons",
        "logo": "https://bolt.test/img/share.png",
        "favicon": "https://bolt.test/touch.png",
        "language": "fr-FR",
        "opengraph": {"og:description": "Vis et boulons", "og:image": "/img/share.png"},
    }


def test_no_declared_favicon_means_none_is_assumed() -> None:
    found = CompanyMetaExtractor().extract([html_page("<title>Acme</title><p>x</p>")])

    assert found == {"name": "Acme"}


def test_application_name_is_the_name_without_og_site_name() -> None:
    page = html_page('<meta name="application-name" content="Acme App"><title>Other | Thing</title>')

    assert CompanyMetaExtractor().extract([page])["name"] == "Acme App"


# --- contacts -------------------------------------------------------------------------------------------------


def test_contacts_of_the_fixture_site() -> None:
    contact, imprint = BASE + "contact.html", BASE + "imprint.html"
    assert ContactsExtractor().extract(site()) == {
        "emails": [
            {"value": "hello@acme-robotics.test", "page": BASE + "index.html"},
            {"value": "support@acme-robotics.test", "page": contact},
            {"value": "sales@acme-robotics.test", "page": contact},
            {"value": "info@acme-robotics.test", "page": contact},
            {"value": "press@acme-robotics.test", "page": contact},
            {"value": "careers@acme-robotics.test", "page": contact},
            {"value": "impressum@acme-robotics.test", "page": imprint},
            {"value": "partners@bolt-and-nut.test", "page": contact},  # another domain: after the site's own
        ],
        "phones": [
            {"value": "+14155550132", "page": contact},
            {"value": "+14155550199", "page": contact},
            {"value": "+442079460958", "page": contact},
            {"value": "+493012345678", "page": contact},
            {"value": "+493012345679", "page": imprint},  # national German, read in the page's region (lang="de")
        ],
    }


def test_contacts_skip_what_a_reader_does_not_see() -> None:
    emails = {e["value"] for e in ContactsExtractor().extract([fixture_page("about.html")]).get("emails", [])}

    assert emails == set()  # design@ (style), script-only@ (script), noscript@ (noscript), hero@2x.jpg


def test_an_app_shell_says_nothing_until_a_browser_runs_it() -> None:
    static = fixture_page("app.html")
    shell = Page(
        url=static.url, status=200, html=static.html, text_length=len(visible_text(static)), scripts=static.scripts
    )

    assert needs_browser(shell)
    assert "jobs@" not in static.html
    assert ContactsExtractor().extract([static]) == {}
    assert ContactsExtractor().extract([rendered_app()]) == {
        "emails": [{"value": "jobs@acme-robotics.test", "page": BASE + "app.html"}],
        "phones": [{"value": "+14155550177", "page": BASE + "app.html"}],
    }


def test_contacts_read_mailto_lists_and_cloudflare_protected_addresses() -> None:
    encoded = "42" + bytes(b ^ 0x42 for b in b"ops@acme.test").hex()
    page = html_page(
        '<a href="mailto:a@acme.test,%20B@Acme.test?cc=c@acme.test">mail</a>'
        f'<a href="/cdn-cgi/l/email-protection#{encoded}">[email&#160;protected]</a>'
        f'<span class="__cf_email__" data-cfemail="{encoded}">[email&#160;protected]</span>'
        '<a href="tel:">nothing</a><a href="tel:+49-89-1234567">call</a>'
    )

    assert ContactsExtractor().extract([page]) == {
        "emails": [
            {"value": "a@acme.test", "page": BASE},
            {"value": "b@acme.test", "page": BASE},
            {"value": "ops@acme.test", "page": BASE},
        ],
        "phones": [{"value": "+49891234567", "page": BASE}],
    }


def test_contacts_keep_the_first_page_and_put_the_sites_own_emails_first() -> None:
    first = html_page("<p>x@other.test and ann@acme.test</p>", url="https://www.acme.test/")
    second = html_page("<p>ann@acme.test, bob@shop.acme.test</p>", url="https://www.acme.test/contact")

    assert ContactsExtractor().extract([first, second])["emails"] == [
        {"value": "ann@acme.test", "page": "https://www.acme.test/"},
        {"value": "bob@shop.acme.test", "page": "https://www.acme.test/contact"},
        {"value": "x@other.test", "page": "https://www.acme.test/"},
    ]


def test_contacts_are_capped_per_page() -> None:
    page = html_page("<p>" + " ".join(f"user{i}@acme.test" for i in range(500)) + "</p>")

    assert len(ContactsExtractor().extract([page])["emails"]) == 50


# --- social ---------------------------------------------------------------------------------------------------


def test_social_of_the_fixture_site() -> None:
    assert SocialExtractor().extract(site()) == {
        "linkedin": "https://linkedin.com/company/acme-robotics",
        "twitter": "https://x.com/AcmeRobotics",
        "github": "https://github.com/acme-robotics",
        "facebook": "https://facebook.com/acmerobotics",
        "instagram": "https://instagram.com/acme.robotics",
        "youtube": "https://youtube.com/@AcmeRobotics",
    }


def test_share_links_do_not_count() -> None:
    page = html_page(
        '<a href="https://www.linkedin.com/shareArticle?mini=true&url=x">in</a>'
        '<a href="https://twitter.com/intent/tweet?url=x">t</a><a href="https://twitter.com/share">t</a>'
        '<a href="https://www.facebook.com/sharer/sharer.php?u=x">f</a><a href="https://facebook.com/sharer.php">f</a>'
    )

    assert SocialExtractor().extract([page]) == {}


def test_the_most_linked_profile_wins_and_ties_go_to_the_first_seen() -> None:
    page = html_page(
        '<a href="https://x.com/first">1</a><a href="https://x.com/second">2</a><a href="https://x.com/second">2</a>'
        '<a href="https://github.com/one">1</a><a href="https://github.com/two">2</a>'
    )

    assert SocialExtractor().extract([page]) == {"twitter": "https://x.com/second", "github": "https://github.com/one"}


def test_a_linkedin_company_page_beats_its_peoples_profiles() -> None:
    people = "".join(f'<a href="https://linkedin.com/in/person{i % 2}">p</a>' for i in range(6))
    page = html_page(people + '<a href="https://www.linkedin.com/company/acme">c</a>')

    assert SocialExtractor().extract([page]) == {"linkedin": "https://linkedin.com/company/acme"}
    assert SocialExtractor().extract([html_page(people)]) == {"linkedin": "https://linkedin.com/in/person0"}


# --- schema_org -----------------------------------------------------------------------------------------------


def test_schema_org_of_the_fixture_site() -> None:
    address = {
        "streetAddress": "500 Howard Street, Suite 300",
        "addressLocality": "San Francisco",
        "addressRegion": "CA",
        "postalCode": "94105",
        "addressCountry": "US",
    }
    assert SchemaOrgExtractor().extract(site()) == {
        "organizations": [
            {
                "type": "Corporation",
                "name": "Acme Robotics",
                "legalName": "Acme Robotics Inc.",
                "url": "https://acme-robotics.test/",
                "logo": "https://acme-robotics.test/img/acme-logo.svg",
                "email": "hello@acme-robotics.test",
                "telephone": "+14155550132",
                "sameAs": [
                    "https://www.linkedin.com/company/acme-robotics",
                    "https://twitter.com/AcmeRobotics",
                    "https://github.com/acme-robotics",
                ],
                "address": address,
                "founders": [{"name": "Ada Lovelace", "jobTitle": "CEO"}, "Grace Hopper"],
                "foundingDate": "2015-03-14",
                "numberOfEmployees": {"minValue": 50, "maxValue": 200},
            }
        ],
        "people": [
            {
                "name": "Ada Lovelace",
                "jobTitle": "CEO",  # first seen as the founder on the home page; the team page adds the rest
                "worksFor": {"type": "Organization", "name": "Acme Robotics"},
                "email": "ada@acme-robotics.test",
                "sameAs": ["https://www.linkedin.com/in/ada-lovelace-acme/", "https://x.com/ada_builds"],
            },
            {
                "name": "Grace Hopper",
                "jobTitle": "Chief Technology Officer",
                "worksFor": {"type": "Organization", "name": "Acme Robotics", "url": "https://acme-robotics.test/"},
                "url": "https://acme-robotics.test/team.html#grace",
            },
        ],
        "addresses": [address],
    }


def ld(*blocks: str) -> Page:
    return html_page("".join(f'<script type="application/ld+json">{block}</script>' for block in blocks))


def test_schema_org_skips_broken_blocks_and_other_types() -> None:
    page = ld(
        '{"@type": "Organization", "name": "Broken",}',
        '{"@type": "Event", "name": "Party", "organizer": "nobody"}',
        "[[[[[[[[[[[[[[[[[[[[" * 5_000,
        '{"@type": "Organization", "name": NaN}',
        '<!-- {"@type": "Dentist", "name": "Smile", "telephone": "(415) 555-0142"} -->',
        '//<![CDATA[\n{"@type": ["schema:ClothingStore"], "name": "Threads",\n "description": "multi\nline"}\n//]]>',
    )

    assert SchemaOrgExtractor().extract([page]) == {
        "organizations": [
            {"type": "Dentist", "name": "Smile", "telephone": "+14155550142"},
            {"type": "ClothingStore", "name": "Threads"},
        ]
    }


def test_schema_org_follows_references_and_cleans_values() -> None:
    page = ld(
        '{"@context": "https://schema.org", "@graph": ['
        ' {"@type": "https://schema.org/LocalBusiness", "@id": "#shop", "name": "  Bolt\\n&  Nut ",'
        '  "url": "javascript:alert(1)", "logo": ["/logo.png"], "email": "not an email",'
        '  "numberOfEmployees": {"@type": "QuantitativeValue", "value": 12.0}, "address": "1 Main St, Springfield",'
        '  "founders": [{"@id": "#ann"}, 42, true], "sameAs": "https://x.com/boltnut", "foundingDate": 1999,'
        '  "owns": {"@type": "Organization", "name": "Hidden"}},'
        ' {"@type": "Person", "@id": "#ann", "name": "Ann Bolt", "worksFor": {"@id": "#shop"}, "telephone": "12"}'
        "]}"
    )

    assert SchemaOrgExtractor().extract([page]) == {
        "organizations": [
            {
                "type": "LocalBusiness",
                "name": "Bolt & Nut",
                "logo": "https://acme-robotics.test/logo.png",
                "sameAs": ["https://x.com/boltnut"],
                "address": "1 Main St, Springfield",
                "founders": [{"name": "Ann Bolt", "worksFor": "Bolt & Nut"}, "42"],
                "foundingDate": "1999",
                "numberOfEmployees": 12,
            },
            {"type": "Organization", "name": "Hidden"},
        ],
        "people": [
            {
                "name": "Ann Bolt",
                "worksFor": {  # a nested entity keeps its whitelist; one level further down, names only
                    "type": "LocalBusiness",
                    "name": "Bolt & Nut",
                    "logo": "https://acme-robotics.test/logo.png",
                    "sameAs": ["https://x.com/boltnut"],
                    "address": "1 Main St, Springfield",
                    "founders": ["Ann Bolt", "42"],
                    "foundingDate": "1999",
                    "numberOfEmployees": 12,
                },
            }
        ],
    }


def test_schema_org_caps_what_it_keeps() -> None:
    many = ",".join(f'{{"@type": "Organization", "name": "Org {i}"}}' for i in range(100))

    found = SchemaOrgExtractor().extract([ld(f"[{many}]")])

    assert [org["name"] for org in found["organizations"]] == [f"Org {i}" for i in range(20)]


# --- tech_stack -----------------------------------------------------------------------------------------------


def test_tech_stack_of_the_fixture_site() -> None:
    def tech(name: str, category: str, *evidence: str) -> dict[str, Any]:
        return {"name": name, "category": category, "evidence": list(evidence)}

    assert TechStackExtractor().extract(site()) == {
        "technologies": [
            tech("Cloudflare", "CDN", "cookie: __cf_bm", "header: server: cloudflare",
                 "header: cf-ray: 8a1b2c3d4e5f-SJC"),
            tech("Google Analytics", "Analytics", "script: https://www.googletagmanager.com/gtag/js?id=G-ACME42",
                 "cookie: _ga"),
            tech("Google Tag Manager", "Tag manager", "script: https://www.googletagmanager.com/gtm.js?id=GTM-ACME42"),
            tech("HubSpot", "Marketing automation", "script: https://js.hs-scripts.com/4242424.js",
                 "cookie: hubspotutk"),
            tech("Intercom", "Live chat", "script: https://widget.intercom.io/widget/acme42",
                 "inline script: window.intercomSettings"),
            tech("Segment", "Customer data platform",
                 "script: https://cdn.segment.com/analytics.js/v1/acmeWriteKey/analytics.min.js"),
            tech("Stripe", "Payments", "script: https://js.stripe.com/v3/"),
            tech("WordPress", "CMS", "meta generator: WordPress 6.4.2", "html: /wp-content/"),
        ]
    }  # fmt: skip


@pytest.mark.parametrize(
    ("technology", "page"),
    [
        ("WordPress", html_page('<meta name="generator" content="WordPress 6.4">')),
        ("Shopify", html_page("<p>x</p>", headers={"x-shopid": "42"})),
        ("Webflow", html_page('<html data-wf-site="5f0c"><body>x</body></html>')),
        ("Wix", html_page('<meta name="generator" content="Wix.com Website Builder">')),
        ("React", html_page('<div data-reactroot="">x</div>')),
        ("Next.js", html_page('<div id="__next"></div><script id="__NEXT_DATA__" type="application/json">{}</script>')),
        ("Vue", html_page('<script src="https://unpkg.com/vue@3/dist/vue.global.prod.js"></script>')),
        ("Angular", html_page('<app-root ng-version="17.3.1"></app-root>')),
        ("HubSpot", html_page("<p>x</p>", cookies=("__hstc",))),
        ("Google Analytics", html_page("<script>gtag('config', 'G-ABC123');</script>")),
        ("Google Tag Manager", html_page('<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X"></iframe>')),
        ("Segment", html_page("<p>x</p>", cookies=("ajs_anonymous_id",))),
        ("Intercom", html_page("<p>x</p>", cookies=("intercom-id-abc123",))),
        ("Stripe", html_page("<p>x</p>", scripts=("https://js.stripe.com/v3/",))),
        ("Cloudflare", html_page("<p>x</p>", headers={"server": "cloudflare"})),
    ],
)
def test_each_technology_is_recognised(technology: str, page: Page) -> None:
    names = [t["name"] for t in TechStackExtractor().extract([page])["technologies"]]

    assert technology in names


def test_an_implied_technology_says_by_what() -> None:
    page = html_page('<script src="/_next/static/chunks/main-abc.js"></script>')

    assert TechStackExtractor().extract([page]) == {
        "technologies": [
            {"name": "Next.js", "category": "JavaScript framework", "evidence": ["script: https://acme-robotics.test/_next/static/chunks/main-abc.js"]},
            {"name": "React", "category": "JavaScript framework", "evidence": ["implied by Next.js"]},
        ]
    }  # fmt: skip


def test_json_ld_is_not_inline_code() -> None:
    page = html_page('<script type="application/ld+json">{"x": "window.intercomSettings"}</script>')

    assert TechStackExtractor().extract([page]) == {}


def test_bulky_patterns_are_written_in_lower_case() -> None:
    for fingerprint in FINGERPRINTS:
        for source in LOWERED:
            for pattern in getattr(fingerprint, source):
                assert pattern == pattern.lower(), (fingerprint.name, pattern)


# --- the fixture site itself ----------------------------------------------------------------------------------


def test_the_fixture_robots_txt_keeps_crawlers_out_of_private() -> None:
    robots = Protego.parse((SITE / "robots.txt").read_text(encoding="utf-8"))

    assert not robots.can_fetch(BASE + "private/secret.html", "CascadeBot")
    assert robots.can_fetch(BASE + "contact.html", "CascadeBot")


def test_the_home_page_links_its_key_pages() -> None:
    home = fixture_page("index.html")
    home = Page(url=home.url, status=200, html=home.html, links=tuple(u for u in links(home) if u.startswith("http")))

    assert key_links(home, "acme-robotics.test", limit=5) == [
        BASE + "about.html",
        BASE + "contact.html",
        BASE + "team.html",
        BASE + "imprint.html",
    ]
    assert BASE + "private/secret.html" in home.links


# --- html helpers ---------------------------------------------------------------------------------------------


def test_visible_text_leaves_out_code_and_styles() -> None:
    page = html_page(
        "<head><style>a{}</style></head><body><p>one</p><script>two()</script><noscript>three</noscript>"
        "<template>four</template><div>five</div></body>"
    )

    assert visible_text(page).split() == ["one", "five"]


def test_one_parse_is_shared() -> None:
    page = fixture_page("index.html")

    assert parsed(page) is parsed(fixture_page("index.html"))


@pytest.mark.parametrize(
    ("lang", "tag"), [("en-us", "en-US"), ("DE", "de"), ("pt_BR", "pt-BR"), ("zh-Hant-TW", "zh-Hant-TW"), ("", None),
                      ("english please", None), ("x", None)]
)  # fmt: skip
def test_the_page_language_is_a_tidy_tag(lang: str, tag: str | None) -> None:
    assert language(html_page(f'<html lang="{lang}"><body>x</body></html>')) == tag


def test_deep_nesting_is_cut_before_parsing() -> None:
    html = "<div>" * 50_000 + "deep" + "</div>" * 50_000
    started = time.perf_counter()

    capped = depth_capped(html)
    found = {name: extractor.extract([html_page(html)]) for name, extractor in EXTRACTORS.items()}

    assert capped == "<div>" * MAX_DEPTH
    assert found == {name: {} for name in EXTRACTORS}
    assert time.perf_counter() - started < 5


def test_depth_capping_leaves_ordinary_big_pages_alone() -> None:
    rows = "".join(f"<tr><td>{i}<td><a href='/x{i}'>x</a><br><img src='/i.png'>" for i in range(3_000))
    script = "<script>for (var i = 0; i<n; i++) { if (a<b) {} }</script>" * 3_000
    html = f"<html><body><!-- <div><div> --><table>{rows}</table>{script}<svg><path d='M0'/></svg></body></html>"

    assert depth_capped(html) == html


# --- normalization --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("mailto:Hello@Acme.test?subject=Hi%20there&body=x", "hello@acme.test"),
        ("MAILTO:ann@acme.test#x", "ann@acme.test"),
        ("sales [at] acme-robotics [dot] test", "sales@acme-robotics.test"),
        ("info(at)acme-robotics(dot)test", "info@acme-robotics.test"),
        ("press AT acme-robotics DOT test", "press@acme-robotics.test"),
        ("ann {at} acme {dot} co {dot} uk", "ann@acme.co.uk"),
        ("ann <AT> acme <DOT> test", "ann@acme.test"),
        ("ann[@]acme[.]test", "ann@acme.test"),
        ("careers&#64;acme-robotics&#46;test", "careers@acme-robotics.test"),
        ("ann&#x40;acme.test", "ann@acme.test"),
        ("ann%40acme.test", "ann@acme.test"),
        ("<Ann.Lee+news@Sub.Acme.test>.", "ann.lee+news@sub.acme.test"),
        ("john@example.com", "john@example.com"),  # placeholder domains are kept
        ("logo@2x.png", None),
        ("hero@3x.webp", None),
        ("bundle@1.2.3.js", None),
        ("0123456789abcdef0123456789abcdef@o42.ingest.sentry.io", None),
        ("a7c2@sentry-next.wixpress.com", None),
        ("ann at acme dot test", None),  # lower-case bare words are prose
        ("ann@acme", None),
        ("ann..lee@acme.test", None),
        ("ann@-acme.test", None),
        ("ann@acme.t", None),
        ("ann@acme.123", None),
        ("jürgen@acme.test", None),
        ("a b@acme.test", None),
        ("x" * 65 + "@acme.test", None),
        ("", None),
    ],
)
def test_email_normalization(raw: str, email: str | None) -> None:
    assert normalize_email(raw) == email


def test_emails_are_found_in_running_text() -> None:
    text = (
        "Write to sales [at] acme [dot] test, or Hello@Acme.test. Logo: logo@2x.png\n"
        "Press: press AT acme DOT test; twice: hello@acme.test"
    )

    assert find_emails(text, limit=10) == ["sales@acme.test", "hello@acme.test", "press@acme.test"]
    assert find_emails(text, limit=1) == ["sales@acme.test"]


def test_deobfuscation_glues_the_parts() -> None:
    assert deobfuscate("ann  [ at ]  acme (dot) test") == "ann@acme.test"


def test_cloudflare_protected_emails_decode() -> None:
    encoded = "1f" + bytes(b ^ 0x1F for b in b"Ann@Acme.test").hex()

    assert cloudflare_email(encoded) == "ann@acme.test"
    assert cloudflare_email("zz") is None
    assert cloudflare_email("123") is None


@pytest.mark.parametrize(
    ("raw", "region", "phone"),
    [
        ("tel:+1-415-555-0132", "US", "+14155550132"),
        ("tel:%2B1%20415%20555%200132", "US", "+14155550132"),
        ("tel:+14155550132;ext=12", "US", "+14155550132"),
        ("(415) 555-0199", "US", "+14155550199"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("030 12345679", "DE", "+493012345679"),
        ("+49 (0)30 12345678", "US", "+493012345678"),
        ("+442079460958", "ZZ", "+442079460958"),  # an unknown region: US
        ("030 12345679", "US", None),  # not a US number
        ("555-0199", "US", None),
        ("12345", "US", None),
        ("call me", "US", None),
        ("", "US", None),
        ("+1 " + "4" * 80, "US", None),
    ],
)
def test_phone_normalization(raw: str, region: str, phone: str | None) -> None:
    assert normalize_phone(raw, region) == phone


def test_phones_in_text_must_look_like_phones() -> None:
    text = (
        "Call (415) 555-0199 or +49 30 12345678. Order 2024-000123, ticket 4155550123, "
        "since 2015-03-14, 14.03.2024, ZIP 94107, HRB 123456 B, 9:00-17:00."
    )

    assert find_phones(text, "US", limit=10) == ["+14155550199", "+493012345678"]
    assert find_phones(text, "US", limit=1) == ["+14155550199"]


@pytest.mark.parametrize(
    ("lang", "url", "region"),
    [
        ("en-US", "https://acme.test/", "US"),
        ("en-GB", "https://acme.com/", "GB"),
        ("de-AT", "https://acme.de/", "AT"),  # the page's own region first
        ("de", "https://acme.ch/", "CH"),  # then the country-code TLD
        ("en", "https://acme.co.uk/", "GB"),
        ("fr", "https://acme.io/", "FR"),  # .io, .ai, .co... are used as generic TLDs
        ("de", "https://acme.test/", "DE"),  # then the language's country
        ("es-419", "https://acme.com/", "ES"),
        (None, "https://acme.com/", "US"),  # else US
        (None, "not a url", "US"),
    ],
)
def test_the_phone_region_is_guessed_from_the_page(lang: str | None, url: str, region: str) -> None:
    assert phone_region(lang, url) == region


@pytest.mark.parametrize(
    ("url", "profile"),
    [
        ("https://www.linkedin.com/company/acme-robotics/", ("linkedin", "https://linkedin.com/company/acme-robotics")),
        ("http://de.linkedin.com/in/jane-doe?trk=x", ("linkedin", "https://linkedin.com/in/jane-doe")),
        ("https://linkedin.com/company/acme/jobs/", ("linkedin", "https://linkedin.com/company/acme")),
        ("https://www.linkedin.com/school/acme-u", ("linkedin", "https://linkedin.com/school/acme-u")),
        ("https://twitter.com/AcmeRobotics?ref_src=twsrc", ("twitter", "https://x.com/AcmeRobotics")),
        ("https://mobile.twitter.com/acme", ("twitter", "https://x.com/acme")),
        ("HTTPS://WWW.X.COM/Acme#top", ("twitter", "https://x.com/Acme")),
        ("//twitter.com/acme", ("twitter", "https://x.com/acme")),
        ("https://github.com/acme-robotics", ("github", "https://github.com/acme-robotics")),
        ("https://github.com/orgs/acme-robotics/repositories", ("github", "https://github.com/acme-robotics")),
        ("https://www.facebook.com/acmerobotics/", ("facebook", "https://facebook.com/acmerobotics")),
        ("https://m.facebook.com/acme.robotics", ("facebook", "https://facebook.com/acme.robotics")),
        ("https://fb.com/acme", ("facebook", "https://facebook.com/acme")),
        ("https://instagram.com/acme.robotics/", ("instagram", "https://instagram.com/acme.robotics")),
        ("https://www.youtube.com/@AcmeRobotics/videos", ("youtube", "https://youtube.com/@AcmeRobotics")),
        ("https://youtube.com/channel/UC123abc", ("youtube", "https://youtube.com/channel/UC123abc")),
        ("https://www.youtube.com/c/AcmeRobotics", ("youtube", "https://youtube.com/c/AcmeRobotics")),
        ("https://m.youtube.com/user/acme", ("youtube", "https://youtube.com/user/acme")),
        ("https://www.linkedin.com/shareArticle?mini=true&url=x", None),
        ("https://www.linkedin.com/feed/", None),
        ("https://twitter.com/intent/tweet?text=x", None),
        ("https://x.com/share?url=x", None),
        ("https://x.com/home", None),
        ("https://x.com/search?q=acme", None),
        ("https://x.com/acme/status/123", None),
        ("https://x.com/this_handle_is_too_long", None),
        ("https://github.com/acme/repo", None),
        ("https://github.com/features", None),
        ("https://www.facebook.com/sharer/sharer.php?u=x", None),
        ("https://www.facebook.com/sharer.php?u=x", None),
        ("https://facebook.com/profile.php?id=123", None),
        ("https://www.instagram.com/p/C0ffee/", None),
        ("https://www.youtube.com/watch?v=1", None),
        ("https://youtu.be/abc", None),
        ("https://evil.test/linkedin.com/company/x", None),
        ("https://linkedin.com.evil.test/company/x", None),
        ("ftp://x.com/acme", None),
        ("x.com/acme", None),
        ("https://[::1/acme", None),
    ],
)
def test_social_urls_are_canonical_profiles(url: str, profile: tuple[str, str] | None) -> None:
    assert social_profile(url) == profile
    assert canonical_social(url) == (profile[1] if profile else None)
