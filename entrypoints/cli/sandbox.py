"""`cascade dev --sandbox`: the fake Apollo, Hunter and Clearbit of `tests/fakes/` as providers.

For demos and trying the waterfall without provider accounts: the fakes run
on loopback ports, the provider base URLs point at them and their keys are
the platform keys. Needs a source checkout (the fakes live with the tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from entrypoints.wiring.settings import ConfigError


@contextmanager
def fake_providers() -> Iterator[dict[str, object]]:
    """Run the fakes; yield the settings that point Cascade at them."""
    try:  # a source checkout installed for development (`make sandbox`) has its root, and so tests/, importable
        from tests.fakes.harness import KEYS, running_fakes
    except ImportError as exc:
        raise ConfigError("--sandbox needs a source checkout (`make sandbox`): tests/fakes/ is not importable") from exc

    with running_fakes() as fakes:
        yield {
            "provider_apollo_base_url": fakes.apollo,
            "provider_hunter_base_url": fakes.hunter,
            "provider_clearbit_person_base_url": fakes.clearbit,
            "provider_clearbit_company_base_url": fakes.clearbit,
            "provider_apollo_api_key": KEYS["apollo"],
            "provider_hunter_api_key": KEYS["hunter"],
            "provider_clearbit_api_key": KEYS["clearbit"],
        }
