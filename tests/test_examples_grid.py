"""The grid: every bundled JumpCloud, Okta and miniOrange recording against each example app, on
each database the app runs on.

A cell is (IdP, app, database), and each starts from an empty site of its own:

- ``magento`` and ``drupal`` on MariaDB: a new database (made with the account of
  ``SCIMCORE_TEST_MYSQL_URL``, dropped after) holding the project's real tables
  (``schema.mysql.sql``); on SQLite, a new file that gets ``schema.sql``;
- ``wordpress`` on MariaDB: a stock WordPress installed for the cell
  (:func:`tests.wordpress_support.install_site`, ``wp_install()`` in WordPress's own PHP) and
  removed after; on SQLite, a new file that gets the example's ``schema.sql``;
- ``django`` on SQLite and on PostgreSQL (a new database of ``SCIMCORE_TEST_PG_DSN``, dropped
  after), migrated by the cell.

The recordings run through the conformance pytest plugin (as ``*.scim.json`` files, with the
plugin's ``scim_app`` fixture overridden to the example built by its ``build_service(env)``, or
for Django the site's ASGI entry ``examples.django.app:app``) in a nested pytest session; a
logged error fails the recording that caused it. Django's settings are process-wide, so its
cells run that session in a child process (``pytester.runpytest_subprocess``). After the
recordings of a WordPress-on-MariaDB or Django cell, the site's own code (WordPress's PHP,
Django's ORM) must agree with what SCIM lists. A cell whose database or site is missing skips
with the reason. The console summary prints the grid (``pytest_terminal_summary`` in conftest).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conformance.loader import bundled_recordings_dir
from examples._sql import run_script

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
IDPS = ["jumpcloud", "okta", "miniorange"]
TOKEN = "change-me"
BASE_URL = "http://testserver/scim/v2"


def _cells() -> list[tuple[str, str]]:
    """(app, database) of every example there is."""
    databases = {"wordpress": ["mariadb", "sqlite"], "magento": ["mariadb", "sqlite"],
                 "drupal": ["mariadb", "sqlite"], "django": ["sqlite", "postgresql"]}  # fmt: skip
    return [
        (app, db)
        for app, dbs in databases.items()
        if (ROOT / "examples" / app / "app.py").exists()
        for db in dbs
    ]


# The nested session's conftest. ``scim_app`` is the example built from the cell's environment
# (``ENV``); any error the app logs fails the recording that caused it.
NESTED_CONFTEST = """
import importlib, json, logging, os, sys
import pytest

ENV = json.loads({env!r})
BUILD = {build!r}
NAME = {name!r}

def pytest_addhooks(pluginmanager):
    # installed, the entry point has loaded the plugin already; from a checkout it has not
    if not (
        pluginmanager.has_plugin("scim_conformance")
        or pluginmanager.has_plugin("conformance.pytest_plugin")
    ):
        import conformance.pytest_plugin as plugin
        pluginmanager.register(plugin, "scim_conformance")

@pytest.fixture(scope="session")
def scim_app():
    sys.modules.pop(f"examples.{{NAME}}.app", None)
    if BUILD == "django":  # settings from the environment, read once in this process
        module = importlib.import_module("examples.django.app")
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        yield module.app  # the site's ASGI entry, Django's middleware and all
        _django_agrees(module.app)  # a failure here is an error of the session: the cell fails
        return
    module = importlib.import_module(f"examples.{{NAME}}.app")
    from scimcore.adapters import asgi_app
    service = module.build_service(ENV)
    yield asgi_app(service)
    engine = getattr(service.store, "engine", None)
    if engine is not None:
        engine.dispose()  # no connection left on the cell's database when it is dropped

