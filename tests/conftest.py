"""Shared test fixtures: the PostgreSQL DSN (skipped with a visible reason when absent)."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The PostgreSQL DSN from SCIMCORE_TEST_PG_DSN; tests needing it skip, visibly, without it."""
    dsn = os.environ.get("SCIMCORE_TEST_PG_DSN")
    if not dsn:
        pytest.skip("PostgreSQL not configured: set SCIMCORE_TEST_PG_DSN to run this test")
    return dsn


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Load the conformance plugin unless the ``pytest11`` entry point already did.

    Installed (CI), the entry point registers it as ``scim_conformance``; run from a checkout
    (the project not installed), this registers it; ``-p conformance.pytest_plugin`` also counts.
    """
    if not (
        pluginmanager.has_plugin("scim_conformance")
        or pluginmanager.has_plugin("conformance.pytest_plugin")
    ):
        import conformance.pytest_plugin as plugin

        pluginmanager.register(plugin, "scim_conformance")
