"""Each unit of work carries exactly the repositories the port names, and each repository honours its port."""

from __future__ import annotations

import importlib
import inspect
import typing

import pytest

from adapters.memory.unit_of_work import REPOSITORIES as MEMORY
from adapters.postgres.unit_of_work import REPOSITORIES as POSTGRES
from ports.unit_of_work import UnitOfWork

PORTS = typing.get_type_hints(UnitOfWork)


@pytest.mark.parametrize("repositories", [MEMORY, POSTGRES], ids=["memory", "postgres"])
def test_the_repository_table_covers_the_port_exactly(repositories: dict[str, object]) -> None:
    assert set(repositories) == set(PORTS)


@pytest.mark.parametrize("repositories", [MEMORY, POSTGRES], ids=["memory", "postgres"])
def test_each_repository_has_every_method_of_its_port(repositories: dict[str, type]) -> None:
    missing = {
        name: sorted(
            method
            for method, _ in inspect.getmembers(PORTS[name], inspect.isfunction)
            if not method.startswith("_") and not callable(getattr(repositories[name], method, None))
        )
        for name in PORTS
    }
    assert {name: methods for name, methods in missing.items() if methods} == {}


FACETS = [base for base in UnitOfWork.__mro__[1:] if base.__name__.endswith("Repositories")]


def test_the_port_is_the_facets_of_its_contexts_and_nothing_else() -> None:
    from_facets = [name for facet in FACETS for name in facet.__annotations__]
    assert sorted(from_facets) == sorted(PORTS), "every repository belongs to exactly one context's facet"


@pytest.mark.parametrize("adapter", ["memory", "postgres"])
@pytest.mark.parametrize("facet", FACETS, ids=lambda facet: facet.__module__)
def test_each_context_of_an_adapter_contributes_exactly_its_facet(adapter: str, facet: type) -> None:
    context = facet.__module__.removeprefix("ports.")
    module = importlib.import_module(f"adapters.{adapter}.{context}")
    assert set(module.REPOSITORIES) == set(facet.__annotations__)