def _django_agrees(app):
    # what SCIM lists after the recordings is what Django's ORM has: every User is an auth_user
    # row with its active flag, and the users the IdP deleted (DJANGO_DEPROVISION=deactivate)
    # are still there, inactive
    from conformance.transport import Request, transport_for
    from django.contrib.auth import get_user_model

    transport = transport_for(app)
    headers = {{"Authorization": "Bearer " + ENV["SCIM_TOKEN"], "Accept": "application/scim+json"}}
    response = transport.send(Request("GET", "/Users", {{"count": "1000"}}, headers))
    transport.close()
    assert response.status == 200, response.body[:500]
    listed = {{u["userName"]: u.get("active", True) for u in response.json()["Resources"]}}
    rows = {{u.username: u.is_active for u in get_user_model().objects.all()}}
    assert {{k: rows.get(k) for k in listed}} == listed
    gone = {{k: v for k, v in rows.items() if k not in listed}}
    assert gone, "the IdP's users never reached auth_user"
    assert not any(gone.values()), gone

@pytest.fixture(autouse=True)
def _no_logged_errors(caplog):
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[:3]
"""


def _mysql_admin() -> Any:
    """An AUTOCOMMIT engine on the server of ``SCIMCORE_TEST_MYSQL_URL``; skips without one."""
    url = os.environ.get("SCIMCORE_TEST_MYSQL_URL")
    if not url:
        pytest.skip("MariaDB not configured: set SCIMCORE_TEST_MYSQL_URL to run this cell")
    sqlalchemy = pytest.importorskip("sqlalchemy", reason="the app extra is needed")
    pytest.importorskip("pymysql", reason="the mysql extra (PyMySQL) is needed")
    base = sqlalchemy.engine.make_url(url)
    engine = sqlalchemy.create_engine(base.set(database=""), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sqlalchemy.exc.OperationalError as exc:
        engine.dispose()
        pytest.skip(f"MariaDB at {base.host}:{base.port} is not reachable: {exc.orig}")
    return engine


def _pg_admin() -> Any:
    """An autocommit psycopg connection to ``SCIMCORE_TEST_PG_DSN``; skips without one."""
    dsn = os.environ.get("SCIMCORE_TEST_PG_DSN")
    if not dsn:
        pytest.skip("PostgreSQL not configured: set SCIMCORE_TEST_PG_DSN to run this cell")
    psycopg = pytest.importorskip("psycopg", reason="the postgres extra is needed")
    from sqlalchemy.engine import make_url

    try:
        return psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        where = make_url(dsn)
        pytest.skip(f"PostgreSQL at {where.host}:{where.port} is not reachable: {exc}")


class _Servers:
    """The database servers of the session: a MariaDB admin engine and a PostgreSQL admin
    connection, each made on first use and closed at the end; ``pytest.skip`` when absent."""

    def __init__(self) -> None:
        self._mysql: Any = None
        self._pg: Any = None
        self._missing: dict[str, str] = {}  # server -> why its cells skip (asked only once)

    def mysql(self) -> Any:
        """An AUTOCOMMIT engine on the server of ``SCIMCORE_TEST_MYSQL_URL`` (no database)."""
        if self._mysql is None:
            self._mysql = self._first_use("mysql", _mysql_admin)
        return self._mysql

    def pg(self) -> Any:
        """An autocommit psycopg connection to ``SCIMCORE_TEST_PG_DSN``."""
        if self._pg is None:
            self._pg = self._first_use("pg", _pg_admin)
        return self._pg

    def _first_use(self, server: str, connect: Callable[[], Any]) -> Any:
        if server in self._missing:
            pytest.skip(self._missing[server])
        try:
            return connect()
        except pytest.skip.Exception as skipped:
            self._missing[server] = skipped.msg
            raise

    @contextmanager
    def mysql_database(self, label: str) -> Iterator[str]:
        """The URL of a new, empty MariaDB database, dropped at the end of the block."""
        admin = self.mysql()
        name = f"scimcore_grid_{label}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"
            )
        try:
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            yield str(url)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")

    @contextmanager
    def pg_database(self, label: str) -> Iterator[str]:
        """The URL of a new, empty PostgreSQL database, dropped at the end of the block."""
        from sqlalchemy.engine import make_url

        admin = self.pg()
        name = f"scimcore_grid_{label}_{uuid.uuid4().hex[:8]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(os.environ["SCIMCORE_TEST_PG_DSN"]).set(
                drivername="postgresql", database=name
            )
            yield url.render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        """Close what was opened."""
        if self._mysql is not None:
            self._mysql.dispose()
        if self._pg is not None:
            self._pg.close()


@pytest.fixture(scope="session")
def servers() -> Iterator[_Servers]:
    """The session's database servers (connected on first use)."""
    made = _Servers()
    try:
        yield made
    finally:
        made.close()


