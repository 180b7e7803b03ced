"""The network policy (R7): which addresses are refused and why, the allowlist, and what a fetchable URL is."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_network

import pytest

from domain.kernel.errors import TargetRefused, ValidationFailed
from domain.kernel.network_policy import NetworkPolicy, Target, parse_allowlist, parse_target

POLICY = NetworkPolicy()

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private address (RFC 1918"),
    ("172.16.0.1", "RFC 1918"),
    ("172.31.255.255", "RFC 1918"),
    ("192.168.1.1", "RFC 1918"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("100.64.0.1", "CGNAT"),
    ("100.127.255.254", "CGNAT"),
    ("fd00::1", "unique-local"),
    ("fc00::1", "unique-local"),
    ("::ffff:127.0.0.1", "IPv4-mapped"),
    ("::ffff:10.0.0.1", "IPv4-mapped"),
    ("::ffff:93.184.216.34", "IPv4-mapped"),  # refused whatever it carries
    ("::127.0.0.1", "IPv4-compatible"),
    ("64:ff9b::10.0.0.1", "NAT64"),
    ("64:ff9b::169.254.169.254", "cloud metadata"),
    ("64:ff9b:1::1", "NAT64"),
    ("2002:7f00:1::", "6to4"),
    ("2002:a9fe:a9fe::1", "cloud metadata"),
    ("2001::1", "Teredo"),
    ("0.0.0.0", "this network"),
    ("0.1.2.3", "this network"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.0.8", "192.0.0.0/24"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("2001:db8::1", "documentation"),
    ("100::1", "discard"),
    ("fec0::1", "site-local"),
    ("4000::1", "reserved"),
]


@pytest.mark.parametrize(("address", "said"), REFUSED)
def test_refused_ranges_say_why(address: str, said: str) -> None:
    reason = POLICY.refusal(address)
    assert reason is not None
    assert said in reason
    shown = address.split("%")[0]
    assert str(IPv6Address(shown) if ":" in shown else IPv4Address(shown)) in reason  # names the address


def test_a_private_address_names_its_range() -> None:
    assert POLICY.refusal("10.1.2.3") == "10.1.2.3 is a private address (RFC 1918, 10.0.0.0/8)"


def test_a_mapped_address_names_the_ipv4_it_carries() -> None:
    reason = POLICY.refusal("::ffff:10.0.0.1")
    assert reason is not None
    assert "10.0.0.1" in reason
    assert "RFC 1918" in reason


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:2800:220:1::", "2a00:1450:4001:82b::200e", "64:ff9b::8.8.8.8"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert POLICY.refusal(address) is None


def test_address_objects_are_judged_like_strings() -> None:
    assert POLICY.refusal(IPv4Address("10.0.0.1")) == POLICY.refusal("10.0.0.1")
    assert POLICY.refusal(IPv6Address("fe80::1%eth0")) is not None
    assert POLICY.refusal(IPv4Address("93.184.216.34")) is None


def test_text_that_is_no_address_is_refused_not_raised() -> None:
    reason = POLICY.refusal("not-an-ip")
    assert reason is not None
    assert "not an IP address" in reason


def test_the_allowlist_allows_exactly_its_networks() -> None:
    policy = NetworkPolicy(parse_allowlist("127.0.0.1/32"))
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal("127.0.0.2") is not None
    assert policy.refusal("::ffff:127.0.0.1") is not None  # the mapped form is another address
    assert policy.refusal("::1") is not None


def test_an_allowlisted_network_overrides_any_range() -> None:
    policy = NetworkPolicy((ip_network("10.0.0.0/8"), ip_network("fd00::/8"), ip_network("169.254.169.254/32")))
    assert policy.refusal("10.200.0.1") is None
    assert policy.refusal("fd12::1") is None
    assert policy.refusal("169.254.169.254") is None
    assert policy.refusal("192.168.0.1") is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ()),
        ("  ", ()),
        ("127.0.0.1/32", (ip_network("127.0.0.1/32"),)),
        ("127.0.0.1", (ip_network("127.0.0.1/32"),)),
        (" 10.0.0.0/8 ,  ::1 ,", (ip_network("10.0.0.0/8"), ip_network("::1/128"))),
        ("fd00::/8,192.168.0.0/16", (ip_network("fd00::/8"), ip_network("192.168.0.0/16"))),
    ],
)
def test_parse_allowlist(raw: str, expected: tuple[object, ...]) -> None:
    assert parse_allowlist(raw) == expected


@pytest.mark.parametrize("bad", ["nope", "10.0.0.0/33", "127.0.0.1/8", "10.0.0.0/8, 300.1.1.1", "::1/129"])
def test_parse_allowlist_names_the_bad_entry(bad: str) -> None:
    with pytest.raises(ValueError, match="bad allowlist entry") as raised:
        parse_allowlist(bad)
    entry = [e.strip() for e in bad.split(",")][-1]
    assert entry in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "url", "host", "port", "path"),
    [
        ("acme.com", "https://acme.com/", "acme.com", 443, "/"),
        ("  acme.com/about  ", "https://acme.com/about", "acme.com", 443, "/about"),
        ("acme.com:8443", "https://acme.com:8443/", "acme.com", 8443, "/"),
        ("//acme.com/x", "https://acme.com/x", "acme.com", 443, "/x"),
        ("HTTP://ACME.Com/About", "http://acme.com/About", "acme.com", 80, "/About"),
        ("https://acme.com:443/a?b=1#top", "https://acme.com/a?b=1", "acme.com", 443, "/a?b=1"),
        ("http://acme.com:8080?q", "http://acme.com:8080/?q", "acme.com", 8080, "/?q"),
        ("acme.com/?", "https://acme.com/?", "acme.com", 443, "/?"),  # kept as asked (a browser keeps it too)
        ("https://acme.com.", "https://acme.com/", "acme.com", 443, "/"),
        ("https://bücher.de/", "https://xn--bcher-kva.de/", "xn--bcher-kva.de", 443, "/"),
        ("https://MÜNCHEN.de/straße", "https://xn--mnchen-3ya.de/stra%C3%9Fe", "xn--mnchen-3ya.de", 443, None),
        ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/x", "127.0.0.1", 8000, "/x"),
        ("http://[::1]:8000/", "http://[::1]:8000/", "::1", 8000, "/"),
        ("http://[::FFFF:127.0.0.1]/", "http://[::ffff:7f00:1]/", "::ffff:7f00:1", 80, "/"),
        ("http://0x7f.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/"),  # as a browser reads it
        ("http://2130706433/", "http://127.0.0.1/", "127.0.0.1", 80, "/"),
        ("acme.com/?next=http://elsewhere", "https://acme.com/?next=http://elsewhere", "acme.com", 443, None),
    ],
)
def test_parse_target_normalizes(raw: str, url: str, host: str, port: int, path: str | None) -> None:
    target = parse_target(raw)
    assert target.url == url
    assert target.host == host
    assert target.port == port
    assert target.scheme == url.split(":", 1)[0]
    if path is not None:
        assert target.path_and_query == path
    assert parse_target(target.url) == target


def test_target_knows_its_origin_and_host_header() -> None:
    assert parse_target("http://acme.com:8080/x").origin == "http://acme.com:8080"
    assert parse_target("https://acme.com/x").netloc == "acme.com"
    assert parse_target("http://[::1]:81/").netloc == "[::1]:81"
    assert parse_target("http://10.0.0.1/").ip == IPv4Address("10.0.0.1")
    assert parse_target("https://acme.com/").ip is None
    assert isinstance(parse_target("acme.com"), Target)


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("ftp://acme.com/file", "scheme 'ftp'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("JavaScript:alert(1)", "scheme 'javascript'"),
        ("data:text/html,<b>x</b>", "scheme 'data'"),
        ("mailto:ceo@acme.com", "scheme 'mailto'"),
        ("gopher://acme.com/", "scheme 'gopher'"),
        ("http:acme.com", "not a valid URL"),
        ("http://user:pass@acme.com/", "credentials"),
        ("https://user@acme.com/", "credentials"),
        ("http://acme.com@169.254.169.254/", "credentials"),
        ("http://", "no host"),
        ("https:///path", "no host"),
        ("http://:80/", "no host"),
        ("http://acme.com:0/", "port"),
        ("http://acme.com:65536/", "port"),
        ("http://acme.com:-1/", "port"),
        ("http://acme.com:8o/", "port"),
        ("http://acme.com:99999999999/", "port"),
        ("http://ac me.com/", "whitespace"),
        ("http://acme.com/a b", "whitespace"),
        ("http://acme.com/\x00", "control"),
        ("http://acme.com/\u202e", "control"),
        ("http://acme.com\r\nHost: evil/", "control"),
        ("", "empty"),
        ("   ", "empty"),
        ("http://a..com/", "not a valid host name"),
        ("http://-acme.com/", "not a valid host name"),
        ("http://acme!.com/", "not a valid host name"),
        ("http://acme.com\\@evil.com/", "credentials"),
        ("http://acme.com\\evil/", "not a valid host name"),
        ("http://999.1.1.1/", "not a valid IPv4 address"),
        ("http://1.2.3.4.5/", "not a valid IPv4 address"),
        ("http://[::1/", "unclosed"),
        ("http://[nope]/", "not a valid IPv6 address"),
        ("http://[fe80::1%25eth0]/", "zone"),
        ("http://::1/", "brackets"),
        ("https://" + "a" * 64 + ".com/", "not a valid host name"),
        ("https://acme.com/" + "a" * 2100, "longer than 2048"),
    ],
)
def test_parse_target_refuses_with_a_reason(raw: str, said: str) -> None:
    with pytest.raises(TargetRefused) as raised:
        parse_target(raw)
    assert isinstance(raised.value, ValidationFailed)  # an HTTP 422
    assert said in raised.value.message
    assert "\n" not in raised.value.message
    assert "\r" not in raised.value.message


def test_a_target_longer_than_the_limit_once_encoded_is_refused() -> None:
    with pytest.raises(TargetRefused, match="longer than 2048"):
        parse_target("https://acme.com/" + "é" * 1000)  # 1017 characters, 6017 once percent-encoded
