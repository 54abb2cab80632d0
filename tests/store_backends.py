"""Store factories for the contract tests: memory, SQLite (temp file), PostgreSQL (own schema).

PostgreSQL stores of one test session share a uniquely named schema (each store with its own
table prefix); the schema is dropped when the session ends.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from scimcore.store import MemoryStore, PostgresStore, SqliteStore, Store

BACKENDS = ["memory", "sqlite", "postgres"]

_counter = itertools.count()
_pg_schema: dict[str, str] = {}


def pg_schema(request: pytest.FixtureRequest, dsn: str) -> str:
    """This session's PostgreSQL schema name; its drop is registered on first use."""
    if dsn not in _pg_schema:
        name = f"scimcore_store_{os.getpid()}_{secrets.token_hex(4)}"
        _pg_schema[dsn] = name

        def drop() -> None:
            import psycopg

            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            _pg_schema.pop(dsn, None)

        request.config.add_cleanup(drop)
    return _pg_schema[dsn]


@contextmanager
def make_store(kind: str, request: pytest.FixtureRequest, **options: Any) -> Iterator[Store]:
    """A fresh, empty store of the given kind."""
    if kind == "memory":
        yield MemoryStore(**options)
        return
    if kind == "sqlite":
        tmp = request.getfixturevalue("tmp_path_factory").mktemp("store")
        sqlite = SqliteStore(str(tmp / "scim.db"), **options)
        try:
            yield sqlite
        finally:
            sqlite.close()
        return
    if kind == "postgres":
        dsn = request.getfixturevalue("pg_dsn")
        postgres = PostgresStore(
            dsn,
            schema=pg_schema(request, dsn),
            prefix=f"t{next(_counter)}_",
            max_size=8,
            **options,
        )
        try:
            yield postgres
        finally:
            postgres.close()
        return
    raise AssertionError(f"unknown store kind {kind!r}")
