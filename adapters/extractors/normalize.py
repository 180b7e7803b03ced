"""Normalizing what a site says: emails, phone numbers, social profile URLs.

Emails: `mailto:` (its query dropped), percent- and HTML-escapes, and the usual obfuscations (`name [at] domain
[dot] com`, `name(at)domain(dot)com`, `{at}`/`<at>`, `name AT domain DOT com` — the bare words only in capitals,
as lower-case "at"/"dot" are too common in prose) are undone; the result is lower-cased and kept only if it is a
plain address: an ASCII local part of letters, digits and `._+-` (no `%`, no leading, trailing or double dot), a
domain of at least two valid labels with an alphabetic top-level label. Image and asset names (`logo@2x.png`),
tracking ids (a local part of 24+ hex digits, error-tracker domains) are junk and dropped; placeholder domains
(example.com) are kept. Normalizing a normalized email gives it back.

Phones: E.164 (`+<country><number>`) through `phonenumbers`, valid numbers only (`is_valid_number`), parsed in
a region guessed from the page: the region of `<html lang>` (`de-AT` → AT), else the host's country-code TLD
(except those used as generic ones: .io, .ai, .co...), else the language's main country (`de` → DE), else US.
In running text a number must be grouped as its country writes it (phonenumbers' STRICT_GROUPING), and a bare run
of digits without `+` or separators is not taken (order numbers, ids); tel: links are taken as written.

Social profiles: a URL is canonical as `https://<network host>/<profile path>` — https, lower-case host without
`www.`/`m.`/country prefixes, no query, fragment, port or trailing slash — and only for a profile: LinkedIn
`/company/<x>`, `/school/<x>`, `/in/<x>`; X and Twitter `/<handle>` (as `https://x.com/<handle>`); GitHub
`/<org>` (and `/orgs/<org>`); Facebook `/<page>`; Instagram `/<handle>`; YouTube `/@<handle>`, `/channel/<id>`,
`/c/<name>`, `/user/<name>`. Sub-pages of a LinkedIn or YouTube profile (about, jobs, videos) are trimmed to the
profile; share and intent links, posts, searches, repositories and the networks' own pages are not profiles.
"""

from __future__ import annotations

import html
import re
from itertools import islice
from urllib.parse import unquote, urlsplit

import phonenumbers
from phonenumbers import Leniency, NumberParseException, PhoneNumberFormat, PhoneNumberMatcher

MAX_EMAIL_INPUT = 512
MAX_PHONE_INPUT = 64
MAX_URL_INPUT = 2_000
DEFAULT_REGION = "US"

# --- emails ---------------------------------------------------------------------------------------------------

_LOCAL = re.compile(r"^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TOP_LABEL = re.compile(r"^(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})$")
_HEX_ID = re.compile(r"^[0-9a-f]{24,}$")
ASSET_SUFFIXES = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "bmp", "tif", "tiff", "heic", "css", "js", "mjs",
     "map", "json", "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mov", "mp3", "wav", "pdf", "zip"}
)  # fmt: skip
JUNK_DOMAINS = ("sentry.io", "sentry-next.wixpress.com", "wixpress.com", "sentry.wixpress.com")
_SPACES = re.compile(r"[^\S\n]{2,}|[^\S \n]")  # a run of blanks, or an odd one (tab, no-break space): one space
_AT = re.compile(r"[\[({<] ?(?:at|@) ?[\])}>] ?", re.IGNORECASE)
_DOT = re.compile(r"[\[({<] ?(?:dot|\.) ?[\])}>] ?", re.IGNORECASE)
_SPELLED = re.compile(r"\b([A-Za-z0-9._+-]{1,64}) AT ([A-Za-z0-9-]{1,63}(?: DOT [A-Za-z0-9-]{1,63}){1,6})\b")
_EMAIL_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z][A-Za-z0-9-]{1,23}(?![A-Za-z0-9-])"
)
_EDGE_JUNK = "<>()[]{}\"'`.,;:!?*|\\/ \t\r\n"


def deobfuscate(text: str) -> str:
    """`name [at] domain [dot] com`, `name(at)domain(dot)com`, `name AT domain DOT com` → `name@domain.com`."""
    text = _glued(_DOT, _glued(_AT, _SPACES.sub(" ", text), "@"), ".")
    if " AT " not in text:
        return text
    return _SPELLED.sub(lambda m: m.group(1) + "@" + m.group(2).replace(" DOT ", "."), text)


def _glued(pattern: re.Pattern[str], text: str, by: str) -> str:
    """Each match replaced by `by`, and a space just before it dropped."""
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts += [text[last : match.start()].removesuffix(" "), by]
        last = match.end()
    return "".join([*parts, text[last:]]) if parts else text


