"""`@inject` for route handlers: dishka's, finding the request's container in the scope's state dict.

dishka's Litestar `inject` reads `request.state.dishka_container`, and `request.state` builds a
`State` object (copying the mapping) on every access; the edge puts the container in that mapping
(`CONTAINER_KEY`), so this reads it straight from there.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import Parameter
from typing import Any, ParamSpec, TypeVar, get_type_hints

from dishka.integrations.base import wrap_injection
from litestar import Request

from entrypoints.http.request_container import request_container

P = ParamSpec("P")
T = TypeVar("T")


def inject(func: Callable[P, T]) -> Callable[P, T]:
    takes_request = "request" in get_type_hints(func)
    return wrap_injection(
        func=func,
        is_async=True,
        additional_params=[] if takes_request else [Parameter("request", Parameter.KEYWORD_ONLY, annotation=Request)],
        container_getter=_container_of,
    )


def _container_of(_: Any, kwargs: dict[str, Any]) -> Any:
    return request_container(kwargs["request"])
