"""Store factories for the contract tests: memory, SQLite (temp file), PostgreSQL (own schema)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from scimcore.store import MemoryStore, Store

BACKENDS = ["memory"]


@contextmanager
def make_store(request: pytest.FixtureRequest, **options: Any) -> Iterator[Store]:
    """A fresh, empty store of the kind named by ``request.param``."""
    kind = request.param
    if kind == "memory":
        yield MemoryStore(**options)
        return
    raise AssertionError(f"unknown store kind {kind!r}")
