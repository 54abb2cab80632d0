"""Store factories for the contract tests: memory, SQLite (temp file), PostgreSQL (own schema)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from scimcore.store import MemoryStore, SqliteStore, Store

BACKENDS = ["memory", "sqlite"]

_counter = itertools.count()


@contextmanager
def make_store(kind: str, request: pytest.FixtureRequest, **options: Any) -> Iterator[Store]:
    """A fresh, empty store of the given kind."""
    if kind == "memory":
        yield MemoryStore(**options)
        return
    if kind == "sqlite":
        tmp = request.getfixturevalue("tmp_path")
        store = SqliteStore(str(tmp / f"scim-{next(_counter)}.db"), **options)
        try:
            yield store
        finally:
            store.close()
        return
    raise AssertionError(f"unknown store kind {kind!r}")