def valid_email(email: str) -> bool:
    """A plain lower-case address that is not an asset name or a tracking id (see the module's rules)."""
    if len(email) > 254 or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    if len(local) > 64 or not _LOCAL.match(local) or _HEX_ID.match(local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or not _TOP_LABEL.match(labels[-1]):
        return False
    if labels[-1] in ASSET_SUFFIXES:
        return False
    return not any(domain == junk or domain.endswith("." + junk) for junk in JUNK_DOMAINS)


def normalize_email(raw: str) -> str | None:
    """The address `raw` stands for (a `mailto:` href, an escaped or obfuscated address), or None."""
    if not raw or len(raw) > MAX_EMAIL_INPUT:
        return None
    text = html.unescape(raw.strip())
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0].split("#", 1)[0]
    text = deobfuscate(unquote(text)).strip(_EDGE_JUNK).lower()
    return text if valid_email(text) else None


def find_emails(text: str, limit: int) -> list[str]:
    """The valid addresses written in `text` (plain, escaped or obfuscated), each once, in order, at most `limit`."""
    found: dict[str, None] = {}
    for match in islice(_EMAIL_IN_TEXT.finditer(deobfuscate(html.unescape(text))), limit * 4):
        email = normalize_email(match.group())
        if email is not None:
            found.setdefault(email, None)
            if len(found) >= limit:
                break
    return list(found)


def cloudflare_email(encoded: str) -> str | None:
    """An address hidden by Cloudflare's email obfuscation (`data-cfemail`: a key byte, then XOR-ed bytes)."""
    encoded = encoded.strip()
    if not 4 <= len(encoded) <= 2 * MAX_EMAIL_INPUT or len(encoded) % 2:
        return None
    try:
        data = bytes.fromhex(encoded)
    except ValueError:
        return None
    key = data[0]
    return normalize_email(bytes(b ^ key for b in data[1:]).decode("latin-1"))


# --- phones ---------------------------------------------------------------------------------------------------

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
GENERIC_CCTLDS = frozenset({"io", "ai", "co", "me", "tv", "ly", "fm", "gg", "sh", "ac", "cc", "ws", "to", "so", "app"})
TLD_REGIONS = {"uk": "GB"}
LANGUAGE_REGIONS = {
    "de": "DE", "fr": "FR", "es": "ES", "it": "IT", "nl": "NL", "pl": "PL", "pt": "PT", "sv": "SE", "da": "DK",
    "nb": "NO", "nn": "NO", "no": "NO", "fi": "FI", "cs": "CZ", "sk": "SK", "hu": "HU", "ro": "RO", "el": "GR",
    "tr": "TR", "ja": "JP", "ko": "KR", "zh": "CN", "he": "IL", "uk": "UA", "bg": "BG", "hr": "HR", "sl": "SI",
    "et": "EE", "lv": "LV", "lt": "LT", "is": "IS", "th": "TH", "vi": "VN", "id": "ID", "hi": "IN",
}  # fmt: skip


def phone_region(language: str | None, url: str) -> str:
    """The region national numbers on a page are read in (see the module's rules)."""
    parts = (language or "").split("-")
    if len(parts) > 1 and parts[1].upper() in phonenumbers.SUPPORTED_REGIONS:
        return parts[1].upper()
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        host = ""
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    region = TLD_REGIONS.get(tld, tld.upper())
    if len(tld) == 2 and tld not in GENERIC_CCTLDS and region in phonenumbers.SUPPORTED_REGIONS:
        return region
    return LANGUAGE_REGIONS.get(parts[0].lower(), DEFAULT_REGION)


def _e164(number: phonenumbers.PhoneNumber) -> str | None:
    if not phonenumbers.is_valid_number(number):
        return None
    formatted = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return formatted if _E164.match(formatted) else None


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """`raw` (a number as written, or a `tel:` href) in E.164, or None if it is not a valid number."""
    if not raw or len(raw) > MAX_PHONE_INPUT:
        return None
    text = unquote(raw.strip())
    if text[:4].lower() == "tel:":
        text = text[4:]
    text = text.split(";", 1)[0].strip()  # RFC 3966 parameters
    try:
        number = phonenumbers.parse(text, region if region in phonenumbers.SUPPORTED_REGIONS else DEFAULT_REGION)
    except NumberParseException:
        return None
    return _e164(number)


def find_phones(text: str, region: str, limit: int) -> list[str]:
    """The valid numbers written in `text`, in E.164, each once, in order, at most `limit` (module's rules)."""
    if region not in phonenumbers.SUPPORTED_REGIONS:
        region = DEFAULT_REGION
    found: dict[str, None] = {}
    matches = PhoneNumberMatcher(text, region, leniency=Leniency.STRICT_GROUPING, max_tries=limit * 4)
    for match in islice(matches, limit * 4):  # max_tries counts misses only: cap the hits too
        raw = match.raw_string.strip()
        if raw.isdigit():
            continue
        number = _e164(match.number)
        if number is not None:
            found.setdefault(number, None)
            if len(found) >= limit:
                break
    return list(found)