@contextmanager
def _site(app: str, db: str, idp: str, servers: _Servers, where: Path) -> Iterator[dict[str, str]]:
    """A new, empty site of ``app`` on ``db`` for the cell; the environment of its example."""
    env = {"SCIM_TOKEN": TOKEN, "SCIM_BASE_URL": BASE_URL}
    label = f"{app}_{idp}"
    if app == "wordpress" and db == "mariadb":
        from tests import wordpress_support as wp

        missing = wp.wordpress_missing()
        if missing:
            pytest.skip(f"WordPress cannot run: {missing}")
        with servers.mysql_database(label) as url:
            site = wp.install_site(url)
            env |= {"WP_DB_URL": site.url, "WP_TABLE_PREFIX": site.prefix, "WP_IDP": idp,
                    "WP_DEPROVISION": "deactivate"}  # fmt: skip
            try:
                yield env
                _wordpress_agrees(site, env)  # after the cell's recordings all passed
            finally:
                wp.remove_site(site)
    elif app == "wordpress":  # the example gives a new SQLite file schema.sql's tables
        yield env | {"WP_DB_URL": f"sqlite:///{where / 'wordpress.db'}", "WP_IDP": idp,
                     "WP_DEPROVISION": "deactivate"}  # fmt: skip
    elif app == "django":
        pytest.importorskip("django", reason="Django is in the django extra")
        extra = {"DJANGO_IDP": idp, "DJANGO_PASSWORD_ITERATIONS": "1000"}  # check_password
        if db == "postgresql":  # reads the count from each hash; only the cost changes
            with servers.pg_database(label) as url:
                yield env | extra | {"DJANGO_DB_URL": url}
        else:
            yield env | extra | {"DJANGO_DB_URL": f"sqlite:///{where / 'django.db'}"}
    else:
        prefix = app.upper()
        extra = {f"{prefix}_IDP": idp}
        if db == "mariadb":
            with servers.mysql_database(label) as url:
                run_script(url, ROOT / "examples" / app / "schema.mysql.sql")
                yield env | extra | {f"{prefix}_DB_URL": url}
        else:  # the example gives a new SQLite file schema.sql's tables
            yield env | extra | {f"{prefix}_DB_URL": f"sqlite:///{where / f'{app}.db'}"}


