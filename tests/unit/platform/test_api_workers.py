"""How many API processes `cascade serve` runs: as asked, one per core by default, one where one must run all."""

from __future__ import annotations

import os

from entrypoints.cli.servers import api_workers
from tests.conftest import test_settings


def test_as_asked_or_one_per_core_when_temporal_runs_the_jobs() -> None:
    assert api_workers(test_settings(profile="local", temporal_address="127.0.0.1:7233", api_workers=3)) == (3, None)
    assert api_workers(test_settings(profile="local", temporal_address="127.0.0.1:7233"))[0] == (os.cpu_count() or 1)


def test_one_process_where_one_must_hold_everything() -> None:
    workers, why = api_workers(test_settings(profile="local", api_workers=4))
    assert (workers, why) == (
        1,
        "4 asked for, but without Temporal jobs and webhook deliveries run inside the API process",
    )
    workers, why = api_workers(test_settings(profile="memory", temporal_address="127.0.0.1:7233", api_workers=4))
    assert (workers, why) == (1, "4 asked for, but the memory profile keeps its data inside one process")
