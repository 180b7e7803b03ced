"""The picture in docs/architecture.md is the code's: regenerate it with `python -m tests.snapshots.context_graph`."""

from __future__ import annotations

from entrypoints.wiring.settings import PROJECT_ROOT
from tests.snapshots.context_graph import mermaid


def test_the_architecture_document_draws_the_contexts_as_they_import_each_other() -> None:
    document = (PROJECT_ROOT / "docs" / "architecture.md").read_text()
    assert mermaid() in document, "docs/architecture.md: the context graph changed; paste the new one in"
