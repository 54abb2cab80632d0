"""Shared test fixtures: PostgreSQL and MariaDB (skipped with a visible reason when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests._databases import mariadb_database

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The PostgreSQL DSN from SCIMCORE_TEST_PG_DSN; tests needing it skip, visibly, without it."""
    dsn = os.environ.get("SCIMCORE_TEST_PG_DSN")
    if not dsn:
        pytest.skip("PostgreSQL not configured: set SCIMCORE_TEST_PG_DSN to run this test")
    return dsn


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A SQLAlchemy URL of a new, empty MariaDB database, dropped after the test.

    The server comes from SCIMCORE_TEST_MYSQL_URL (``.ci/run`` sets it); without it, or without
    SQLAlchemy and PyMySQL, the test skips with the reason.
    """
    with mariadb_database("scimcore_t") as url:
        yield url


@pytest.fixture(scope="module")
def wordpress_site() -> Iterator[Any]:
    """A stock WordPress (Debian's package) installed on a new MariaDB database for the module.

    Returns a ``tests.wordpress_support.WpSite``; skips, with the reason, without php-cli,
    php-mysql, WordPress or MariaDB. The database and the host config are removed afterwards.
    """
    from tests import wordpress_support as wp

    missing = wp.wordpress_missing()
    if missing:
        pytest.skip(f"WordPress cannot run: {missing}")
    with mariadb_database("scimcore_wp") as url:
        site = wp.install_site(url)
        try:
            yield site
        finally:
            wp.remove_site(site)


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


_EXAMPLES_GRID = pytest.StashKey[dict[tuple[str, str, str], str]]()


@pytest.fixture
def examples_grid(request: pytest.FixtureRequest) -> dict[tuple[str, str, str], str]:
    """Where the example-app grid test records (idp, app, database) -> its cell: ``passed/not
    passed`` recordings, or ``skip: <reason>``."""
    return request.config.stash.setdefault(_EXAMPLES_GRID, {})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the example app x database x IdP conformance grid when the grid test ran."""
    grid = terminalreporter.config.stash.get(_EXAMPLES_GRID, {})
    if not grid:
        return
    idps = sorted({idp for idp, _, _ in grid})
    rows = sorted({(app, db) for _, app, db in grid})
    terminalreporter.write_sep("=", "example app on database x IdP recordings (passed/failed)")
    terminalreporter.write_line(f"{'':22}" + "".join(f"{idp:>12}" for idp in idps))
    reasons: dict[str, None] = {}
    for app, db in rows:
        cells = [grid.get((idp, app, db), "-") for idp in idps]
        for text in cells:
            if text.startswith("skip: "):
                reasons[f"{app} on {db}: {text.removeprefix('skip: ')}"] = None
        shown = "".join(f"{text.split(':')[0]:>12}" for text in cells)
        terminalreporter.write_line(f"{app + ' on ' + db:22}{shown}")
    for reason in reasons:
        terminalreporter.write_line(f"skipped {reason}")


def pytest_configure(config: pytest.Config) -> None:
    """Import SQLAlchemy (and its SQLite and PyMySQL dialects) before any test runs.

    The grid runs each example in a nested in-process pytest session, which drops the modules it
    imported when it ends; an example on the application store would then import SQLAlchemy a
    second time, and its compiled extensions (loaded once per process) would meet the new
    copy's classes ("'InternalTraversal' object is not callable"). Imported here, it is part of
    every nested session's snapshot and never imported twice.
    """
    import importlib
    import importlib.util

    names = ("sqlalchemy", "sqlalchemy.dialects.sqlite.pysqlite", "pymysql",
             "sqlalchemy.dialects.mysql.pymysql")  # fmt: skip
    for name in names:
        if importlib.util.find_spec(name.split(".")[0]) is not None:
            importlib.import_module(name)
