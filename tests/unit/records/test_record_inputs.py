"""The rules on record inputs (domain/records/inputs.py) and the record's domain, with Hypothesis for the sanitizers."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enrichment.schema import INPUT_FIELDS, EntityKind
from domain.kernel.errors import ValidationFailed
from domain.records.inputs import MAX_INPUT_LENGTH, changed_inputs, check_identifying, clean_input, normalize_domain
from entrypoints.http.controllers.record_schemas import InputChanges, Inputs
from tests.support.builders.accounts import new_user, new_workspace
from tests.support.builders.records import new_record


@pytest.mark.parametrize(
    "raw",
    [
        "acme.com",
        "ACME.COM",
        " acme.com. ",
        "www.acme.com",
        "https://www.acme.com",
        "HTTP://Acme.com:8080/about/team?ref=x#top",
        "//acme.com/",
        "acme.com?x=1",
    ],
)
def test_domains_normalize_to_one_form(raw: str) -> None:
    assert normalize_domain(raw) == "acme.com"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("sub.acme.co.uk", "sub.acme.co.uk"),
        ("www.com", "www.com"),
        ("www.www.www.com", "www.com"),
        ("Bücher.DE", "bücher.de"),
        ("a-b.io", "a-b.io"),
    ],
)
def test_other_domains_keep_their_labels(raw: str, normalized: str) -> None:
    assert normalize_domain(raw) == normalized


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "acme",
        "http://",
        "a..com",
        "-acme.com",
        "acme-.com",
        "ac_me.com",
        "ann@acme.com",
        "a b.com",
        "x" * 64 + ".com",
    ],
)
def test_bad_domains_are_validation_errors_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_domain(raw, field="domain")
    assert [d.field for d in caught.value.details] == ["domain"]


@pytest.mark.parametrize(
    "inputs",
    [
        {"email": "a@acme.com"},
        {"domain": "acme.com"},
        {"linkedinUrl": "https://linkedin.com/in/ann"},
        {"fullName": "Ann Lee", "companyName": "Acme"},
        {"firstName": "Ann", "lastName": "Lee", "companyName": "Acme"},
        {"firstName": "Ann", "lastName": "Lee", "domain": "acme.com"},
    ],
)
def test_identifying_inputs(inputs: dict[str, str]) -> None:
    check_identifying(inputs)


@pytest.mark.parametrize(
    "inputs",
    [{}, {"fullName": "Ann Lee"}, {"companyName": "Acme"}, {"firstName": "Ann", "companyName": "Acme"}],
)
def test_inputs_that_identify_nothing(inputs: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed):
        check_identifying(inputs)


def test_changes_replace_remove_and_keep() -> None:
    current = {"email": "ann@acme.com", "firstName": "Anne", "companyName": "Acme"}
    changed = changed_inputs(current, {"firstName": " Ann ", "companyName": None, "domain": "WWW.ACME.COM"})
    assert changed == {"email": "ann@acme.com", "firstName": "Ann", "domain": "acme.com"}
    assert current["firstName"] == "Anne"  # the original is left alone
    with pytest.raises(ValidationFailed):
        changed_inputs(current, {"title": None})


def test_the_http_bodies_name_exactly_the_input_fields() -> None:
    for struct in (Inputs, InputChanges):
        assert tuple(f.encode_name for f in msgspec.structs.fields(struct)) == INPUT_FIELDS


def test_the_record_domain_is_the_domain_input_else_an_enriched_one_in_lower_case() -> None:
    workspace = new_workspace(new_user())
    assert new_record(workspace, inputs={"domain": "acme.com"}, fields={"companyDomain": "x.io"}).domain == "acme.com"
    assert new_record(workspace, fields={"companyDomain": " Acme.COM "}).domain == "acme.com"
    company = new_record(workspace, kind=EntityKind.COMPANY, inputs={"companyName": "A"}, fields={"domain": "A.io"})
    assert company.domain == "a.io"
    assert new_record(workspace, fields={"companyDomain": 7, "domain": "b.io"}).domain == "b.io"
    assert new_record(workspace, fields={"companyDomain": "  "}).domain is None


@given(name=st.sampled_from(INPUT_FIELDS), raw=st.text(max_size=MAX_INPUT_LENGTH + 20))
def test_an_accepted_input_is_trimmed_bounded_and_free_of_control_characters(name: str, raw: str) -> None:
    try:
        value = clean_input(name, raw)
    except ValidationFailed as exc:
        rejected_fields = [d.field for d in exc.details]
    else:
        assert value == value.strip()
        assert 1 <= len(value) <= MAX_INPUT_LENGTH
        assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
        assert clean_input(name, value) == value  # cleaning is idempotent
        return
    assert rejected_fields == [f"inputs.{name}"]


@given(
    st.from_regex(
        r"(https?://)?(www\.)?[a-zA-Z0-9]{1,20}(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?){1,3}(:[0-9]{1,5})?(/[a-z?=&#]*)?",
        fullmatch=True,
    )
)
def test_domain_normalization_is_idempotent_and_lower_case(raw: str) -> None:
    domain = normalize_domain(raw)
    assert domain == domain.lower()
    assert normalize_domain(domain) == domain
    assert "/" not in domain
    assert ":" not in domain
