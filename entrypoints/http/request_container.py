"""A request's dishka container, built on first use.

Litestar's dishka integration builds a request container (and a `Request` to put in it) for every
request; most answers at the edge (health, a 401, a 404, a cached limit refusal) resolve nothing of
request scope. This one is entered when something first asks it for a dependency, and closed by the
edge after the answer, with whatever error ended the request, as the integration's would be.
"""

from __future__ import annotations

from typing import Any

from dishka import DEFAULT_COMPONENT, AsyncContainer, Scope


class RequestContainer:
    __slots__ = ("_app", "_request")

    def __init__(self, app: AsyncContainer) -> None:
        self._app = app
        self._request: AsyncContainer | None = None

    async def get(self, dependency_type: Any, component: Any = DEFAULT_COMPONENT) -> Any:
        if self._request is None:
            # No await between the check and the assignment: two gets in one request build one container.
            self._request = self._app(scope=Scope.REQUEST)
        return await self._request.get(dependency_type, component=component)

    async def close(self, exception: BaseException | None = None) -> None:
        """Runs the request's finalizers (units of work, connections); nothing when nothing was built."""
        if self._request is not None:
            request, self._request = self._request, None
            await request.close(exception)
