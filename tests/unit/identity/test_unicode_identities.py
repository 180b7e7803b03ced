"""One spelling per email and name: NFC, the IDNA form of the domain, nothing invisible or reordering."""

from __future__ import annotations

import unicodedata

import pytest

from domain.identity.users import clean_name, normalize_email
from domain.kernel.errors import ValidationFailed
from domain.kernel.text import hidden_character
from domain.records.inputs import clean_input

NFC = unicodedata.normalize("NFC", "élise@café.example")
NFD = unicodedata.normalize("NFD", "élise@café.example")


def test_the_nfc_and_nfd_spellings_of_an_address_are_one_address() -> None:
    assert NFC != NFD
    assert normalize_email(NFC) == normalize_email(NFD) == "élise@xn--caf-dma.example"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Ann@Example.COM", "ann@example.com"),
        ("  ann@example.com ", "ann@example.com"),
        ("ann@Bücher.example", "ann@xn--bcher-kva.example"),
        ("ann@xn--bcher-kva.example", "ann@xn--bcher-kva.example"),
        ("用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v"),
        ("o'brien+tag@sub.example.co.uk", "o'brien+tag@sub.example.co.uk"),
    ],
)
def test_emails_are_normalized(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized


HIDDEN = {
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "right-to-left override": "\u202e",
    "left-to-right mark": "\u200e",
    "first strong isolate": "\u2068",
    "byte-order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "hangul filler": "\u3164",
    "line separator": "\u2028",
    "private use": "\ue000",
}


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
@pytest.mark.parametrize("where", ["local", "domain"])
def test_emails_with_invisible_or_bidi_characters_are_refused(char: str, where: str) -> None:
    email = f"ann{char}@example.com" if where == "local" else f"ann@exa{char}mple.com"
    with pytest.raises(ValidationFailed):
        normalize_email(email)


@pytest.mark.parametrize("email", ["ann@localhost", "ann@-acme.com", "ann@acme-.com", "ann@1.2.3.4", "ann@a..com"])
def test_domains_that_are_no_host_names_are_refused(email: str) -> None:
    with pytest.raises(ValidationFailed):
        normalize_email(email)


@pytest.mark.parametrize("char", [c for c in HIDDEN.values() if c not in "\u200d\u2028"])  # U+2028 is a space
def test_names_with_invisible_or_bidi_characters_are_refused(char: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clean_name(f"Ann{char}Smith")
    assert "invisible" in refused.value.message


def test_names_are_nfc_and_may_use_joiners() -> None:
    assert clean_name(unicodedata.normalize("NFD", "José")) == unicodedata.normalize("NFC", "José")
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want": the zero-width non-joiner is a letter
    assert clean_name(persian) == persian
    assert clean_name("Ann  \t Smith") == "Ann Smith"


@pytest.mark.parametrize("name", ["email", "fullName", "companyName", "domain", "linkedinUrl"])
def test_record_inputs_refuse_hidden_characters(name: str) -> None:
    value = {
        "email": "a\u202e@example.com",
        "domain": "acme\u200b.com",
        "linkedinUrl": "https://linkedin.com/in/a\ufeff",
    }
    with pytest.raises(ValidationFailed):
        clean_input(name, value.get(name, "Ann\u202eSmith"))


def test_record_inputs_are_nfc() -> None:
    assert clean_input("fullName", unicodedata.normalize("NFD", "Zoë Ölund")) == "Zoë Ölund"
    assert clean_input("email", NFD) == "élise@xn--caf-dma.example"


def test_hidden_character_names_the_first_one() -> None:
    assert hidden_character("plain ascii") is None
    assert hidden_character("a\u202eb\u200b") == "U+202E"
    assert hidden_character("a\u200cb", allow_joiners=True) is None
    assert hidden_character("a\u200cb") == "U+200C"
