"""Fault injection in every site write of the application stores: an error, and nothing changed.

For each application store main has (Magento, Drupal, Django, and a generic ``TableStore`` with
a ``MetaStorage`` and ``TableGroups``), on SQLite and MariaDB (the generic store and Django on
PostgreSQL too), each request kind (POST, PUT, PATCH, DELETE by deletion and by deactivation, a
group POST, PUT, membership PATCH and DELETE, a Bulk) is run with one of its writes made to fail:

- **by the database**: a trigger refusing that kind of write (INSERT, UPDATE or DELETE) on that
  table, for every table the request writes (main table, meta/EAV/field tables, membership and
  role rows, hook writes such as sessions, login locks and grid rows, the side table), and every
  insert into the audit table;
- **by statement number**: the n-th write statement of the request fails (a
  ``before_cursor_execute`` listener raises the driver's OperationalError), for every n until
  the request has no n-th write and succeeds.

Each time the client gets an error and a snapshot of every table (the site's and SCIM's side
table) is what it was before; the audit table gains only records of failed requests. Also: a
COMMIT that fails (refused in SQLAlchemy's ``commit`` event, and by a deferred foreign key where
the database has them) changes nothing and leaves no open transaction on a pooled connection; a
Bulk whose operation's audit record (or its own) is refused, and a three-operation Bulk whose
n-th write fails for every n, report each operation as it committed. Django's
tables come from Django's own ``migrate`` (run once per module in a child process); MariaDB gets
one database per module, PostgreSQL one per test, dropped after.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests._databases import mariadb_database, postgres_databases

pytest.importorskip("sqlalchemy", reason="the app extra (SQLAlchemy) is needed")

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, create_engine, text
from sqlalchemy import event as sa_event

from examples._sql import run_script
from scimcore.mapping import mapping_from_dict
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from scimcore.store import MetaStorage, TableGroups, TableStore, UserTable
from tests._service_support import BASE, GROUP_URN, TOKEN, USER_URN, call, patch

ROOT = Path(__file__).resolve().parents[1]
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
APPS = ["magento", "drupal", "django", "generic"]
BACKENDS = ["sqlite", "mariadb", "postgres"]
KINDS = [
    "post",
    "put",
    "patch",
    "delete",
    "retire",
    "new_group",
    "members",
    "group_put",
    "drop_group",
    "bulk",
]
_WRITE = re.compile(
    r"^\s*(?:(?P<ins>INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO|(?P<upd>UPDATE)|(?P<del>DELETE)\s+FROM)"
    r"\s+[`\"]?(?P<table>\w+)",
    re.IGNORECASE,
)


# -- the databases -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mariadb() -> Iterator[str]:
    """A MariaDB database for this module (dropped after); skips with the reason without one."""
    with mariadb_database("scimcore_f") as url:
        yield url


@pytest.fixture(scope="module")
def django_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file Django's ``migrate`` made (in a child process), copied by each test."""
    pytest.importorskip("django", reason="Django is in the django extra")
    where = tmp_path_factory.mktemp("django-template") / "site.db"
    _migrate(f"sqlite:///{where}")
    return where


@pytest.fixture(scope="module")
def postgres() -> Iterator[Callable[[str | None], str]]:
    """Fresh PostgreSQL databases (empty, or copies of a template), dropped after the module."""
    with postgres_databases("scimcore_f", "postgresql+psycopg") as create:
        yield create


@pytest.fixture(scope="module")
def django_postgres(postgres: Callable[[str | None], str]) -> str:
    """A PostgreSQL database Django's ``migrate`` made, the template of each test's database."""
    pytest.importorskip("django", reason="Django is in the django extra")
    url = postgres(None)
    _migrate(url.replace("postgresql+psycopg://", "postgresql://", 1))
    return url


