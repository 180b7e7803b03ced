"""Fixtures shared by the webhook and metrics tests: the fake providers, a local webhook receiver, and an API
(memory or PostgreSQL) whose webhook retries are compressed to fractions of a second."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.conftest import test_settings
from tests.fakes.harness import KEYS, FakeProviders, running_fakes
from tests.fakes.receiver import Receiver, running_receiver
from tests.support.enrichment import on_backend, provider_settings

COMPRESSED = {
    "network_allowlist": "127.0.0.1/32",
    "webhook_first_retry_seconds": 0.1,
    "webhook_max_retry_seconds": 0.4,
    "webhook_retry_window_seconds": 1.5,
    "webhook_timeout_seconds": 1.0,
    "webhook_lease_seconds": 3.0,
    "webhook_poll_seconds": 0.05,
    "webhook_disable_after": 2,
    "starter_credits": 1000,
}


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with running_fakes(slow_seconds=3) as running:
        yield running


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture(params=["memory", "postgres"])
def hook_settings(request: pytest.FixtureRequest, fakes: FakeProviders) -> dict[str, Any]:
    keys = {"apollo": KEYS["apollo"], "hunter": KEYS["hunter"], "clearbit": KEYS["clearbit"]}
    return on_backend(request, provider_settings(fakes, **keys) | COMPRESSED)


@pytest.fixture
async def hooks_api(hook_settings: dict[str, Any], receiver: Receiver) -> AsyncIterator[AsyncTestClient[Any]]:
    receiver.received.clear()
    receiver.answer(200)
    async with AsyncTestClient(app=create_app(test_settings(**hook_settings))) as client:
        yield client
