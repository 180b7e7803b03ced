"""Which addresses the scraper (and a webhook) may reach, and what a fetchable URL is (QUALITY.md R7, R8).

Rules:
- Refused: loopback, RFC 1918, link-local (169.254.169.254, the cloud metadata address, by name), CGNAT,
  "this network" and unspecified, multicast, broadcast, reserved and documentation ranges, benchmarking,
  IPv6 unique-local, site-local, discard-only, Teredo, every IPv4-mapped (::ffff:0:0/96) and IPv4-compatible
  (::/96) address, local-use NAT64, and anything else the standard library calls not global.
- NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the IPv4 address they carry.
- An address inside an allowlisted network is allowed whatever its range (tests allow 127.0.0.1/32). The match is
  on the address itself: allowlisting 127.0.0.1 does not allow ::ffff:127.0.0.1.
- `parse_target` accepts an http(s) URL or a bare domain and answers a normalized `Target`, or `TargetRefused` with
  the reason — never another exception, whatever the input. Its output re-parses to itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import quote

from domain.kernel.errors import TargetRefused

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

MAX_URL_CHARS = 2048
SCHEMES = {"http": 80, "https": 443}
_SHOWN_CHARS = 80


def _nets(description: str, *cidrs: str, source: str = "") -> list[tuple[Network, str]]:
    """Each range with its reason, e.g. `a private address (RFC 1918, 10.0.0.0/8)`."""
    return [(net, f"{description} ({source + ', ' if source else ''}{net})") for net in map(ip_network, cidrs)]


# Most specific first: the first range that holds the address names the reason.
_REFUSED_V4: list[tuple[Network, str]] = [
    *_nets("the cloud metadata address", "169.254.169.254/32", source="link-local"),
    *_nets("the broadcast address", "255.255.255.255/32"),
    *_nets('an unspecified / "this network" address', "0.0.0.0/8"),
    *_nets("a loopback address", "127.0.0.0/8"),
    *_nets("a private address", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", source="RFC 1918"),
    *_nets("a shared CGNAT address", "100.64.0.0/10", source="RFC 6598"),
    *_nets("a link-local address", "169.254.0.0/16"),
    *_nets("an IETF protocol assignment", "192.0.0.0/24", source="RFC 6890"),
    *_nets("a documentation address", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", source="TEST-NET"),
    *_nets("a 6to4 relay anycast address", "192.88.99.0/24", source="RFC 7526"),
    *_nets("a benchmarking address", "198.18.0.0/15", source="RFC 2544"),
    *_nets("a multicast address", "224.0.0.0/4"),
    *_nets("a reserved address", "240.0.0.0/4"),
]
_REFUSED_V6: list[tuple[Network, str]] = [
    *_nets("the unspecified address", "::/128"),
    *_nets("the loopback address", "::1/128"),
    *_nets("a local-use NAT64 address", "64:ff9b:1::/48", source="RFC 8215"),
    *_nets("a discard-only address", "100::/64", source="RFC 6666"),
    *_nets("a Teredo tunnel address", "2001::/32"),
    *_nets("a benchmarking address", "2001:2::/48", source="RFC 5180"),
    *_nets("an ORCHID address", "2001:10::/28", "2001:20::/28"),
    *_nets("a documentation address", "2001:db8::/32", "3fff::/20"),
    *_nets("a unique-local address", "fc00::/7", source="RFC 4193"),
    *_nets("a link-local address", "fe80::/10"),
    *_nets("a site-local address", "fec0::/10", source="deprecated"),
    *_nets("a multicast address", "ff00::/8"),
]
_MAPPED = ip_network("::ffff:0:0/96")
_COMPATIBLE = ip_network("::/96")
_NAT64 = ip_network("64:ff9b::/96")
_SIXTOFOUR = ip_network("2002::/16")


@dataclass(slots=True, frozen=True)
class NetworkPolicy:
    """Says whether an address may be connected to; `allowlist` networks are always allowed."""

    allowlist: tuple[Network, ...] = ()

    def refusal(self, address: str | Address) -> str | None:
        """None when the address may be reached, else why not, naming the address and the range."""
        ip = _address(address)
        if ip is None:
            return f"{_shown(str(address))} is not an IP address"
        if any(ip.version == net.version and ip in net for net in self.allowlist):
            return None
        return _refusal(ip)


def _address(address: str | Address) -> Address | None:
    """The address without an IPv6 zone (fe80::1%eth0 is fe80::1), or None when it is not one."""
    if isinstance(address, IPv4Address):
        return address
    if isinstance(address, IPv6Address):
        return IPv6Address(int(address))
    if not isinstance(address, str):
        return None
    try:
        ip = ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    return IPv6Address(int(ip)) if isinstance(ip, IPv6Address) else ip


def _refusal(ip: Address) -> str | None:
    if isinstance(ip, IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            kind, net, v4, always = embedded
            inner = _refusal(v4)
            if always:
                return f"{ip} is an {kind} address ({net}) of {v4}" + (f"; {inner}" if inner else "")
            return f"{ip} is a {kind} address ({net}) of {v4}; {inner}" if inner else None
    for net, description in _REFUSED_V4 if ip.version == 4 else _REFUSED_V6:
        if ip in net:
            return f"{ip} is {description}"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_reserved:
        return f"{ip} is a reserved address"
    if ip.is_private or not ip.is_global:
        return f"{ip} is not a globally routable address"
    return None


def _embedded_v4(ip: IPv6Address) -> tuple[str, Network, IPv4Address, bool] | None:
    """(kind, its range, the IPv4 address inside, whether the kind is refused whatever that IPv4 address is)."""
    if ip in _MAPPED:
        return "IPv4-mapped", _MAPPED, IPv4Address(int(ip) & 0xFFFFFFFF), True
    if ip in _COMPATIBLE and int(ip) > 1:  # :: and ::1 are named as themselves
        return "IPv4-compatible", _COMPATIBLE, IPv4Address(int(ip) & 0xFFFFFFFF), True
    if ip in _NAT64:
        return "NAT64", _NAT64, IPv4Address(int(ip) & 0xFFFFFFFF), False
    if ip in _SIXTOFOUR:
        return "6to4", _SIXTOFOUR, IPv4Address((int(ip) >> 80) & 0xFFFFFFFF), False
    return None


def parse_allowlist(raw: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs or bare addresses (whitespace and empty entries tolerated; "" is none).

    A network with host bits set (127.0.0.1/8) is an error, not silently widened.
    """
    networks: list[Network] = []
    for entry in raw.split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ip_network(entry, strict=True))
        except ValueError as exc:
            raise ValueError(f"bad allowlist entry {entry!r}: {exc}") from None
    return tuple(networks)


