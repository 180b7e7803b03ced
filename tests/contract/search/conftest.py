"""Fixtures of the search contract tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opensearchpy import AsyncOpenSearch


@pytest.fixture
async def opensearch(opensearch_url: str) -> AsyncIterator[AsyncOpenSearch]:
    """A client of the OpenSearch-API engine of the test services."""
    client = AsyncOpenSearch(hosts=[opensearch_url])
    yield client
    await client.close()
