"""Helpers shared by the test modules: test modules import from here (or from tests/api.py, tests/fakes/, the
contract builders), never from one another."""

import pkgutil

import pytest

# The helpers assert (assert_paged, assert_edge_headers, wait_until_finished, ...): pytest rewrites their asserts
# as it does a test module's, so a failure shows the values compared. Registered before any of them is imported.
pytest.register_assert_rewrite(*(f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__)))
