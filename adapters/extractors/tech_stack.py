"""`tech_stack`: the technologies a site runs on, each with the evidence that gave it away.

Rules: FINGERPRINTS is the one table of what gives a technology away — regular expressions over the meta
generator, script src URLs (the page's own list and its `<script src>`s, resolved), inline script text, the raw
HTML, cookie names, and response headers (matched as `name: value`), case aside; inline script and HTML patterns
are written in lower case and run over the lower-cased text (a fast literal search over bulky text). Each match is
evidence, written as what matched: `meta generator: WordPress 6.4`, `script: https://js.stripe.com/v3/`, `inline
script: window.intercomSettings`, `html: data-wf-site`, `cookie: __cf_bm`, `header: server: cloudflare`. A
technology another implies (Next.js → React) is listed with `implied by Next.js`. Each evidence once, at most
MAX_EVIDENCE a technology, each cut at MAX_EVIDENCE_CHARS; technologies sorted by name. Work is capped:
MAX_SCRIPTS script URLs and MAX_INLINE_CHARS of inline script a page; the HTML as the parser reads it (2 MB).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from adapters.extractors.html import MAX_HTML_CHARS, metas, nodes, web_url
from domain.scraping.pages import Page

MAX_EVIDENCE = 5
MAX_EVIDENCE_CHARS = 200
MAX_SCRIPTS = 300
MAX_INLINE_CHARS = 1_000_000


@dataclass(slots=True, frozen=True)
class Fingerprint:
    name: str
    category: str
    generator: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    inline: tuple[str, ...] = ()
    html: tuple[str, ...] = ()
    cookies: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()  # over "name: value", the name lower-case
    implies: tuple[str, ...] = ()


# fmt: off
FINGERPRINTS: tuple[Fingerprint, ...] = (
    Fingerprint("WordPress", "CMS", generator=(r"^WordPress\b",), scripts=(r"/wp-(?:content|includes)/",),
                html=(r"/wp-(?:content|includes)/",),
                cookies=(r"^wordpress_(?:logged_in|sec|test_cookie)", r"^wp-settings-"),
                headers=(r"^link: .*api\.w\.org", r"^x-pingback: .*xmlrpc\.php")),
    Fingerprint("Shopify", "Ecommerce", scripts=(r"cdn\.shopify\.com",), inline=(r"shopify\.shop\s*=",),
                html=(r"cdn\.shopify\.com",), cookies=(r"^_shopify_(?:y|s|sa_t|sa_p)$",),
                headers=(r"^x-shopid: ", r"^x-shopify-stage: ", r"^powered-by: shopify")),
    Fingerprint("Webflow", "CMS", generator=(r"^Webflow\b",),
                scripts=(r"webflow\.[0-9a-f.]*js", r"website-files\.com/"), html=(r"data-wf-(?:site|page)=",)),
    Fingerprint("Wix", "CMS", generator=(r"^Wix\.com",), scripts=(r"static\.parastorage\.com",),
                html=(r"static\.wixstatic\.com",), headers=(r"^x-wix-request-id: ",)),
    Fingerprint("Squarespace", "CMS", generator=(r"^Squarespace",), html=(r"static1\.squarespace\.com",),
                headers=(r"^server: squarespace",)),
    Fingerprint("Drupal", "CMS", generator=(r"^Drupal\b",), html=(r"/sites/default/files/",),
                headers=(r"^x-generator: drupal", r"^x-drupal-cache: ")),
    Fingerprint("React", "JavaScript framework",
                scripts=(r"\breact(?:-dom)?(?:\.production|\.development)?(?:\.min)?\.js",
                         r"unpkg\.com/react(?:-dom)?@"),
                inline=(r"__react_devtools_global_hook__",), html=(r"data-reactroot",)),
    Fingerprint("Next.js", "JavaScript framework", scripts=(r"/_next/static/",), inline=(r"__next_data__",),
                html=(r"id=\"__next\"",), headers=(r"^x-powered-by: next\.js",), implies=("React",)),
    Fingerprint("Gatsby", "JavaScript framework", generator=(r"^Gatsby\b",), html=(r"id=\"___gatsby\"",),
                implies=("React",)),
    Fingerprint("Vue", "JavaScript framework",
                scripts=(r"\bvue(?:\.runtime)?(?:\.global)?(?:\.prod)?(?:\.min)?\.js", r"unpkg\.com/vue@"),
                html=(r"data-v-[0-9a-f]{8}\b", r"data-server-rendered=\"true\"")),
    Fingerprint("Nuxt.js", "JavaScript framework", scripts=(r"/_nuxt/",), inline=(r"window\.__nuxt__",),
                implies=("Vue",)),
    Fingerprint("Angular", "JavaScript framework", html=(r"ng-version=\"[\d.]+\"", r"_nghost-[a-z0-9-]+")),
    Fingerprint("AngularJS", "JavaScript framework", scripts=(r"\bangular(?:\.min)?\.js",), html=(r"ng-app\b",)),
    Fingerprint("jQuery", "JavaScript library", scripts=(r"\bjquery(?:-[\d.]+)?(?:\.slim)?(?:\.min)?\.js",)),
    Fingerprint("HubSpot", "Marketing automation",
                scripts=(r"js\.hs-scripts\.com", r"js\.hsforms\.net", r"js\.hs-analytics\.net", r"js\.hubspot\.com",
                         r"js\.hs-banner\.com"),
                inline=(r"_hsq\.push",), cookies=(r"^__hstc$", r"^hubspotutk$", r"^__hssc$", r"^__hssrc$")),
    Fingerprint("Google Analytics", "Analytics",
                scripts=(r"google-analytics\.com/(?:analytics|ga|urchin)\.js", r"googletagmanager\.com/gtag/js"),
                inline=(r"gtag\(\s*['\"]config['\"]\s*,\s*['\"](?:g|ua)-[a-z0-9-]+", r"googleanalyticsobject"),
                cookies=(r"^_ga$", r"^_ga_[A-Z0-9]+$", r"^_gid$")),
    Fingerprint("Google Tag Manager", "Tag manager", scripts=(r"googletagmanager\.com/gtm\.js",),
                inline=(r"googletagmanager\.com/gtm\.js",), html=(r"googletagmanager\.com/ns\.html",)),
    Fingerprint("Segment", "Customer data platform", scripts=(r"cdn\.segment\.(?:com|io)/analytics\.js",),
                inline=(r"cdn\.segment\.(?:com|io)/analytics\.js",), cookies=(r"^ajs_(?:anonymous_id|user_id)$",)),
    Fingerprint("Hotjar", "Analytics", scripts=(r"static\.hotjar\.com",), inline=(r"static\.hotjar\.com",),
                cookies=(r"^_hjSessionUser_",)),
    Fingerprint("Intercom", "Live chat", scripts=(r"widget\.intercom\.io", r"js\.intercomcdn\.com"),
                inline=(r"window\.intercomsettings", r"widget\.intercom\.io"),
                cookies=(r"^intercom-(?:id|session|device-id)-",)),
    Fingerprint("Stripe", "Payments", scripts=(r"js\.stripe\.com",), cookies=(r"^__stripe_(?:mid|sid)$",)),
    Fingerprint("Cloudflare", "CDN", scripts=(r"/cdn-cgi/(?:challenge-platform|scripts)/",),
                cookies=(r"^__cf_bm$", r"^__cflb$", r"^cf_clearance$", r"^__cfruid$"),
                headers=(r"^server: cloudflare", r"^cf-ray: ")),
    Fingerprint("Amazon CloudFront", "CDN", headers=(r"^x-amz-cf-id: ", r"^via: .*cloudfront")),
    Fingerprint("Vercel", "PaaS", headers=(r"^server: vercel", r"^x-vercel-id: ")),
    Fingerprint("Netlify", "PaaS", headers=(r"^server: netlify", r"^x-nf-request-id: ")),
    Fingerprint("Nginx", "Web server", headers=(r"^server: nginx",)),
    Fingerprint("Apache", "Web server", headers=(r"^server: apache",)),
)
# fmt: on

SOURCES = ("generator", "scripts", "inline", "html", "cookies", "headers")
# bulky: matched against the lower-cased text (a fast literal search); their patterns are written in lower case
LOWERED = ("inline", "html")
_COMPILED = [
    (fingerprint, source, re.compile(pattern, 0 if source in LOWERED else re.IGNORECASE))
    for fingerprint in FINGERPRINTS
    for source in SOURCES
    for pattern in getattr(fingerprint, source)
]
_BY_NAME = {fingerprint.name: fingerprint for fingerprint in FINGERPRINTS}


class TechStackExtractor:
    name: str = "tech_stack"
    fields: tuple[str, ...] = ("technologies",)

    def extract(self, pages: list[Page]) -> dict[str, Any]:
        evidence: dict[str, dict[str, None]] = {}
        for page in pages:
            targets = {
                source: [(text, text.lower() if source in LOWERED else text) for text in texts]
                for source, texts in _targets(page).items()
            }
            for fingerprint, source, pattern in _COMPILED:
                for said in _matches(pattern, source, targets[source]):
                    evidence.setdefault(fingerprint.name, {}).setdefault(said[:MAX_EVIDENCE_CHARS], None)
        for name in list(evidence):
            for implied in _BY_NAME[name].implies:
                evidence.setdefault(implied, {}).setdefault(f"implied by {name}", None)
        if not evidence:
            return {}
        technologies = [
            {"name": name, "category": _BY_NAME[name].category, "evidence": list(said)[:MAX_EVIDENCE]}
            for name, said in sorted(evidence.items(), key=lambda item: item[0].lower())
        ]
        return {"technologies": technologies}


def _targets(page: Page) -> dict[str, list[str]]:
    """What each source's patterns run over, for one page."""
    scripts = dict.fromkeys(page.scripts[:MAX_SCRIPTS])
    inline, inline_chars = [], 0
    for node in nodes(page, "script"):
        src = node.attributes.get("src")
        if src is not None:
            if (url := web_url(page.url, src)) is not None and len(scripts) < MAX_SCRIPTS:
                scripts.setdefault(url, None)
        elif _inline_code(node.attributes.get("type")) and inline_chars < MAX_INLINE_CHARS:
            text = node.text()[: MAX_INLINE_CHARS - inline_chars]
            inline.append(text)
            inline_chars += len(text)
    return {
        "generator": [content for key, content in metas(page) if key == "generator"],
        "scripts": list(scripts),
        "inline": inline,
        "html": [page.html[:MAX_HTML_CHARS]],
        "cookies": list(page.cookies),
        "headers": [f"{name.lower()}: {value}" for name, value in page.headers.items()],
    }


def _inline_code(kind: str | None) -> bool:
    """A script element holding code (no type, or a JavaScript one), not data such as JSON-LD."""
    kind = (kind or "").split(";", 1)[0].strip().lower()
    return kind in ("", "module", "text/javascript", "application/javascript", "text/babel")


def _matches(pattern: re.Pattern[str], source: str, targets: list[tuple[str, str]]) -> Iterable[str]:
    """Evidence strings for each target the pattern matches: a name or short value whole, in code what matched."""
    label = {"generator": "meta generator", "scripts": "script", "inline": "inline script", "html": "html",
             "cookies": "cookie", "headers": "header"}[source]  # fmt: skip
    for target, searched in targets:
        match = pattern.search(searched)
        if match is None:
            continue
        if source not in LOWERED:
            yield f"{label}: {target}"
        else:  # what matched, as the page wrote it when lower-casing kept the offsets
            said = target[match.start() : match.end()] if len(target) == len(searched) else match.group()
            yield f"{label}: {said}"
