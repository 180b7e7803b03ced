"""`cascade keys rotate`: re-encrypt every credential, then every webhook secret, to the active key, with a
progress bar for each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dishka import AsyncContainer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from application.credential.rotate_credential_keys import (
    RotateCredentialKeys,
    RotateCredentialKeysCommand,
    RotationProgress,
)
from application.webhook.rotate_webhook_keys import RotateWebhookKeys, RotateWebhookKeysCommand
from entrypoints.wiring.container import build_container
from entrypoints.wiring.settings import Settings

Report = Callable[[RotationProgress], None]


def _bar(progress: Progress, what: str) -> Report:
    task: TaskID = progress.add_task(f"re-encrypting {what}", total=None)

    def show(state: RotationProgress) -> None:
        progress.update(
            task,
            total=state.total,
            completed=state.done,
            description=f"re-encrypting {what} to key {state.key_version}",
        )

    return show


async def _credentials(container: AsyncContainer, batch_size: int, show: Report) -> RotationProgress:
    async with container() as request:
        use_case = await request.get(RotateCredentialKeys)
        return await use_case(RotateCredentialKeysCommand(batch_size=batch_size, on_progress=show))


async def _webhooks(container: AsyncContainer, batch_size: int, show: Report) -> RotationProgress:
    async with container() as request:
        use_case = await request.get(RotateWebhookKeys)
        return await use_case(RotateWebhookKeysCommand(batch_size=batch_size, on_progress=show))


async def _rotate(settings: Settings, batch_size: int, progress: Progress) -> tuple[RotationProgress, RotationProgress]:
    container = build_container(settings)
    try:
        credentials = await _credentials(container, batch_size, _bar(progress, "credentials"))
        webhooks = await _webhooks(container, batch_size, _bar(progress, "webhook secrets"))
    finally:
        await container.close()
    return credentials, webhooks


def rotate_keys(settings: Settings, batch_size: int) -> int:
    """Run the rotation; exit code 1 if some credential or webhook secret could be opened by no configured key."""
    console = Console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        credentials, webhooks = asyncio.run(_rotate(settings, batch_size, progress))
    console.print(f"re-encrypted {credentials.rotated} credential(s) to key {credentials.key_version}", soft_wrap=True)
    console.print(
        f"re-encrypted the secrets of {webhooks.rotated} webhook(s) to key {webhooks.key_version}", soft_wrap=True
    )
    errors = Console(stderr=True)
    if credentials.unreadable:
        errors.print(
            f"{len(credentials.unreadable)} credential(s) could not be decrypted with the configured keys "
            f"and were left as they are: {', '.join(str(i) for i in credentials.unreadable)}",
            soft_wrap=True,
        )
    if webhooks.unreadable:
        errors.print(
            f"{len(webhooks.unreadable)} webhook(s) have a secret that could not be decrypted with the configured "
            f"keys and were left as they are: {', '.join(str(i) for i in webhooks.unreadable)}",
            soft_wrap=True,
        )
    return 1 if credentials.unreadable or webhooks.unreadable else 0