def _migrate(url: str) -> None:
    """Django's ``migrate`` on ``url``, in a child process (Django's settings are global)."""
    env = {"PYTHONPATH": str(ROOT), "DJANGO_DB_URL": url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "tests._django_example", "setup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]


def _drop_everything(engine: Engine) -> None:
    """An empty database again (MariaDB: the module's database is reused by each test)."""
    with engine.begin() as conn:
        names = [
            r[0] for r in conn.exec_driver_sql("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
        ]
        for trigger in conn.exec_driver_sql("SHOW TRIGGERS").all():
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS `{trigger[0]}`")
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
        for name in names:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS `{name}`")
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")


# -- the sites -----------------------------------------------------------------------------------


@attrs.define
class Site:
    """One application store over a fresh site, with two users and a group made over SCIM."""

    app: str
    backend: str
    url: str
    service: ScimService
    engine: Engine
    ids: dict[str, str] = attrs.field(factory=dict)

    @property
    def store(self) -> TableStore:
        store = self.service.store
        assert isinstance(store, TableStore)
        return store


_GENERIC_MAPPING = {
    "rules": [
        {"scim": "userName", "field": "login", "required": True},
        {"scim": "emails[primary eq true].value", "field": "email"},
        {"scim": "displayName", "field": "display"},
        {"scim": "password", "field": "pass", "direction": "to_app"},
        {
            "scim": "active",
            "field": "active",
            "transform": "call:faults_active_flag",
            "to_scim": "call:faults_active",
        },
        {"scim": "name.givenName", "meta": "first_name"},
        {"scim": "name.familyName", "meta": "last_name"},
        {"scim": "title", "meta": "title"},
    ]
}


def _generic_tables(engine: Engine) -> None:
    meta = MetaData()
    Table(
        "site_users",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("login", String(60), nullable=False, unique=True),
        Column("email", String(100), nullable=False, server_default=""),
        Column("display", String(250), nullable=False, server_default=""),
        Column("pass", String(255), nullable=False, server_default=""),
        Column("active", Integer, nullable=False, server_default="1"),
    )
    Table(
        "site_usermeta",
        meta,
        Column("umeta_id", Integer, primary_key=True, autoincrement=True),
        Column("user_id", Integer, nullable=False, index=True),
        Column("meta_key", String(255), nullable=True),
        Column("meta_value", Text, nullable=True),
    )
    Table(
        "site_groups",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(150), nullable=False, unique=True),
    )
    Table(
        "site_user_groups",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("user_id", Integer, nullable=False),
        Column("group_id", Integer, nullable=False),
    )
    meta.create_all(engine)


def _config(**options: Any) -> ServiceConfig:
    return ServiceConfig(
        base_url=BASE,
        authenticator=BearerTokens.from_tokens({"idp": TOKEN}),
        audit_to_store=True,
        **options,
    )


def _service(app: str, url: str, deprovision: str) -> ScimService:
    """The store the app's own example (or factory) builds, over ``url``."""
    env = {"SCIM_TOKEN": TOKEN, "SCIM_BASE_URL": BASE}
    if app == "magento":
        from examples.magento.app import build_service as magento

        return magento({**env, "MAGENTO_DB_URL": url, "MAGENTO_DEPROVISION": deprovision})
    if app == "drupal":
        from examples.drupal.app import build_service as drupal

        return drupal({**env, "DRUPAL_DB_URL": url, "DRUPAL_DEPROVISION": deprovision})
    if app == "django":
        from scimcore.apps.django import django_hasher, django_store

        store = django_store(url, deprovision=deprovision)
        return ScimService(store, _config(password_hasher=django_hasher(1000).hash))
    from scimcore.mapping import register_transform

    register_transform("faults_active_flag", lambda active: 0 if active is False else 1)
    register_transform("faults_active", lambda flag: None if flag is None else bool(flag))
    users = UserTable(
        table="site_users",
        key="id",
        mapping=mapping_from_dict(_GENERIC_MAPPING),
        storages=(MetaStorage("site_usermeta", "user_id", "meta_key", "meta_value"),),
        deprovision="delete" if deprovision == "delete" else "deactivate",
    )
    groups = TableGroups("site_groups", "id", "name", "site_user_groups", "user_id", "group_id")
    return ScimService(TableStore(url, users=users, groups=groups), _config())


def _prepare(app: str, backend: str, url: str, engine: Engine, django: Path | None) -> None:
    """The site's own tables and seed rows, before any SCIM request."""
    if app == "magento":
        script = "schema.mysql.sql" if backend == "mariadb" else "schema.sql"
        run_script(url, ROOT / "examples" / "magento" / script)
    elif app == "drupal":
        script = "schema.mysql.sql" if backend == "mariadb" else "schema.sql"
        run_script(url, ROOT / "examples" / "drupal" / script)
    elif app == "generic":
        _generic_tables(engine)
    elif backend == "sqlite":
        assert django is not None
        shutil.copyfile(django, url.removeprefix("sqlite:///"))


def _person(who: str, *, password: bool = True, **extra: Any) -> dict[str, Any]:
    """A user; ``password=False`` spares the site's hash (Magento's argon2id takes a while)."""
    body = {
        "schemas": [USER_URN],
        "userName": f"{who}@example.com",
        "name": {"givenName": who.title(), "familyName": "Tester"},
        "emails": [{"value": f"{who}@example.com", "type": "work", "primary": True}],
        "password": "Str0ng-Password!",
        "title": "Engineer",
        "active": True,
        **extra,
    }
    if not password:
        del body["password"]
    return body


def _site_rows(site: Site) -> None:
    """What the site itself keeps beside the users: Drupal sessions, a Django group permission."""
    a, b = (_key(site, site.ids[n]) for n in ("a", "b"))
    with site.engine.begin() as conn:
        if site.app == "drupal":
            for uid in (a, b):
                conn.execute(
                    text("INSERT INTO sessions (uid, sid, timestamp) VALUES (:u, :s, 1)"),
                    {"u": uid, "s": f"sid-{uid}"},
                )
        if site.app == "django":
            conn.execute(
                text(
                    "INSERT INTO auth_group_permissions (group_id, permission_id)"
                    " SELECT :g, id FROM auth_permission WHERE codename = 'view_user'"
                ),
                {"g": _key(site, site.ids["g"], "Group")},
            )


def _key(site: Site, scim_id: str, rt: str = "User") -> Any:
    with site.store.transaction(readonly=True) as tx:
        if rt == "User":
            return tx.key_of("User", scim_id)
        assert tx.groups is not None
        return tx.groups.key_of(scim_id)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def _site(
    request: pytest.FixtureRequest, app: str, backend: str, tmp_path: Path, deprovision: str
) -> Iterator[Site]:
    django = None
    if backend == "mariadb":
        if app == "django":
            pytest.skip(
                "the Django example runs on SQLite and PostgreSQL (issue #14 point 4); Django's"
                " MariaDB backend needs mysqlclient, which is not installed"
            )
        url = str(request.getfixturevalue("mariadb"))
    elif backend == "postgres":
        if app in ("magento", "drupal"):
            pytest.skip(f"examples/{app} has MariaDB and SQLite schema files, none for PostgreSQL")
        template = request.getfixturevalue("django_postgres") if app == "django" else None
        url = request.getfixturevalue("postgres")(template)
    else:
        url = f"sqlite:///{tmp_path / 'site.db'}"
        if app == "django":
            django = request.getfixturevalue("django_template")
    engine = create_engine(url)
    if backend == "mariadb":
        _drop_everything(engine)
    _prepare(app, backend, url, engine, django)
    service = _service(app, url, deprovision)
    site = Site(app, backend, url, service, engine)
    for name in ("a", "b"):
        r = call(service, "POST", "/Users", _person(name, password=False))
        assert r.status == 201, r.body
        site.ids[name] = r.json()["id"]
    body = {"schemas": [GROUP_URN], "displayName": "Staff", "members": [{"value": site.ids["b"]}]}
    r = call(service, "POST", "/Groups", body)
    assert r.status == 201, r.body
    site.ids["g"] = r.json()["id"]
    _site_rows(site)
    try:
        yield site
    finally:
        site.store.close()
        engine.dispose()


# -- requests, snapshots, faults -----------------------------------------------------------------


def _request(site: Site, kind: str) -> tuple[str, str, Any]:
    """The request of ``kind``: method, path, body."""
    a, b, g = site.ids["a"], site.ids["b"], site.ids["g"]
    if kind == "post":
        return "POST", "/Users", _person("carol")
    if kind == "put":
        return "PUT", f"/Users/{a}", _person("a", title="Director", name={"givenName": "Ann"})
    if kind == "patch":
        return (
            "PATCH",
            f"/Users/{a}",
            patch(
                {"op": "replace", "path": "name.givenName", "value": "Anna"},
                {"op": "replace", "path": "title", "value": "Lead"},
                {"op": "replace", "path": "password", "value": "An0ther-Password!"},
                {"op": "replace", "path": "active", "value": False},
            ),
        )
    if kind in ("delete", "retire"):
        return "DELETE", f"/Users/{b}", None
    if kind == "members":
        return (
            "PATCH",
            f"/Groups/{g}",
            patch(
                {"op": "add", "path": "members", "value": [{"value": a}]},
                {"op": "remove", "path": f'members[value eq "{b}"]'},
            ),
        )
    if kind == "new_group":
        members = [{"value": a}, {"value": b}]
        return (
            "POST",
            "/Groups",
            {"schemas": [GROUP_URN], "displayName": "Crew", "members": members},
        )
    if kind == "group_put":
        body = {"schemas": [GROUP_URN], "displayName": "Team", "members": [{"value": a}]}
        return "PUT", f"/Groups/{g}", body  # renamed: the group row is written too
    if kind == "drop_group":
        return "DELETE", f"/Groups/{g}", None
    assert kind == "bulk"
    op = {"method": "PATCH", "path": f"/Users/{a}", "data": patch(
        {"op": "replace", "path": "name.givenName", "value": "Anna"},
        {"op": "replace", "path": "title", "value": "Lead"},
    )}  # fmt: skip
    return "POST", "/Bulk", {"schemas": [BULK_URN], "Operations": [op]}


def _tables(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        elif engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        else:
            rows = conn.exec_driver_sql("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
        return sorted(str(r[0]) for r in rows)


def _snapshot(site: Site) -> dict[str, list[str]]:
    """Every row of every table but the audit log, as text, in a stable order."""
    audit = site.store.audit_name
    out: dict[str, list[str]] = {}
    with site.engine.connect() as conn:
        for name in _tables(site.engine):
            if name != audit:
                q = "`" if site.backend == "mariadb" else '"'
                rows = conn.exec_driver_sql(f"SELECT * FROM {q}{name}{q}")
                out[name] = sorted(repr(tuple(r)) for r in rows)
    return out


def _audit(site: Site) -> list[dict[str, Any]]:
    with site.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT data FROM {site.store.audit_name}")
        return [json.loads(r[0]) for r in rows]


@attrs.define
class _Faults:
    """Counts a request's write statements; fails the n-th (or every audit insert)."""

    audit: str
    fail_at: int = 0
    fail_audit: bool = False
    count: int = 0
    failed: str = ""
    seen: list[tuple[str, str, int]] = attrs.field(factory=list)

    def before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found = _WRITE.match(statement)
        if found is None:
            return
        self.count += 1
        table = found["table"]
        refuse = self.count == self.fail_at or (self.fail_audit and table == self.audit)
        if refuse:
            self.failed = table
            raise conn.dialect.loaded_dbapi.OperationalError(*_error_args(conn))

    def after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found = _WRITE.match(statement)
        if found is not None:
            verb = "INSERT" if found["ins"] else "UPDATE" if found["upd"] else "DELETE"
            self.seen.append((verb, found["table"], int(cursor.rowcount or 0)))


def _error_args(conn: Any) -> tuple[Any, ...]:
    if conn.dialect.name == "mysql":
        return (1205, "Lock wait timeout exceeded; try restarting transaction (injected)")
    if conn.dialect.name == "postgresql":
        return ("canceling statement due to lock timeout (injected)",)
    return ("database is locked (injected)",)


@pytest.fixture
def faults() -> Iterator[Callable[[Site], _Faults]]:
    attached: list[tuple[Engine, _Faults]] = []

    def attach(site: Site) -> _Faults:
        probe = _Faults(site.store.audit_name)
        sa_event.listen(site.store.engine, "before_cursor_execute", probe.before)
        sa_event.listen(site.store.engine, "after_cursor_execute", probe.after)
        attached.append((site.store.engine, probe))
        return probe

    yield attach
    for engine, probe in attached:
        sa_event.remove(engine, "before_cursor_execute", probe.before)
        sa_event.remove(engine, "after_cursor_execute", probe.after)


def _failed(response: Any, kind: str) -> list[int]:
    """The statuses the client was told (a Bulk: its operations'); each must be an error."""
    if kind == "bulk" and response.status == 200:
        return [int(op["status"]) for op in response.json()["Operations"]]
    return [response.status]


def _assert_failed_and_unchanged(
    site: Site,
    kind: str,
    response: Any,
    before: dict[str, list[str]],
    audited: set[str],
    why: str,
    *,
    recorded: bool = True,
) -> None:
    """The client heard an error, no table changed, and the audit table gained the failure's
    record (``recorded``: unless the audit table refuses it too) and nothing else."""
    statuses = _failed(response, kind)
    assert all(s >= 400 for s in statuses), (why, response.status, response.body)
    if response.status >= 400:
        assert response.json()["schemas"] == [ERROR_URN], why
    after = _snapshot(site)
    changed = {t for t in before if before[t] != after.get(t)}
    assert after == before, (why, sorted(changed))
    new = [r for r in _audit(site) if r["id"] not in audited]  # failures' (and a Bulk's own)
    assert all(int(r["status"]) >= 400 or r["action"] == "bulk" for r in new), (
        why,
        json.dumps(new),
    )
    if recorded:
        failures = sorted(int(r["status"]) for r in new if r["action"] != "bulk")
        assert failures == sorted(statuses), (why, json.dumps(new))


def _trigger(site: Site, verb: str, table: str) -> str:
    name = f"fault_{verb.lower()}_{table}"[:60]
    if site.backend == "mariadb":
        ddl = (
            f"CREATE TRIGGER `{name}` BEFORE {verb} ON `{table}` FOR EACH ROW"
            " SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the site'"
        )
    elif site.backend == "postgres":
        ddl = (
            "CREATE OR REPLACE FUNCTION fault_refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'refused by the site'; END $$;"
            f' CREATE TRIGGER "{name}" BEFORE {verb} ON "{table}"'
            " FOR EACH ROW EXECUTE FUNCTION fault_refuse()"
        )
    else:
        ddl = (
            f'CREATE TRIGGER "{name}" BEFORE {verb} ON "{table}"'
            " BEGIN SELECT RAISE(ABORT, 'refused by the site'); END"
        )
    with site.engine.begin() as conn:
        conn.exec_driver_sql(ddl)
    return name


def _drop_trigger(site: Site, name: str, table: str) -> None:
    on = f' ON "{table}"' if site.backend == "postgres" else ""
    with site.engine.begin() as conn:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"{on}' if on else f"DROP TRIGGER {name}")


# -- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("app", APPS)
def test_every_site_write_that_fails_changes_nothing(
    app: str,
    kind: str,
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    faults: Callable[[Site], _Faults],
) -> None:
    deprovision = "delete" if kind == "delete" else "deactivate"
    with _site(request, app, backend, tmp_path, deprovision) as site:
        method, path, body = _request(site, kind)
        probe = faults(site)

        # every audit insert refused: the request fails, and shows every write it makes
        before, audited = _snapshot(site), {r["id"] for r in _audit(site)}
        probe.fail_audit = True
        r = call(site.service, method, path, body)
        probe.fail_audit = False
        _assert_failed_and_unchanged(
            site, kind, r, before, audited, "audit refused", recorded=False
        )
        writes = {(verb, table) for verb, table, rows in probe.seen if rows > 0}
        assert ("INSERT", site.store.side_name) in writes or any(
            t == site.store.side_name for _, t in writes
        ), probe.seen

        # the database refuses each kind of write the request makes, in turn
        for verb, table in sorted(writes):
            if table == site.store.audit_name:
                continue  # refused above, and a trigger would refuse the failure's record too
            trigger = _trigger(site, verb, table)
            audited = {r["id"] for r in _audit(site)}
            r = call(site.service, method, path, body)
            _drop_trigger(site, trigger, table)
            _assert_failed_and_unchanged(site, kind, r, before, audited, f"{verb} {table}")
            assert all(s >= 500 for s in _failed(r, kind)), (verb, table, r.body)

        # the n-th write statement fails, for every n, until there is no n-th write
        n = 0
        while True:
            n += 1
            assert n < 200, "the request never got through"
            probe.count, probe.fail_at = 0, n
            audited = {r["id"] for r in _audit(site)}
            r = call(site.service, method, path, body)
            probe.fail_at = 0
            if probe.count < n:  # no n-th write: the request went through
                break
            if (
                kind == "bulk"
                and probe.failed == site.store.audit_name
                and _failed(r, kind) == [200]
            ):
                # the Bulk's own record, kept after its operation committed with its record:
                # the answer stands (the operation is done), and this was the last write
                assert probe.count == n, probe.seen
                break
            _assert_failed_and_unchanged(site, kind, r, before, audited, f"statement {n}")
            assert all(s >= 500 for s in _failed(r, kind)), (n, r.body)
        assert all(s < 300 for s in _failed(r, kind)), r.body
        assert n > 2  # the request wrote the site, the side table and the audit table
        assert _snapshot(site) != before


def _refuse_audit(site: Site, key: str, value: str) -> None:
    """A trigger on the audit table refusing the records whose ``key`` is ``value``."""
    audit = site.store.audit_name
    if site.backend == "mariadb":
        ddl = (
            f"CREATE TRIGGER refuse_audit BEFORE INSERT ON `{audit}` FOR EACH ROW"
            f" IF JSON_VALUE(NEW.data, '$.{key}') = '{value}' THEN"
            " SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the audit table'; END IF"
        )
    elif site.backend == "postgres":
        ddl = (
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF NEW.data::jsonb->>'{key}' = '{value}' THEN"
            " RAISE EXCEPTION 'refused by the audit table'; END IF; RETURN NEW; END $$;"
            f" CREATE TRIGGER refuse_audit BEFORE INSERT ON {audit}"
            " FOR EACH ROW EXECUTE FUNCTION refuse_audit()"
        )
    else:
        ddl = (
            f"CREATE TRIGGER refuse_audit BEFORE INSERT ON {audit}"
            f" WHEN json_extract(NEW.data, '$.{key}') = '{value}'"
            " BEGIN SELECT RAISE(ABORT, 'refused by the audit table'); END"
        )
    with site.engine.begin() as conn:
        conn.exec_driver_sql(ddl)


@pytest.mark.parametrize("refused", ["operation", "bulk"])
@pytest.mark.parametrize("app", APPS)
def test_a_bulk_is_answered_as_it_committed(
    app: str, refused: str, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """One operation's audit record is refused (or the Bulk's own): that operation is reported
    failed and left nothing; the others are reported done and committed with their records."""
    with _site(request, app, backend, tmp_path, "deactivate") as site:
        a = site.ids["a"]
        if refused == "operation":
            _refuse_audit(site, "userName", "refused@example.com")
        else:
            _refuse_audit(site, "action", "bulk")
        ops = [
            {"method": "PATCH", "path": f"/Users/{a}",
             "data": patch({"op": "replace", "path": "title", "value": "Lead"})},
            {"method": "POST", "path": "/Users", "bulkId": "r", "data": _person("refused")},
            {"method": "POST", "path": "/Users", "bulkId": "k", "data": _person("kept")},
        ]  # fmt: skip
        r = call(site.service, "POST", "/Bulk", {"schemas": [BULK_URN], "Operations": ops})
        assert r.status == 200, r.body
        statuses = [op["status"] for op in r.json()["Operations"]]
        assert statuses == (
            ["200", "500", "201"] if refused == "operation" else ["200", "201", "201"]
        )
        assert call(site.service, "GET", f"/Users/{a}").json()["title"] == "Lead"
        listed = call(site.service, "GET", "/Users", query={"count": "50"}).json()
        names = sorted(u["userName"] for u in listed["Resources"])
        expected = ["a@example.com", "b@example.com", "kept@example.com"]
        if refused == "bulk":
            expected.append("refused@example.com")
        assert names == sorted(expected)
        done = {(e["action"], e.get("userName"), e["status"]) for e in _audit(site)}
        assert {("patch", "a@example.com", 200), ("create", "kept@example.com", 201)} <= done


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("app", APPS)
def test_a_commit_that_fails_changes_nothing(
    app: str, kind: str, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Every write went through and the COMMIT fails (the driver's OperationalError): an error,
    nothing changed, and the connection goes back to the pool with nothing left open."""
    deprovision = "delete" if kind == "delete" else "deactivate"
    with _site(request, app, backend, tmp_path, deprovision) as site:
        method, path, body = _request(site, kind)
        engine = site.store.engine
        armed = [True]

        def refuse(conn: Any) -> None:
            if armed[0]:
                armed[0] = False
                raise conn.dialect.loaded_dbapi.OperationalError(*_error_args(conn))

        before, audited = _snapshot(site), {r["id"] for r in _audit(site)}
        sa_event.listen(engine, "commit", refuse)
        try:
            r = call(site.service, method, path, body)
        finally:
            sa_event.remove(engine, "commit", refuse)
        assert not armed[0], "the request committed nothing"
        _assert_failed_and_unchanged(site, kind, r, before, audited, "commit")
        assert all(s >= 500 for s in _failed(r, kind)), r.body
        r = call(site.service, method, path, body)  # the same request, on the pooled connections
        assert all(s < 300 for s in _failed(r, kind)), r.body
        assert _snapshot(site) != before


def _doom_commits(site: Site, who: str) -> None:
    """The database refuses the COMMIT of a successful write for ``who``: the audit insert of
    its record adds a row that breaks a deferred foreign key, checked only at COMMIT."""
    audit = site.store.audit_name
    tables = (
        "CREATE TABLE faults_parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE faults_child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL"
        " REFERENCES faults_parent (id) DEFERRABLE INITIALLY DEFERRED)",
    )
    if site.backend == "postgres":
        trigger = (
            "CREATE FUNCTION faults_doom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF NEW.data::jsonb->>'userName' = '{who}'"
            " AND (NEW.data::jsonb->>'status')::int < 400 THEN"
            " INSERT INTO faults_child (id, parent) VALUES (1, 404); END IF; RETURN NEW; END $$;"
            f" CREATE TRIGGER faults_doom AFTER INSERT ON {audit}"
            " FOR EACH ROW EXECUTE FUNCTION faults_doom()"
        )
    else:
        trigger = (
            f"CREATE TRIGGER faults_doom AFTER INSERT ON {audit}"
            f" WHEN json_extract(NEW.data, '$.userName') = '{who}'"
            " AND json_extract(NEW.data, '$.status') < 400"
            " BEGIN INSERT INTO faults_child (id, parent) VALUES (1, 404); END"
        )
    with site.engine.begin() as conn:
        for ddl in (*tables, trigger):
            conn.exec_driver_sql(ddl)


@pytest.mark.parametrize("app", ["generic", "django"])
def test_a_commit_the_database_refuses_changes_nothing(
    app: str, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A real COMMIT failure (a deferred foreign key): 500, nothing changed, and the next
    requests run on a clean connection (SQLite keeps the failed transaction open otherwise)."""
    if backend == "mariadb":
        pytest.skip("MariaDB has no deferred constraints: its COMMIT does not refuse a write")
    with _site(request, app, backend, tmp_path, "deactivate") as site:
        if backend == "sqlite":
            sa_event.listen(
                site.store.engine,
                "connect",
                lambda dbapi, record: dbapi.execute("PRAGMA foreign_keys = ON"),
            )
            site.store.engine.dispose()
        _doom_commits(site, "doomed@example.com")
        before, audited = _snapshot(site), {r["id"] for r in _audit(site)}
        r = call(site.service, "POST", "/Users", _person("doomed"))
        _assert_failed_and_unchanged(site, "post", r, before, audited, "commit refused")
        assert r.status == 500
        for _ in range(3):  # every pooled connection is usable, and none holds the failed write
            listed = call(site.service, "GET", "/Users", query={"filter": 'userName sw "doomed"'})
            assert listed.status == 200 and listed.json()["totalResults"] == 0
        r = call(site.service, "POST", "/Users", _person("fine"))
        assert r.status == 201, r.body
        _drop_trigger(site, "faults_doom", site.store.audit_name)
        r = call(site.service, "POST", "/Users", _person("doomed"))
        assert r.status == 201, r.body


@pytest.mark.parametrize("app", APPS)
def test_each_bulk_operation_is_reported_as_it_committed(
    app: str,
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    faults: Callable[[Site], _Faults],
) -> None:
    """A Bulk of a PATCH, a POST and a DELETE whose n-th write fails, for every n: each operation
    reported done is committed with its audit record, each reported failed left its resource as
    it was (same ETag, no new user)."""
    with _site(request, app, backend, tmp_path, "deactivate") as site:
        svc = site.service
        probe = faults(site)
        n = 0
        while True:
            n += 1
            assert n < 200, "the Bulk never got through"
            ids = []
            for who in (f"x{n}", f"y{n}"):
                made = call(svc, "POST", "/Users", _person(who, password=False))
                assert made.status == 201, made.body
                ids.append(made.json()["id"])
            x, y = ids
            tags = {i: call(svc, "GET", f"/Users/{i}").headers["ETag"] for i in ids}
            fresh = _person(f"new{n}", password=False)
            ops = [
                {"method": "PATCH", "path": f"/Users/{x}",
                 "data": patch({"op": "replace", "path": "title", "value": "Lead"})},
                {"method": "POST", "path": "/Users", "bulkId": "n", "data": fresh},
                {"method": "DELETE", "path": f"/Users/{y}"},
            ]  # fmt: skip
            audited = {r["id"] for r in _audit(site)}
            probe.count, probe.fail_at = 0, n
            r = call(svc, "POST", "/Bulk", {"schemas": [BULK_URN], "Operations": ops})
            probe.fail_at = 0
            assert r.status == 200, r.body
            patched, posted, deleted = (int(o["status"]) for o in r.json()["Operations"])
            assert {patched, posted, deleted} <= {200, 201, 204, 500}, r.body
            got = call(svc, "GET", f"/Users/{x}")
            if patched == 200:
                assert got.json()["title"] == "Lead"
            else:
                assert got.headers["ETag"] == tags[x] and got.json()["title"] == "Engineer"
            found = call(
                svc, "GET", "/Users", query={"filter": f'userName eq "new{n}@example.com"'}
            )
            assert found.json()["totalResults"] == (1 if posted == 201 else 0)
            gone = call(svc, "GET", f"/Users/{y}")
            if deleted == 204:
                assert gone.status == 404
            else:
                assert gone.status == 200 and gone.headers["ETag"] == tags[y]
            new = [e for e in _audit(site) if e["id"] not in audited]
            recorded = {(e["action"], e["status"]) for e in new}
            for action, status in (("patch", patched), ("create", posted), ("delete", deleted)):
                if status < 300:
                    assert (action, status) in recorded, (n, new)
            if probe.count < n:  # no n-th write: everything went through
                assert (patched, posted, deleted) == (200, 201, 204)
                break
        assert n > 6
