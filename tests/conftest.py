"""Shared test fixtures: the PostgreSQL DSN (skipped with a visible reason when absent)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The PostgreSQL DSN from SCIMCORE_TEST_PG_DSN; tests needing it skip, visibly, without it."""
    dsn = os.environ.get("SCIMCORE_TEST_PG_DSN")
    if not dsn:
        pytest.skip("PostgreSQL not configured: set SCIMCORE_TEST_PG_DSN to run this test")
    return dsn
