"""Enrichment jobs over HTTP: a crowd of people to enrich, submitting a job, waiting for it to end, its results."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api import Account


def crowd(count: int, prefix: str = "p") -> list[dict[str, Any]]:
    return [{"kind": "person", "inputs": {"email": f"{prefix}{i}@crowd.example"}} for i in range(count)]


async def submit(client: Any, owner: Account, workspace: str, body: dict[str, Any], **headers: str) -> Any:
    return await client.post(
        f"/api/v1/workspaces/{workspace}/enrichment/jobs", json=body, headers={**owner.headers, **headers}
    )


async def wait_until_finished(
    client: Any, owner: Account, workspace: str, job_id: str, within: float = 30, every: float = 0.05
) -> dict[str, Any]:
    """Poll the job every `every` seconds until it is neither queued nor running, and answer it as it ended;
    fail if it is still going after `within` seconds."""
    url = f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job_id}"
    deadline = asyncio.get_running_loop().time() + within
    while True:
        job = (await client.get(url, headers=owner.headers)).json()["data"]
        if job["status"] not in ("queued", "running"):
            return dict(job)
        assert asyncio.get_running_loop().time() < deadline, f"the job did not finish: {job}"
        await asyncio.sleep(every)


async def results(client: Any, owner: Account, workspace: str, job_id: str) -> list[dict[str, Any]]:
    """Every row of the job's results, page after page."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        page = await client.get(
            f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job_id}/records", params=params, headers=owner.headers
        )
        assert page.status_code == 200, page.text
        rows += page.json()["data"]
        cursor = page.json()["meta"]["nextCursor"]
        if cursor is None:
            return rows
