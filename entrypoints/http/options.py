"""OPTIONS answers, in `Allow`, every method its path serves.

Litestar 2 builds a route's OPTIONS handler with the first handler registered on the path and
keeps it when the route is rebuilt with the others, so `Allow` named only that first method
(litestar-org/litestar#4169, fixed in Litestar 3 only). The handler reads the methods of the
route it closes over: it is pointed at the route that serves the path.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute


def allow_every_method(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        handler, _ = route.route_handler_map["OPTIONS"]
        for cell in getattr(handler.fn, "__closure__", None) or ():
            if isinstance(cell.cell_contents, HTTPRoute):
                cell.cell_contents = route
