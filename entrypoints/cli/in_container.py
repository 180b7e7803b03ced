"""Running an application use case from a command: in a request scope of the container, closed after it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from dishka import AsyncContainer

from entrypoints.wiring.container import build_container
from entrypoints.wiring.settings import Settings

T = TypeVar("T")


def in_container(settings: Settings, work: Callable[[AsyncContainer], Awaitable[T]]) -> T:
    """Run `work` in a request scope of the application's container, closed after it."""

    async def run() -> T:
        container = build_container(settings)
        try:
            async with container() as request:
                return await work(request)
        finally:
            await container.close()

    return asyncio.run(run())
