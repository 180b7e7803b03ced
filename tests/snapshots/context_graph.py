"""The picture of docs/architecture.md: which domain contexts import which, drawn from the code (grimp, the graph
import-linter checks). `python -m tests.snapshots.context_graph` prints it; a test keeps the document's copy current.
"""

from __future__ import annotations

import grimp

KERNEL = "kernel"


def contexts_and_edges() -> tuple[list[str], set[tuple[str, str]]]:
    """Every context, and each direct import of one context by another (the kernel's left out: all import it)."""
    graph = grimp.build_graph("domain")
    contexts = sorted(name.split(".")[1] for name in graph.find_children("domain"))
    edges = {
        (source, target)
        for source in contexts
        for target in contexts
        if source != target
        and target != KERNEL
        and graph.direct_import_exists(importer=f"domain.{source}", imported=f"domain.{target}", as_packages=True)
    }
    return contexts, edges


def mermaid() -> str:
    contexts, edges = contexts_and_edges()
    lines = ["```mermaid", "flowchart TD"]
    lines += [f"    {source} --> {target}" for source, target in sorted(edges)]
    linked = {name for edge in edges for name in edge}
    lines += [f"    {name}" for name in contexts if name not in linked and name != KERNEL]
    lines.append(f"    every_context[every context] --> {KERNEL}")
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
