"""What a record is created from: which inputs are accepted, how they are normalized, what identifies it.

Error details name the input (`inputs.email`), never echo its value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from domain.enrichment.schema import INPUT_FIELDS
from domain.identity.users import normalize_email
from domain.kernel.errors import ErrorDetail, ValidationFailed
from domain.kernel.text import hidden_character, nfc

MAX_INPUT_LENGTH = 500
MAX_DOMAIN_LENGTH = 253
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAMES = frozenset({"firstName", "lastName", "fullName", "companyName"})  # may need joiners to be spelled
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//")
_AFTER_HOST = re.compile(r"[/?#]")
# A DNS label: letters or digits (IDN allowed), inner hyphens, at most 63 characters.
_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?")


def _invalid(name: str, message: str, detail: str) -> ValidationFailed:
    return ValidationFailed(message, details=(ErrorDetail(field=f"inputs.{name}", message=detail),))


def normalize_domain(raw: str, *, field: str = "inputs.domain") -> str:
    """`HTTPS://www.Acme.com:443/about?x` is `acme.com`: lower-case, no scheme, `www.`, port or path."""
    host = _SCHEME.sub("", raw.strip().lower())
    host = _AFTER_HOST.split(host, maxsplit=1)[0]
    host = host.split(":", 1)[0].rstrip(".")
    while host.startswith("www.") and host.count(".") >= 2:  # www.com stays itself
        host = host[len("www.") :]
    labels = host.split(".")
    if len(host) > MAX_DOMAIN_LENGTH or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValidationFailed(
            "not a domain name such as acme.com", details=(ErrorDetail(field=field, message="not a domain name"),)
        )
    return host


def clean_input(name: str, raw: str) -> str:
    """One input: a known name, 1-500 characters once trimmed, no control characters; email and domain normalized."""
    if name not in INPUT_FIELDS:
        raise _invalid(name, f"unknown input; expected some of: {', '.join(INPUT_FIELDS)}", "unknown input")
    if _CONTROL.search(raw):
        raise _invalid(name, f"{name} must not contain control characters", "control character")
    value = nfc(raw.strip())
    hidden = hidden_character(value, allow_joiners=name in _NAMES)
    if hidden is not None:
        raise _invalid(name, f"{name} must not contain invisible or bidirectional characters ({hidden})", "invisible")
    if not value or len(value) > MAX_INPUT_LENGTH:
        raise _invalid(name, f"{name} must be 1 to {MAX_INPUT_LENGTH} characters", "bad length")
    if name == "email":
        try:
            return normalize_email(value)
        except ValidationFailed:
            raise _invalid(name, "invalid email address", "not a valid email address") from None
    if name == "domain":
        return normalize_domain(value)
    return value


def check_identifying(inputs: Mapping[str, str]) -> None:
    """An email, a domain or a LinkedIn URL; or a full name (or first and last name) with a company name."""
    if any(inputs.get(name) for name in ("email", "domain", "linkedinUrl")):
        return
    named = inputs.get("fullName") or (inputs.get("firstName") and inputs.get("lastName"))
    if named and inputs.get("companyName"):
        return
    raise ValidationFailed(
        "a record needs an email, a domain, a LinkedIn URL, or a name (fullName, or firstName and lastName)"
        " with a companyName",
        details=(ErrorDetail(field="inputs", message="nothing identifies the record"),),
    )


def clean_inputs(raw: Mapping[str, str]) -> dict[str, str]:
    """Every input cleaned, and the whole identifying: the inputs of a new record."""
    inputs = {name: clean_input(name, value) for name, value in raw.items()}
    check_identifying(inputs)
    return inputs


def changed_inputs(current: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """`current` with each given input replaced, and those given as None removed; still identifying."""
    inputs = dict(current)
    for name, value in changes.items():
        if value is None:
            if name not in INPUT_FIELDS:
                raise _invalid(name, "unknown input", "unknown input")
            inputs.pop(name, None)
        else:
            inputs[name] = clean_input(name, value)
    check_identifying(inputs)
    return inputs
