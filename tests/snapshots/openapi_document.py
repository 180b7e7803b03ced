"""The API's OpenAPI document as served, to compare with the committed copy beside this file.

Regenerate it after a deliberate change to the API: `python -m tests.snapshots.openapi_document`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.conftest import test_settings

SNAPSHOT = Path(__file__).with_name("openapi.json")


async def served_document() -> bytes:
    async with AsyncTestClient(app=create_app(test_settings())) as client:
        response = await client.get("/schema/openapi.json")
        response.raise_for_status()
        return response.content


if __name__ == "__main__":
    SNAPSHOT.write_bytes(asyncio.run(served_document()))
    print(f"wrote {SNAPSHOT}")
