"""`cascade keys rotate`: re-encrypt every credential to the active key, with a progress bar."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from application.credential.rotate_credential_keys import (
    RotateCredentialKeys,
    RotateCredentialKeysCommand,
    RotationProgress,
)
from entrypoints.config import Settings
from entrypoints.ioc import build_container


async def _rotate(settings: Settings, batch_size: int, progress: Progress) -> RotationProgress:
    task = progress.add_task("re-encrypting credentials", total=None)

    def show(state: RotationProgress) -> None:
        progress.update(
            task,
            total=state.total,
            completed=state.done,
            description=f"re-encrypting credentials to key {state.key_version}",
        )

    container = build_container(settings)
    try:
        async with container() as request:
            use_case = await request.get(RotateCredentialKeys)
            return await use_case(RotateCredentialKeysCommand(batch_size=batch_size, on_progress=show))
    finally:
        await container.close()


def rotate_keys(settings: Settings, batch_size: int) -> int:
    """Run the rotation; exit code 1 if some credential could be opened by no configured key."""
    console = Console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        result = asyncio.run(_rotate(settings, batch_size, progress))
    console.print(f"re-encrypted {result.rotated} credential(s) to key {result.key_version}", soft_wrap=True)
    if result.unreadable:
        Console(stderr=True).print(
            f"{len(result.unreadable)} credential(s) could not be decrypted with the configured keys "
            f"and were left as they are: {', '.join(str(i) for i in result.unreadable)}",
            soft_wrap=True,
        )
        return 1
    return 0
