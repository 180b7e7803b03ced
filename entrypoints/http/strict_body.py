"""JSON bodies are JSON, shallow, and decoded strictly: `{"amount": "10"}` is a 422, not 10.

Before a handler that takes a JSON `data` body runs, this hook checks that the
body says it is JSON (`application/json` or a `+json` type, UTF-8; anything
else is 415), that it nests at most `MAX_JSON_DEPTH` arrays and objects (400:
the decoder recurses, and a few KB of brackets would exhaust its stack), and
decodes it once more, strictly, against the handler's own `data` type
(Litestar converts leniently: numbers from strings and the like). Litestar's
own decoding still reports malformed JSON and, after this passes, cannot
disagree.

Bodies that refuse unknown fields (`forbid_unknown_fields`) say so in the
OpenAPI document too, as `additionalProperties: false`: Litestar leaves it out.
"""

from __future__ import annotations

import re
from array import array
from itertools import accumulate
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.spec import Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

_PATH = re.compile(r"\s*-\s*at\s*`\$\.?([^`]*)`")
MAX_JSON_DEPTH = 32  # arrays and objects inside each other; our bodies need 3
_STRINGS = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[]{}", bytes([1, 255, 1, 255]))  # as signed bytes: +1 opens, -1 closes
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects, outside strings, are ever open more than `limit` deep.

    Strings are cut out and the brackets left are summed as +1/-1 at C speed: a 1 MB body of
    brackets takes tens of milliseconds, an ordinary body a few microseconds.
    """
    brackets = _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    return max(accumulate(array("b", brackets.translate(_STEPS)))) > limit


def takes_json(content_type: str) -> bool:
    """`application/json` or a structured `+json` type, in UTF-8 (the only encoding of JSON, RFC 8259)."""
    media_type = content_type.partition(";")[0].strip().lower()
    structured = media_type.startswith("application/") and media_type.endswith("+json")
    if media_type != "application/json" and not structured:
        return False
    charset = _CHARSET.search(content_type)
    return charset is None or charset[1].lower() in {"utf-8", "utf8"}


def json_body_parameter(handler: Any) -> FieldDefinition | None:
    """The handler's `data` parameter when its body is JSON (the default); None otherwise."""
    parameter: FieldDefinition | None = handler.parsed_fn_signature.parameters.get("data")
    if parameter is None:
        return None
    media_type = getattr(parameter.kwarg_definition, "media_type", RequestEncodingType.JSON)
    return parameter if media_type == RequestEncodingType.JSON else None


async def reject_loose_json(request: Request[Any, Any, Any]) -> None:
    parameter = json_body_parameter(request.route_handler)
    if parameter is None:
        return
    body = await request.body()
    content_type = request.headers.get("content-type")
    if content_type is None and not body:
        return  # no body at all: Litestar says it is missing
    if content_type is None or not takes_json(content_type):
        raise HTTPException(status_code=415, detail="the body must be JSON: send Content-Type: application/json")
    if nests_deeper_than(body, MAX_JSON_DEPTH):
        raise ValidationException(detail=f"the JSON body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels")
    try:
        document = msgspec.json.decode(body)
    except RecursionError:  # unbalanced brackets, too many to count: not JSON either
        raise ValidationException(detail="the body is not valid JSON") from None
    except (msgspec.DecodeError, UnicodeDecodeError):
        return  # malformed JSON: Litestar answers 400 with its own message
    try:
        msgspec.convert(document, type=parameter.annotation, strict=True)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = _PATH.search(message)
        raise ValidationException(
            detail="request validation failed",
            extra=[{"message": _PATH.sub("", message), "key": field[1] if field else "data"}],
        ) from None


class _ClosedStructSchema(OpenAPISchemaPlugin):
    """The schema of a struct that refuses unknown fields, as Litestar makes it, closed."""

    def __init__(self, struct_schema: OpenAPISchemaPlugin) -> None:
        self._struct_schema = struct_schema

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        config = getattr(field_definition.type_, "__struct_config__", None)
        return bool(config and config.forbid_unknown_fields) and self._struct_schema.is_plugin_supported_field(
            field_definition
        )

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = self._struct_schema.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema


class _Probe(msgspec.Struct, forbid_unknown_fields=True):
    pass


def document_strict_bodies(app: Litestar) -> None:
    """Document `additionalProperties: false` for the structs that refuse unknown fields."""
    probe = FieldDefinition.from_annotation(_Probe)
    plugins = app.plugins.openapi
    struct_schema = next(
        p for p in plugins if isinstance(p, OpenAPISchemaPlugin) and p.is_plugin_supported_field(probe)
    )
    app.plugins.openapi = (_ClosedStructSchema(struct_schema), *plugins)
