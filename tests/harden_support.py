"""Helpers for the hardening tests: a service over each store kind, and a store's raw rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from scimcore.service import BearerTokens, ScimService, ServiceConfig
from scimcore.store import MemoryStore, PostgresStore, SqliteStore, Store
from tests._service_support import BASE, TOKEN, Clock, ids
from tests.store_backends import make_store


@contextmanager
def service_on(kind: str, request: pytest.FixtureRequest, **config: Any) -> Iterator[ScimService]:
    """A ScimService (bearer TOKEN, base BASE) over a fresh store of ``kind``."""
    with make_store(kind, request) as store:
        options: dict[str, Any] = {
            "base_url": BASE,
            "authenticator": BearerTokens.from_tokens({"t": TOKEN}),
        }
        options.update(config)
        yield ScimService(store, ServiceConfig(**options), clock=Clock(), id_factory=ids())


def raw_rows(store: Store) -> list[str]:
    """Every row of every table of ``store`` as text (what someone holding the file sees)."""
    if isinstance(store, MemoryStore):
        return [repr(store._data), repr(store._index)]
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path)
        try:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            out = []
            for t in tables:
                out += [repr(row) for row in conn.execute(f'SELECT * FROM "{t}"')]
            return out
        finally:
            conn.close()
    if isinstance(store, PostgresStore):
        schema, prefix = store._schema, store._bare_prefix
        with store._pool.connection() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = %s AND table_name LIKE %s",
                    [schema, prefix + "%"],
                ).fetchall()
            ]
            out = []
            for t in tables:
                rows = conn.execute(f'SELECT t::text FROM "{schema}"."{t}" t').fetchall()
                out += [r[0] for r in rows]
            return out
    raise AssertionError(f"no raw reader for {type(store).__name__}")
