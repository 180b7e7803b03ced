"""The URL validator and the address policy under arbitrary input (QUALITY.md R8): no crash, only clean errors.

`parse_target` answers a `Target` or raises `TargetRefused` — nothing else — and a `Target` re-parses to itself;
`NetworkPolicy.refusal` answers None or a reason for every IPv4 and IPv6 address and never raises.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_network

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.kernel.errors import TargetRefused
from domain.kernel.network_policy import MAX_URL_CHARS, NetworkPolicy, Target, parse_target

POLICY = NetworkPolicy()
ALLOWING = NetworkPolicy((ip_network("127.0.0.0/8"), ip_network("fd00::/8")))

_ASCII_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_ANY_CHAR = st.characters(codec=None)
_NASTY = st.sampled_from(
    [*"/\\?#@:[]%.\t\n\r\x00 \u3002\uff0e\uff0f\uff1a\u200b\u202e\ufeff\u00df", "xn--", "0x", ".."]
)

schemes = st.sampled_from(
    ["http", "https", "HTTP", "HtTpS", "ftp", "file", "javascript", "data", "ws", "gopher", "", "h", "http+unix"]
)
labels = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9\-]{0,20}", fullmatch=True),
    st.text(alphabet=_ANY_CHAR, min_size=0, max_size=8),
    st.sampled_from(
        ["xn--bcher-kva", "bücher", "münchen", "例え", "\uff21\uff22\uff23", "0x7f", "010", "4294967295", "-a", "a_b"]
    ),
)
hosts = st.one_of(
    st.lists(labels, min_size=1, max_size=4).map(".".join),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda ip: f"[{ip}]"),
    st.ip_addresses(v=6).map(str),
    st.text(alphabet=_ANY_CHAR, max_size=12),
)
ports = st.one_of(
    st.just(""), st.integers(-5, 70000).map(lambda n: f":{n}"), st.text(_ASCII_PRINTABLE, max_size=6).map(":".__add__)
)
paths = st.lists(st.one_of(st.text(_ASCII_PRINTABLE, max_size=10), st.text(_ANY_CHAR, max_size=5), _NASTY), max_size=6)
userinfo = st.one_of(st.sampled_from(["", "user:pass@", "@"]), st.text(_ASCII_PRINTABLE, max_size=6).map("{}@".format))


@st.composite
def url_shaped(draw: st.DrawFn) -> str:
    scheme = draw(schemes)
    separator = draw(st.sampled_from(["://", ":", ":/", "", "//", ":\\\\"]))
    text = f"{scheme}{separator}{draw(userinfo)}{draw(hosts)}{draw(ports)}"
    path = "".join(draw(paths))
    if path and not path.startswith(("/", "?", "#")) and draw(st.booleans()):
        path = "/" + path
    padding = draw(st.sampled_from(["", " ", "\t", "\n", "\u3000"]))
    return padding + text + path + padding


def check(raw: str) -> Target | None:
    """Only a Target or a TargetRefused; a Target is well formed and a fixed point of parsing."""
    try:
        target = parse_target(raw)
    except TargetRefused as exc:
        refused = exc
    else:
        return _well_formed(target)
    assert refused.message
    assert refused.message.isprintable()  # no control characters from the input reach a message
    return None


def _well_formed(target: Target) -> Target:
    assert target.scheme in ("http", "https")
    assert 1 <= target.port <= 65535
    assert target.path_and_query.startswith("/")
    assert "#" not in target.url
    assert "@" not in target.url.split("/")[2]
    assert target.url.isascii()
    assert target.host
    assert target.host == target.host.lower()
    assert len(target.url) <= MAX_URL_CHARS
    assert target.url.startswith(f"{target.scheme}://")
    assert target.url.endswith(target.path_and_query)
    assert parse_target(target.url) == target  # idempotent
    return target


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ANY_CHAR, max_size=300))
@example("")
@example("\x00")
@example("http://[")
@example("http://[::1]:")
@example("http://a.com:")
@example("https://\u0130.com/")
@example("http://%41.com/")
@example("http://\ud800.com/")
def test_arbitrary_text_is_a_target_or_a_refusal(raw: str) -> None:
    check(raw)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(url_shaped())
@example("https://acme.com/")
@example("https://bücher.de/über?q=ä#x")
@example("http://0x7f.0.0.1:8080")
@example("http://[::ffff:127.0.0.1]/")
def test_url_shaped_text_is_a_target_or_a_refusal(raw: str) -> None:
    check(raw)


@given(st.lists(labels, min_size=1, max_size=3).map(".".join), st.sampled_from(["", "/", "/a?b=c", "?x"]))
def test_bare_domains_become_https(host: str, tail: str) -> None:
    target = check(host + tail)
    if target is not None:
        assert target.scheme == "https"


@given(st.ip_addresses())
def test_refusal_never_raises_on_any_address(address: IPv4Address | IPv6Address) -> None:
    for candidate in (address, str(address), address.exploded):
        reason = POLICY.refusal(candidate)
        assert reason is None or (isinstance(reason, str) and reason)
    assert POLICY.refusal(address) == POLICY.refusal(str(address))


@given(st.ip_addresses())
def test_the_allowlist_only_ever_allows_more(address: IPv4Address | IPv6Address) -> None:
    if POLICY.refusal(address) is None:
        assert ALLOWING.refusal(address) is None
    if address.version == 4 and address in ip_network("127.0.0.0/8"):
        assert ALLOWING.refusal(address) is None


@given(st.ip_addresses(v=4))
def test_an_ipv4_mapped_address_is_always_refused(address: IPv4Address) -> None:
    mapped = IPv6Address(f"::ffff:{address}")
    reason = POLICY.refusal(mapped)
    assert reason is not None
    assert str(address) in reason


@given(st.text(max_size=40))
def test_refusal_of_any_text_is_an_answer(raw: str) -> None:
    reason = POLICY.refusal(raw)
    assert reason is None or reason


_PATH_CHARS = st.one_of(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"),
    st.characters(categories=["L", "N", "S"]),
)


@st.composite
def well_formed(draw: st.DrawFn) -> tuple[str, str, int | None, str]:
    scheme = draw(st.sampled_from(["http", "https"]))
    names = draw(st.lists(st.from_regex(r"[a-z0-9]([a-z0-9\-]{0,10}[a-z0-9])?", fullmatch=True), max_size=3))
    host = ".".join([*names, draw(st.from_regex(r"[a-z]{2,6}", fullmatch=True))])
    port = draw(st.one_of(st.none(), st.integers(1, 65535)))
    path = "/" + draw(st.text(_PATH_CHARS, max_size=40))
    return scheme, host, port, path


@settings(max_examples=500)
@given(well_formed(), st.sampled_from(["", "#fragment", "#"]))
def test_well_formed_urls_are_accepted_and_stable(parts: tuple[str, str, int | None, str], fragment: str) -> None:
    scheme, host, port, path = parts
    raw = f"{scheme.upper()}://{host.upper()}{'' if port is None else f':{port}'}{path}{fragment}"
    target = check(raw)
    assert target is not None
    assert target.host == host
    assert target.port == (port or {"http": 80, "https": 443}[scheme])
    if path.isascii():
        assert target.path_and_query == path
