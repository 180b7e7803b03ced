"""A request's dishka container, built on first use.

Litestar's dishka integration builds a request container (and a `Request` to put in it) for every
request; most answers at the edge (health, a 401, a 404, a limit refusal) resolve nothing of request scope.
This one answers what the app's container provides from there, builds the request's container when
something first asks for a dependency of request scope, and is closed by the edge after the answer,
with whatever error ended the request, as the integration's would be.
"""

from __future__ import annotations

from typing import Any

from dishka import DEFAULT_COMPONENT, AsyncContainer, DependencyKey, Scope
from litestar.connection import ASGIConnection

CONTAINER_KEY = "dishka_container"  # in the scope's state, where `request.state.dishka_container` finds it too


def request_state(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    """The request's state as the plain dict it is: `request.state` wraps (and copies) it anew on every access."""
    state: dict[str, Any] = connection.scope["state"]
    return state


def request_container(connection: ASGIConnection[Any, Any, Any, Any]) -> RequestContainer:
    container: RequestContainer = request_state(connection)[CONTAINER_KEY]
    return container


class RequestContainer:
    __slots__ = ("_app", "_request")

    def __init__(self, app: AsyncContainer) -> None:
        self._app = app
        self._request: AsyncContainer | None = None

    async def get(self, dependency_type: Any, component: Any = DEFAULT_COMPONENT) -> Any:
        if self._request is None:
            if self._app.registry.get_compiled_async(_key(dependency_type, component)) is not None:
                return await self._app.get(dependency_type, component=component)  # app scope: nothing to build
            # No await between the check and the assignment: two gets in one request build one container.
            self._request = self._app(scope=Scope.REQUEST)
        return await self._request.get(dependency_type, component=component)

    async def close(self, exception: BaseException | None = None) -> None:
        """Runs the request's finalizers (units of work, connections); nothing when nothing was built."""
        if self._request is not None:
            request, self._request = self._request, None
            await request.close(exception)


def _key(dependency_type: Any, component: Any) -> Any:
    """The key dishka's registries compile factories by, as `AsyncContainer.get` makes it."""
    return dependency_type if component == DEFAULT_COMPONENT else DependencyKey(dependency_type, component)
