"""The OpenAPI document changes only on purpose: a refactoring leaves it byte for byte as it was."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from tests.snapshots.openapi_document import SNAPSHOT, served_document


def test_the_served_document_is_the_committed_one(tmp_path: Path) -> None:
    served = served_document(tmp_path)
    committed = SNAPSHOT.read_bytes()
    if served != committed:
        diff = difflib.unified_diff(
            json.dumps(json.loads(committed), indent=1, sort_keys=True).splitlines(),
            json.dumps(json.loads(served), indent=1, sort_keys=True).splitlines(),
            "committed",
            "served",
            lineterm="",
            n=2,
        )
        raise AssertionError(
            "the OpenAPI document changed; if on purpose, run `python -m tests.snapshots.openapi_document --write`\n"
            + "\n".join(list(diff)[:80])
        )
