"""The pure parts of the provider adapters: waits, domains, handles, fields, bulk alignment; and their settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from adapters.providers.apollo_answers import align, align_organizations, exhausted_window
from adapters.providers.apollo_payloads import Organization, Person
from adapters.providers.fields import LINKEDIN, bare_domain, location, profile_url, put
from adapters.providers.http import MAX_WAIT_SECONDS, quoted, retry_after, scrubbed
from domain.enrichment.schema import FieldValue, Outcome, ProviderResult
from entrypoints.wiring.settings import ConfigError, load_settings


@pytest.mark.parametrize(
    ("value", "wait"),
    [("7", 7.0), ("2.5", 2.5), ("0", 0.0), ("-3", 0.0), ("10000000", MAX_WAIT_SECONDS), ("soon", None),
     ("nan", None), ("", None)],
)  # fmt: skip
def test_retry_after_in_seconds(value: str, wait: float | None) -> None:
    assert retry_after(httpx.Headers({"Retry-After": value})) == wait


def test_retry_after_as_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)

    wait = retry_after(httpx.Headers({"Retry-After": when}))

    assert wait is not None
    assert 110 <= wait <= 120


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"x-minute-requests-left": "12", "x-daily-requests-left": "900"}, None),
        ({"x-minute-requests-left": "0"}, 60.0),
        ({"x-hourly-usage": "400", "x-rate-limit-hourly": "400"}, 3_600.0),
        ({"x-minute-requests-left": "0", "x-daily-requests-left": "0"}, 86_400.0),
        ({"x-minute-requests-left": "lots"}, None),
        ({"x-minute-requests-left": "\u00b2"}, None),  # a latin-1 "digit"
    ],
)
def test_apollo_windows_say_which_one_is_spent(headers: dict[str, str], wait: float | None) -> None:
    assert exhausted_window(httpx.Headers({k: v.encode("latin-1") for k, v in headers.items()})) == wait


@pytest.mark.parametrize(
    ("value", "domain"),
    [("acme.com", "acme.com"), ("https://www.Acme.com/team?x=1", "acme.com"), ("@acme.com", "acme.com"),
     ("jane@Acme.com", "acme.com"), ("acme.com:443", "acme.com"), ("acme.com.", "acme.com"), ("  ", None),
     (None, None)],
)  # fmt: skip
def test_bare_domain(value: str | None, domain: str | None) -> None:
    assert bare_domain(value) == domain


def test_profile_urls_from_handles() -> None:
    assert profile_url(LINKEDIN, "in/jane") == "https://www.linkedin.com/in/jane"
    assert profile_url("https://twitter.com/", "@jane") == "https://twitter.com/jane"
    assert profile_url(LINKEDIN, "https://www.linkedin.com/in/jane") == "https://www.linkedin.com/in/jane"
    assert profile_url(LINKEDIN, " ") is None


def test_only_real_values_become_fields() -> None:
    fields: dict[str, FieldValue] = {}
    for name, value in {"a": "", "b": "  ", "c": None, "d": [], "e": {}, "f": True, "g": 0, "h": " x "}.items():
        put(fields, name, value)  # type: ignore[arg-type]  # True is what a loose answer could hold
    put(fields, "i", "y", confidence=1.7)

    assert fields == {"g": FieldValue(value=0), "h": FieldValue(value="x"), "i": FieldValue(value="y", confidence=1.0)}
    assert location(" Berlin ", "", None) == {"city": "Berlin"}
    assert quoted("a\x00b\nc") == "a b c"


def test_the_key_is_scrubbed_before_the_detail_is_cut() -> None:
    key = "k3y-" + "x" * 40
    long = ProviderResult(outcome=Outcome.BAD_REQUEST, detail="d" * 280 + key + " and more")

    detail = scrubbed(long, key).detail

    assert detail == "d" * 280 + "[REDACTED]" + " and more"[:10]
    assert "k3y" not in detail


def _person(first: str, email: str | None, domain: str) -> Person:
    return Person(first_name=first, last_name="X", email=email, organization=Organization(primary_domain=domain))


def test_bulk_matches_left_out_map_back_by_identity_never_by_guess() -> None:
    ann, locked = _person("Ann", "ann@a.com", "a.com"), _person("Bo", "email_not_unlocked@b.com", "b.com")
    shared = _person("Cy", "email_not_unlocked@c.com", "c.com")
    details = [{"email": "zed@a.com"}, {"email": "bo@b.com"}, {"email": "ann@a.com"}, {"email": "c1@c.com"},
               {"email": "c2@c.com"}]  # fmt: skip

    assert align(details, [ann, locked, shared]) == [None, locked, ann, None, None]
    assert align(details[:2], [None, locked]) == [None, locked]  # every slot answered: by position


def test_bulk_organizations_map_by_domain_and_by_position_only_when_unclaimed() -> None:
    x_corp, y = Organization(primary_domain="xcorp.com"), Organization(primary_domain="www.y.com")

    assert align_organizations(["a.com"], [x_corp]) == [x_corp]  # answered under another primary domain
    assert align_organizations(["x.com", "y.com"], [y, x_corp]) == [None, y]  # y.com's own is never x.com's
    assert align_organizations(["y.com", "z.com", "y.com"], [y]) == [y, None, y]


def test_provider_settings_decode_and_never_print_keys() -> None:
    settings = load_settings(
        {"CASCADE_PROVIDER_TIMEOUT_SECONDS": "2.5", "CASCADE_PROVIDER_HUNTER_API_KEY": "hunter-secret-123"}
    )

    assert settings.providers.timeout_seconds == 2.5
    assert settings.providers.apollo_base_url == "https://api.apollo.io/api/v1"
    assert "hunter-secret-123" not in repr(settings)
    with pytest.raises(ConfigError, match="CASCADE_PROVIDER_TIMEOUT_SECONDS"):
        load_settings({"CASCADE_PROVIDER_TIMEOUT_SECONDS": "0"})