def _wordpress_agrees(site: Any, env: dict[str, str]) -> None:
    """What SCIM lists after the cell is what WordPress's own PHP has: every User is found by
    ``get_user_by('login', …)`` with its email, the site's admin (``wp_install``'s, never
    provisioned) is listed too, and the users the IdP deleted are still WordPress users, locked
    and logged out (``WP_DEPROVISION=deactivate``)."""
    from conformance.transport import Request, transport_for
    from examples.wordpress.app import build_service
    from tests.wordpress_support import wp_php

    service = build_service(env)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/scim+json"}
        transport = transport_for(service, base_url=BASE_URL)
        response = transport.send(Request("GET", "/Users", {"count": "1000"}, headers))
    finally:
        service.store.engine.dispose()
    assert response.status == 200, response.body[:500]
    listed = {
        user["userName"]: next((e["value"].lower() for e in user.get("emails", [])), None)
        for user in response.json()["Resources"]
    }
    names = json.dumps(sorted(listed)).replace("\\", "\\\\").replace("'", "\\'")
    site_says = wp_php(site, f"""
        $found = [];
        foreach (json_decode('{names}', true) as $login) {{
            $u = get_user_by('login', $login);
            $found[$login] = $u ? strtolower($u->user_email) : false;
        }}
        $kept = [];
        foreach (get_users() as $u) {{
            $sessions = count(WP_Session_Tokens::get_instance($u->ID)->get_all());
            $kept[$u->user_login] = [substr($u->user_pass, 0, 1), $sessions];
        }}
        return ['found' => $found, 'kept' => $kept];
    """)  # fmt: skip
    found, kept = site_says["found"], site_says["kept"]
    assert "admin" in listed, sorted(listed)
    assert {k: v for k, v in found.items() if v is False} == {}, "SCIM lists users WordPress lacks"
    emails = {k: v for k, v in listed.items() if v is not None}
    assert {k: found[k] for k in emails} == emails
    # WP_DEPROVISION=deactivate: the users the IdP deleted stay in WordPress, locked (a "!"
    # before the hash: wp_check_password fails) and logged out
    gone = {k: v for k, v in kept.items() if k not in listed}
    assert gone, "the IdP's users never reached WordPress's tables"
    assert {k: v for k, v in gone.items() if v != ["!", 0]} == {}


def _run_cell(app: str, db: str, env: dict[str, str], pytester: pytest.Pytester) -> Any:
    """The plugin's run of the recordings in ``pytester.path`` against the cell's example."""
    build = "django" if app == "django" else "service"
    conftest = NESTED_CONFTEST.format(env=json.dumps(env), build=build, name=app)
    pytester.makeconftest(conftest)
    args = ("-p", "no:cacheprovider", "--scim-token", TOKEN)
    if app == "django":  # Django's settings are per process: the session runs in a child
        return pytester.runpytest_subprocess(*args, timeout=300)
    return pytester.runpytest_inprocess(*args)


def _environment(env: dict[str, str], app: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cell's variables in ``os.environ`` too (what the example reads at import)."""
    for name in list(os.environ):
        if name.startswith(("WP_", "MAGENTO_", "DRUPAL_", "DJANGO_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if app == "django":  # the child imports this worktree, and the example's own settings
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), *sys.path]))
    monkeypatch.delitem(sys.modules, f"examples.{app}.app", raising=False)


@pytest.mark.parametrize(("app_name", "database"), _cells())
@pytest.mark.parametrize("idp", IDPS)
def test_idp_recordings_pass_against_example(
    idp: str,
    app_name: str,
    database: str,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    servers: _Servers,
    examples_grid: dict[tuple[str, str, str], str],
) -> None:
    cell = (idp, app_name, database)
    for recording in sorted((bundled_recordings_dir() / idp).glob("*.json")):
        # as ``*.scim.json`` files beside the conftest, so its ``scim_app`` is the one they get
        target = pytester.path / f"{recording.stem}.scim.json"
        target.write_bytes(recording.read_bytes())
    shown = "error"  # what the summary prints for the cell
    try:
        with _site(app_name, database, idp, servers, pytester.path) as env:
            _environment(env, app_name, monkeypatch)
            result = _run_cell(app_name, database, env, pytester)
            passed, bad = _outcomes(result)
            shown = f"{passed}/{bad}"
            assert passed and not bad, "\n".join(result.outlines + result.errlines)
            shown = "site-fail"  # unless the site's own check, as the block ends, passes
        shown = f"{passed}/{bad}"
    except pytest.skip.Exception as skipped:
        shown = f"skip: {skipped.msg}"
        raise
    finally:
        examples_grid[cell] = shown


def _outcomes(result: pytest.RunResult) -> tuple[int, int]:
    """(passed, not passed) recordings of a nested session."""
    try:
        counts = result.parseoutcomes()
    except ValueError:  # the session died before its summary (the output says why)
        counts = {}
    bad = sum(counts.get(k, 0) for k in ("failed", "error", "errors", "skipped"))
    return counts.get("passed", 0), bad
