"""JSON bodies are decoded strictly: `{"amount": "10"}` is a 422, not 10.

Litestar converts request data leniently (numbers from strings and the
like). This hook decodes the raw body once more, strictly, against the
handler's own `data` type before the handler runs; Litestar's own decoding
still reports malformed JSON and, after this passes, cannot disagree.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

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
