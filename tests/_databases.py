"""Fresh MariaDB and PostgreSQL databases for a test, dropped after it (skipped, with the
reason, where the server is not configured or not reachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def mariadb_database(prefix: str) -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty database on SCIMCORE_TEST_MYSQL_URL's server (utf8mb4,
    WordPress's collation), dropped at the end of the block."""
    server = os.environ.get("SCIMCORE_TEST_MYSQL_URL")
    if not server:
        pytest.skip("MariaDB not configured: set SCIMCORE_TEST_MYSQL_URL to run this test")
    sqlalchemy = pytest.importorskip("sqlalchemy", reason="the app extra (SQLAlchemy) is needed")
    pytest.importorskip("pymysql", reason="the mysql extra (PyMySQL) is needed")
    base = sqlalchemy.engine.make_url(server)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(base.set(database=""), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"
            )
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"MariaDB at {base.host}:{base.port} is not reachable: {exc.orig}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()


@contextmanager
def postgres_databases(prefix: str, driver: str) -> Iterator[Callable[[str | None], str]]:
    """A factory of new PostgreSQL databases on SCIMCORE_TEST_PG_DSN's server (empty, or a copy
    of the template database whose URL it is given), URLs with ``driver``; all dropped at the
    end of the block."""
    dsn = os.environ.get("SCIMCORE_TEST_PG_DSN")
    if not dsn:
        pytest.skip("PostgreSQL not configured: set SCIMCORE_TEST_PG_DSN to run this test")
    psycopg = pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is needed")
    from sqlalchemy.engine import make_url

    try:
        admin = psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {dsn} is not reachable: {exc}")
    made: list[str] = []

    def create(template: str | None = None) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
        made.append(name)
        url = make_url(dsn).set(drivername=driver, database=name)
        return url.render_as_string(hide_password=False)

    try:
        yield create
    finally:
        for name in reversed(made):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
