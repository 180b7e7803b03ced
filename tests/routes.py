"""The app's own routes, for tests that cover every route of a kind: a route added later is covered at once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from litestar.handlers import HTTPRouteHandler

_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _fixed_uuid(parameter: re.Match[str]) -> str:
    """A UUID for a path parameter, the same in every process: pytest-xdist workers collect the same test ids."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, parameter.string + parameter[1]))


def routes_where(keep: Callable[[HTTPRouteHandler], bool]) -> list[tuple[str, str]]:
    """(method, path with its parameters filled) for every handler `keep` takes, sorted; HEAD and OPTIONS left out."""
    from entrypoints.http.app import create_app
    from tests.conftest import test_settings

    routes = []
    for route in create_app(test_settings()).routes:
        for handler in getattr(route, "route_handlers", ()):
            if isinstance(handler, HTTPRouteHandler) and keep(handler):
                path = _PARAM.sub(lambda m: _fixed_uuid(m) if m[2] == "uuid" else "x" * 12, route.path)
                routes.extend((method, path) for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}))
    return sorted(routes)
