"""JSON bodies are decoded strictly: `{"amount": "10"}` is a 422, not 10.

Litestar converts request data leniently (numbers from strings and the
like). This hook decodes the raw body once more, strictly, against the
handler's own `data` type before the handler runs; Litestar's own decoding
still reports malformed JSON and, after this passes, cannot disagree.

Bodies that refuse unknown fields (`forbid_unknown_fields`) say so in the
OpenAPI document too, as `additionalProperties: false`: Litestar leaves it out.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.exceptions import ValidationException
from litestar.openapi.spec import Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

_PATH = re.compile(r"\s*-\s*at\s*`\$\.?([^`]*)`")


async def reject_loose_json(request: Request[Any, Any, Any]) -> None:
    parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    if parameter is None:
        return
    try:
        document = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
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