@dataclass(slots=True, frozen=True)
class Target:
    """A URL the fetcher may try: http(s), a host, no credentials, normalized.

    `host` is lower-case ASCII (IDNA-encoded), or an IP address without brackets; `port` is always set (80/443
    by default, left out of `url` then); `path_and_query` starts with "/" and has no fragment.
    """

    url: str
    scheme: str
    host: str
    port: int
    path_and_query: str

    @property
    def ip(self) -> Address | None:
        """The address when the host is an IP literal (no DNS then)."""
        try:
            return ip_address(self.host)
        except ValueError:
            return None

    @property
    def netloc(self) -> str:
        """Host, bracketed if IPv6, with the port unless it is the scheme's default: the `Host` header's value."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.netloc}"


_SCHEME_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)", re.DOTALL)
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
_BARE_WITH_PORT = re.compile(r"\d+(?:[/?#].*)?", re.DOTALL)
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")
_V4_PART = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
_PORT = re.compile(r"[0-9]{1,5}")
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"}
# Everything printable in ASCII stays as it is ("%" included: no double encoding); only the rest is encoded.
_KEEP = "".join(chr(c) for c in range(0x21, 0x7F))


def parse_target(raw: str) -> Target:
    """A URL (http or https) or a bare domain (`acme.com` is `https://acme.com/`), normalized, or `TargetRefused`."""
    if not isinstance(raw, str):
        raise TargetRefused("the target must be text")
    text = raw.strip()
    if not text:
        raise TargetRefused("the target is empty")
    if len(text) > MAX_URL_CHARS:
        raise TargetRefused(f"the target is longer than {MAX_URL_CHARS} characters")
    for char in text:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise TargetRefused(f"the target {_shown(text)} contains whitespace or a control character")
    scheme, rest = _split_scheme(text)
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    host, port = _authority(authority, scheme, text)
    path, asks, query = tail.split("#", 1)[0].partition("?")
    path_and_query = quote(path or "/", safe=_KEEP) + (f"?{quote(query, safe=_KEEP)}" if asks else "")
    netloc = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{netloc}{'' if port == SCHEMES[scheme] else f':{port}'}{path_and_query}"
    if len(url) > MAX_URL_CHARS:
        raise TargetRefused(f"the target is longer than {MAX_URL_CHARS} characters once normalized")
    return Target(url=url, scheme=scheme, host=host, port=port, path_and_query=path_and_query)


def _split_scheme(text: str) -> tuple[str, str]:
    """(scheme, everything after "//"); a bare domain (with or without a port) is https."""
    if text.startswith("//"):
        return "https", text[2:]
    explicit = _URL_SCHEME.match(text)
    if explicit:
        scheme = explicit.group(1).lower()
        if scheme not in SCHEMES:
            raise TargetRefused(f"the scheme {_shown(scheme)} is not allowed (only http and https)")
        return scheme, text[explicit.end() :]
    opaque = _SCHEME_PREFIX.fullmatch(text)
    if opaque and not _BARE_WITH_PORT.fullmatch(opaque.group(2)):  # javascript:…, mailto:…, data:…, http:host
        scheme = opaque.group(1).lower()
        if scheme in SCHEMES:
            raise TargetRefused(f"the target {_shown(text)} is not a valid URL (expected {scheme}://host/…)")
        raise TargetRefused(f"the scheme {_shown(scheme)} is not allowed (only http and https)")
    return "https", text


def _authority(authority: str, scheme: str, text: str) -> tuple[str, int]:
    if "@" in authority:
        raise TargetRefused("the target must not carry credentials (user:password@)")
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise TargetRefused(f"the target {_shown(text)} has an unclosed IPv6 address")
        host_text, after = authority[1:close], authority[close + 1 :]
        if after and not after.startswith(":"):
            raise TargetRefused(f"the target {_shown(text)} has a malformed host")
        host = _ipv6_host(host_text)
        port_text = after[1:] if after else ""
    else:
        if authority.count(":") > 1:
            raise TargetRefused(f"the target {_shown(text)} has a malformed host (IPv6 needs [brackets])")
        host_text, _, port_text = authority.partition(":")
        host = _host(host_text)
    return host, _port(port_text, scheme)


def _ipv6_host(text: str) -> str:
    if "%" in text:
        raise TargetRefused("an IPv6 zone identifier is not allowed in the target")
    try:
        return IPv6Address(text).compressed
    except ValueError:
        raise TargetRefused(f"{_shown(text)} is not a valid IPv6 address") from None


def _host(text: str) -> str:
    """Lower-case ASCII: IDNA for Unicode names, numeric IPv4 forms (0x7f.1, 2130706433) as dotted quads."""
    if not text:
        raise TargetRefused("the target has no host")
    if text.isascii():
        host = text.lower()
    else:
        try:
            host = text.encode("idna").decode("ascii").lower()
        except (UnicodeError, ValueError):
            raise TargetRefused(f"the host {_shown(text)} is not a valid international domain name") from None
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")
    if _V4_PART.fullmatch(labels[-1]):  # a numeric last label makes it an IPv4 address, as browsers read it
        return str(_ipv4_host(labels, text))
    if not host or len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise TargetRefused(f"the host {_shown(text)} is not a valid host name")
    return host


def _ipv4_host(parts: list[str], text: str) -> IPv4Address:
    """The WHATWG IPv4 parser: up to four parts, each decimal, 0x-hex or 0-octal; the last fills the rest."""
    bad = TargetRefused(f"the host {_shown(text)} is not a valid IPv4 address")
    if len(parts) > 4 or not all(_V4_PART.fullmatch(part) for part in parts):
        raise bad
    numbers = []
    for part in parts:
        if part[:2].lower() == "0x":
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                raise bad
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise bad
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return IPv4Address(value)


def _port(text: str, scheme: str) -> int:
    if not text:
        return SCHEMES[scheme]
    if not _PORT.fullmatch(text) or not 1 <= int(text) <= 65535:
        raise TargetRefused(f"the port {_shown(text)} is not a valid port (1-65535)")
    return int(text)


def _shown(text: str) -> str:
    """Untrusted text, quoted with control characters escaped and cut short, fit for a message or a log."""
    return repr(text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…")
