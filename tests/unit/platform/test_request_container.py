"""The request's container: app-scoped answers need none built; request scope is built once, closed once."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from dishka import Provider, Scope, make_async_container, provide

from entrypoints.http.request_container import RequestContainer


class Pool:
    pass


class UnitOfWork:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


class Wiring(Provider):
    def __init__(self) -> None:
        super().__init__()
        self.opened = 0
        self.closed: list[BaseException | None] = []

    @provide(scope=Scope.APP)
    def pool(self) -> Pool:
        return Pool()

    @provide(scope=Scope.REQUEST)
    async def unit_of_work(self, pool: Pool) -> AsyncGenerator[UnitOfWork, BaseException | None]:
        self.opened += 1
        error = yield UnitOfWork(pool)  # dishka sends a finalizer the error its scope ended with
        self.closed.append(error)


async def test_an_app_scoped_dependency_builds_no_request_container() -> None:
    wiring = Wiring()
    app = make_async_container(wiring)
    request = RequestContainer(app)
    assert await request.get(Pool) is await app.get(Pool)
    await request.close()
    assert (wiring.opened, wiring.closed) == (0, [])
    await app.close()


async def test_request_scope_is_built_once_and_closed_with_the_request() -> None:
    wiring = Wiring()
    app = make_async_container(wiring)
    request = RequestContainer(app)
    first, again = await request.get(UnitOfWork), await request.get(UnitOfWork)
    assert first is again
    assert first.pool is await request.get(Pool) is await app.get(Pool)
    await request.close()
    await request.close()  # a second close finds nothing left to close
    assert (wiring.opened, wiring.closed) == (1, [None])
    fresh = RequestContainer(app)
    assert await fresh.get(UnitOfWork) is not first  # each request its own
    await fresh.close()
    await app.close()


async def test_the_error_that_ended_the_request_reaches_its_finalizers() -> None:
    wiring = Wiring()
    app = make_async_container(wiring)
    request = RequestContainer(app)
    await request.get(UnitOfWork)
    failure = RuntimeError("the handler failed")
    await request.close(failure)
    assert wiring.closed == [failure]
    await app.close()