# --- social profiles ------------------------------------------------------------------------------------------

SOCIAL_NETWORKS = ("linkedin", "twitter", "github", "facebook", "instagram", "youtube")
_HOSTS = {
    "linkedin.com": "linkedin",
    "x.com": "twitter",
    "twitter.com": "twitter",
    "mobile.twitter.com": "twitter",
    "github.com": "github",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "web.facebook.com": "facebook",
    "business.facebook.com": "facebook",
    "instagram.com": "instagram",
    "youtube.com": "youtube",
}
_CANONICAL_HOSTS = {
    "linkedin": "linkedin.com",
    "twitter": "x.com",
    "github": "github.com",
    "facebook": "facebook.com",
    "instagram": "instagram.com",
    "youtube": "youtube.com",
}
_LINKEDIN_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.%~-]{0,99}$")
_X_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_GITHUB_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_FACEBOOK_PAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,79}$")
_INSTAGRAM_HANDLE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.]{0,29}$")
_YOUTUBE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
RESERVED = {
    "twitter": frozenset(
        {"intent", "share", "home", "search", "hashtag", "i", "explore", "login", "logout", "signup", "settings",
         "messages", "notifications", "compose", "tos", "privacy", "about", "download", "widgets", "x", "twitter",
         "account", "lists", "topics", "jobs"}
    ),
    "github": frozenset(
        {"about", "features", "pricing", "login", "logout", "join", "signup", "orgs", "topics", "marketplace",
         "sponsors", "enterprise", "explore", "settings", "site", "security", "contact", "collections", "trending",
         "apps", "new", "notifications", "pulls", "issues", "search", "team", "customer-stories", "readme",
         "github", "codespaces", "organizations", "events", "home", "dashboard"}
    ),
    "facebook": frozenset(
        {"sharer", "share", "dialog", "plugins", "tr", "login", "home", "groups", "events", "watch", "help",
         "policies", "privacy", "pages", "people", "profile", "photo", "permalink", "story", "hashtag", "search",
         "marketplace", "gaming", "business", "ads", "legal", "settings", "facebook", "l", "messages", "about"}
    ),
    "instagram": frozenset(
        {"p", "reel", "reels", "explore", "accounts", "stories", "tv", "direct", "about", "developer", "legal",
         "instagram", "web", "share"}
    ),
}  # fmt: skip
_YOUTUBE_KINDS = ("channel", "c", "user")


def _host(hostname: str) -> str | None:
    """The network host a link's host stands for (www./m./country prefixes dropped), if it is one."""
    host = hostname.lower().rstrip(".")
    for prefix in ("www.", "m."):
        host = host.removeprefix(prefix)
    if host.endswith(".linkedin.com") and len(host) == len("xx.linkedin.com"):
        host = "linkedin.com"  # de.linkedin.com, uk.linkedin.com...
    return host if host in _HOSTS else None


def _profile_path(network: str, segments: list[str]) -> str | None:
    if not segments:
        return None
    first = segments[0]
    if network == "linkedin":
        if first in ("company", "school", "in") and len(segments) >= 2 and _LINKEDIN_SLUG.match(segments[1]):
            return f"{first}/{segments[1]}"
        return None
    if network == "youtube":
        if first.startswith("@") and _YOUTUBE_NAME.match(first[1:]):
            return first
        if first in _YOUTUBE_KINDS and len(segments) >= 2 and _YOUTUBE_NAME.match(segments[1]):
            return f"{first}/{segments[1]}"
        return None
    if network == "github" and first == "orgs" and len(segments) >= 2:
        segments = segments[1:2]  # /orgs/<org>/repositories is the org's
        first = segments[0]
    if len(segments) != 1 or first.lower() in RESERVED.get(network, ()) or first.lower().endswith(".php"):
        return None
    pattern = {"twitter": _X_HANDLE, "github": _GITHUB_ORG, "facebook": _FACEBOOK_PAGE}.get(network, _INSTAGRAM_HANDLE)
    return first if pattern.match(first) else None


def social_profile(url: str) -> tuple[str, str] | None:
    """(network, canonical profile URL) of a link to a company's or person's profile; None for anything else."""
    if not url or len(url) > MAX_URL_INPUT:
        return None
    url = url.strip()
    lowered = url.lower()
    if lowered.startswith("//"):
        url = "https:" + url
    elif not lowered.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(url)
        hostname = parts.hostname or ""
    except ValueError:
        return None
    host = _host(hostname)
    if host is None:
        return None
    network = _HOSTS[host]
    path = _profile_path(network, [segment for segment in parts.path.split("/") if segment])
    return (network, f"https://{_CANONICAL_HOSTS[network]}/{path}") if path else None


def canonical_social(url: str) -> str | None:
    """The canonical profile URL of `url`, or None if it is no profile link."""
    profile = social_profile(url)
    return profile[1] if profile else None
