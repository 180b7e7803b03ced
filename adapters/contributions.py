"""The repositories a unit of work carries, as its adapter's contexts contribute them.

Each module of an adapter package (`adapters/memory/`, `adapters/postgres/`) that carries repositories for a unit
of work names them in its `REPOSITORIES`, by the attribute the port's facet gives them. A new context adds its
module and is carried; a contract test checks that what is carried is exactly what the port names.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Any


def contributed(package: ModuleType, *, skip: str) -> dict[str, Callable[[Any], object]]:
    """Every `REPOSITORIES` of the package's modules but `skip` (the unit of work's own), merged; a name
    contributed twice is an error."""
    table: dict[str, Callable[[Any], object]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda info: info.name):
        name = f"{package.__name__}.{info.name}"
        if name == skip:
            continue
        for attribute, repository in getattr(importlib.import_module(name), "REPOSITORIES", {}).items():
            if attribute in table:
                raise RuntimeError(f"{name} contributes {attribute!r}, which another module already does")
            table[attribute] = repository
    return table
