"""TableStore: the application's own tables as the store, on SQLite, MariaDB and PostgreSQL.

A small site-like schema is created in each test (a users table with a unique login, a
key/value meta table); rows the "site" writes directly are resources without an import step.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("sqlalchemy", reason="the app extra (SQLAlchemy) is needed")

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    text,
)

from scimcore.mapping import mapping_from_dict
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from scimcore.store import MetaStorage, TableStore, UserTable
from tests._service_support import BASE, TOKEN, USER_URN, Clock, call, patch

MAPPING = {
    "rules": [
        {"scim": "userName", "field": "login", "required": True},
        {"scim": "emails[primary eq true].value", "field": "email"},
        {"scim": "displayName", "field": "display"},
        {"scim": "password", "field": "pass", "direction": "to_app"},
        {"scim": "name.givenName", "meta": "first_name"},
        {"scim": "name.familyName", "meta": "last_name"},
        {"scim": "title", "meta": "title"},
    ]
}

BACKENDS = ["sqlite", "mysql", "postgres"]


def _schema(meta: MetaData, prefix: str) -> tuple[Table, Table]:
    users = Table(
        f"{prefix}users",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("login", String(60), nullable=False, unique=True),
        Column("email", String(100), nullable=False, server_default=""),
        Column("display", String(250), nullable=False, server_default=""),
        Column("pass", String(255), nullable=False, server_default=""),
        Column("registered", String(30), nullable=True),
    )
    usermeta = Table(
        f"{prefix}usermeta",
        meta,
        Column("umeta_id", Integer, primary_key=True, autoincrement=True),
        Column("user_id", Integer, nullable=False, index=True),
        Column("meta_key", String(255), nullable=True),
        Column("meta_value", Text, nullable=True),
    )
    return users, usermeta


class Site:
    """The site: its engine and tables, and a store over them."""

    def __init__(self, engine: Engine, prefix: str) -> None:
        self.engine = engine
        self.prefix = prefix
        self.meta = MetaData()
        self.users, self.usermeta = _schema(self.meta, prefix)
        self.meta.create_all(engine)

    def add(self, login: str, email: str = "", **meta: str) -> int:
        """A user the site creates itself (no SCIM involved)."""
        with self.engine.begin() as conn:
            key = conn.execute(
                self.users.insert().values(login=login, email=email, registered="2020-01-02")
            ).inserted_primary_key[0]
            for k, v in meta.items():
                conn.execute(self.usermeta.insert().values(user_id=key, meta_key=k, meta_value=v))
        return int(key)

    def store(self, **kw: Any) -> TableStore:
        storages = kw.pop("storages", None)
        table = UserTable(
            table=f"{self.prefix}users",
            key="id",
            mapping=mapping_from_dict(MAPPING),
            storages=storages
            or (MetaStorage(f"{self.prefix}usermeta", "user_id", "meta_key", "meta_value"),),
            on_insert={"registered": lambda row: "2026-01-01"},
            created="registered",
            **kw,
        )
        return TableStore(
            self.engine,
            users=table,
            side_table=f"{self.prefix}scim_resource",
            audit_table=f"{self.prefix}scim_audit",
        )

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql.replace("@", self.prefix)))]

    def drop(self) -> None:
        with self.engine.begin() as conn:
            for name in ("users", "usermeta", "scim_resource", "scim_audit"):
                conn.execute(text(f"DROP TABLE IF EXISTS {self.prefix}{name}"))
        self.engine.dispose()


@pytest.fixture(params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'site.db'}")
    elif request.param == "mysql":
        engine = create_engine(request.getfixturevalue("mysql_url"))
    else:
        dsn = request.getfixturevalue("pg_dsn")
        engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    s = Site(engine, prefix)
    try:
        yield s
    finally:
        s.drop()


def _service(store: TableStore, **kw: Any) -> ScimService:
    config = ServiceConfig(
        base_url=BASE,
        authenticator=BearerTokens.from_tokens({"okta": TOKEN}),
        audit_to_store=True,
        **kw,
    )
    return ScimService(store, config, clock=Clock())


def user(login: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [USER_URN], "userName": login, **extra}


def _names(body: dict[str, Any]) -> list[str]:
    return sorted(r["userName"] for r in body.get("Resources", []))


def test_pre_existing_rows_are_listed_and_filterable(site: Site) -> None:
    site.add("alice", "alice@example.com", first_name="Alice", last_name="Liddell")
    site.add("bob", "bob@example.com", first_name="Bob")
    svc = _service(site.store())
    listed = call(svc, "GET", "/Users").json()
    assert listed["totalResults"] == 2
    assert _names(listed) == ["alice", "bob"]
    found = call(svc, "GET", "/Users", query={"filter": 'userName eq "ALICE"'}).json()
    assert _names(found) == ["alice"]
    alice = found["Resources"][0]
    assert alice["name"] == {"givenName": "Alice", "familyName": "Liddell"}
    assert alice["emails"] == [{"primary": True, "value": "alice@example.com"}]
    assert alice["meta"]["created"] == "2020-01-02"
    by_meta = call(svc, "GET", "/Users", query={"filter": 'name.givenName sw "bo"'}).json()
    assert _names(by_meta) == ["bob"]
    got = call(svc, "GET", f"/Users/{alice['id']}")
    assert got.status == 200 and got.json()["userName"] == "alice"
    # a read never writes: no side rows
    assert site.rows("SELECT count(*) FROM @scim_resource") == [(0,)]


def test_post_for_an_existing_login_is_409(site: Site) -> None:
    site.add("bob", "bob@example.com")
    svc = _service(site.store())
    for name in ("bob", "BOB"):
        response = call(svc, "POST", "/Users", user(name))
        assert response.status == 409, response.json()
        assert response.json()["scimType"] == "uniqueness"
    assert site.rows("SELECT count(*) FROM @users") == [(1,)]


def test_crud_through_the_service(site: Site) -> None:
    svc = _service(site.store())
    body = user(
        "carol",
        name={"givenName": "Carol", "familyName": "Danvers"},
        emails=[{"value": "carol@example.com", "primary": True, "type": "work"}],
        password="S3cret-passw0rd!",
        nickName="cap",
    )
    created = call(svc, "POST", "/Users", body)
    assert created.status == 201, created.json()
    res = created.json()
    rid = res["id"]
    assert created.headers["Location"].endswith(f"/Users/{rid}")
    assert res["nickName"] == "cap" and "password" not in res
    assert res["emails"] == [{"value": "carol@example.com", "primary": True, "type": "work"}]
    (row,) = site.rows("SELECT id, login, email, pass FROM @users")
    assert row[1:3] == ("carol", "carol@example.com")
    assert row[3] and "S3cret" not in row[3]
    assert uuid.UUID(rid) == uuid.uuid5(site.store().namespace, f"User:{row[0]}")
    metas = dict(site.rows("SELECT meta_key, meta_value FROM @usermeta"))
    assert metas == {"first_name": "Carol", "last_name": "Danvers"}
    etag = created.headers["ETag"]
    # PATCH
    patched = call(
        svc,
        "PATCH",
        f"/Users/{rid}",
        patch({"op": "replace", "path": "name.givenName", "value": "Caroline"}),
        headers={"If-Match": etag},
    )
    assert patched.status == 200, patched.json()
    assert patched.json()["name"]["givenName"] == "Caroline"
    assert patched.headers["ETag"] != etag
    assert site.rows("SELECT pass FROM @users") == [(row[3],)]  # the hash is kept
    # PUT
    put = call(svc, "PUT", f"/Users/{rid}", user("carol", displayName="Captain"))
    assert put.status == 200, put.json()
    assert put.json().get("name") is None and put.json()["displayName"] == "Captain"
    assert site.rows("SELECT display, email FROM @users") == [("Captain", "")]
    assert dict(site.rows("SELECT meta_key, meta_value FROM @usermeta")) == {}
    # a stale ETag is 412
    stale = call(svc, "PUT", f"/Users/{rid}", user("carol"), headers={"If-Match": etag})
    assert stale.status == 412
    # audit records went into the same transactions
    assert site.rows("SELECT count(*) FROM @scim_audit")[0][0] >= 3
    # DELETE
    assert call(svc, "DELETE", f"/Users/{rid}").status == 204
    assert call(svc, "GET", f"/Users/{rid}").status == 404
    assert site.rows("SELECT count(*) FROM @users") == [(0,)]
    assert site.rows("SELECT count(*) FROM @scim_resource") == [(0,)]


def test_a_site_edit_changes_the_etag(site: Site) -> None:
    key = site.add("dave", "dave@example.com")
    svc = _service(site.store())
    (res,) = call(svc, "GET", "/Users").json()["Resources"]
    first = call(svc, "GET", f"/Users/{res['id']}").headers["ETag"]
    assert call(svc, "GET", f"/Users/{res['id']}").headers["ETag"] == first
    with site.engine.begin() as conn:
        conn.execute(site.users.update().where(site.users.c.id == key).values(email="d@x.org"))
    again = call(svc, "GET", f"/Users/{res['id']}")
    assert again.headers["ETag"] != first
    assert again.json()["emails"][0]["value"] == "d@x.org"
    refused = call(svc, "PUT", f"/Users/{res['id']}", user("dave"), headers={"If-Match": first})
    assert refused.status == 412


def test_paging_sorting_and_cursors(site: Site) -> None:
    for i in range(7):
        site.add(f"user{i}", f"u{i}@example.com")
    svc = _service(site.store())
    page = call(svc, "GET", "/Users", query={"startIndex": "3", "count": "2"}).json()
    assert page["totalResults"] == 7 and _names(page) == ["user2", "user3"]
    ordered = call(
        svc, "GET", "/Users", query={"sortBy": "userName", "sortOrder": "descending", "count": "3"}
    ).json()
    assert [r["userName"] for r in ordered["Resources"]] == ["user6", "user5", "user4"]
    seen: list[str] = []
    cursor = ""
    while True:
        got = call(svc, "GET", "/Users", query={"cursor": cursor, "count": "3"}).json()
        seen += [r["userName"] for r in got["Resources"]]
        cursor = got.get("nextCursor")
        if not cursor:
            break
    assert seen == [f"user{i}" for i in range(7)]
    total_only = call(svc, "GET", "/Users", query={"count": "0"}).json()
    assert total_only["totalResults"] == 7 and not total_only.get("Resources")


class _Boom(RuntimeError):
    pass


class _FailingMeta(MetaStorage):
    def save(self, conn: Any, owner: Any, values: Any) -> None:
        super().save(conn, owner, values)
        raise _Boom("the meta table is gone")

    def insert(self, conn: Any, owner: Any, values: Any) -> None:
        super().insert(conn, owner, values)
        raise _Boom("the meta table is gone")


class _FailingHooks:
    def after_write(self, conn: Any, key: Any, resource: Any, previous: Any) -> None:
        raise _Boom("the site's hook failed")


@pytest.mark.parametrize("fault", ["storage", "hook"])
def test_a_failure_mid_write_leaves_nothing(site: Site, fault: str) -> None:
    key = site.add("erin", "erin@example.com", first_name="Erin")
    meta = f"{site.prefix}usermeta"
    if fault == "storage":
        store = site.store(storages=(_FailingMeta(meta, "user_id", "meta_key", "meta_value"),))
    else:
        store = site.store(hooks=_FailingHooks())
    svc = _service(store)
    before = (
        site.rows("SELECT * FROM @users ORDER BY id"),
        site.rows("SELECT * FROM @usermeta ORDER BY umeta_id"),
    )
    created = call(svc, "POST", "/Users", user("frank", name={"givenName": "Frank"}))
    assert created.status >= 500
    rid = str(uuid.uuid5(store.namespace, f"User:{key}"))
    replaced = call(svc, "PUT", f"/Users/{rid}", user("erin", name={"givenName": "Eri"}))
    assert replaced.status >= 500
    after = (
        site.rows("SELECT * FROM @users ORDER BY id"),
        site.rows("SELECT * FROM @usermeta ORDER BY umeta_id"),
    )
    assert after == before
    assert site.rows("SELECT count(*) FROM @scim_resource") == [(0,)]
    writes = site.rows("SELECT data FROM @scim_audit")
    assert all('"status":2' not in str(d) for (d,) in writes)


# -- pushdown + residual == in-memory filtering (a property) ---------------------------------

_TEXT = st.text(alphabet="aAbBéÉß_%", min_size=0, max_size=3)
_ATTRS = [
    "userName",
    "displayName",
    "name.givenName",
    "title",
    "emails.value",
    "nickName",
    "externalId",
]


def _term() -> st.SearchStrategy[str]:
    compare = st.builds(
        lambda a, op, v: f'{a} {op} "{v}"',
        st.sampled_from(_ATTRS),
        st.sampled_from(["eq", "ne", "sw", "ew", "co", "gt", "le"]),
        _TEXT,
    )
    present = st.builds(lambda a: f"{a} pr", st.sampled_from(_ATTRS))
    return compare | present


_FILTERS = st.recursive(
    _term(),
    lambda inner: (
        st.builds(lambda a, b: f"({a} and {b})", inner, inner)
        | st.builds(lambda a, b: f"({a} or {b})", inner, inner)
        | st.builds(lambda a: f"not ({a})", inner)
    ),
    max_leaves=4,
)

_USERS = st.lists(
    st.fixed_dictionaries(
        {"login": _TEXT.filter(bool), "display": _TEXT, "first": _TEXT, "title": _TEXT}
    ),
    max_size=6,
    unique_by=lambda u: u["login"].lower(),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(users=_USERS, filters=st.lists(_FILTERS, min_size=1, max_size=4), nick=_TEXT)
def test_pushdown_and_residual_match_in_memory_filtering(
    tmp_path_factory: pytest.TempPathFactory,
    users: list[dict[str, str]],
    filters: list[str],
    nick: str,
) -> None:
    from scimcore.filter import parse_filter
    from scimcore.store import Query

    path = tmp_path_factory.mktemp("prop") / "site.db"
    site = Site(create_engine(f"sqlite:///{path}"), "p_")
    try:
        for u in users:
            site.add(u["login"], "", first_name=u["first"], title=u["title"])
            with site.engine.begin() as conn:
                conn.execute(
                    site.users.update()
                    .where(site.users.c.login == u["login"])
                    .values(display=u["display"])
                )
        store = site.store()
        with store.transaction() as tx:  # one SCIM write: an unmapped attribute in the blob
            everyone = tx.search("User", Query()).resources
            if everyone and nick:
                first = tx.get("User", everyone[0]["id"])
                assert first is not None
                changed = {**first.resource, "nickName": nick, "externalId": nick.upper()}
                tx.replace("User", first.id, changed)
        with store.transaction(readonly=True) as tx:
            everyone = tx.search("User", Query()).resources
            for text_ in filters:
                flt = parse_filter(text_)
                got = [r["id"] for r in tx.search("User", Query(filter=flt)).resources]
                want = [r["id"] for r in everyone if flt.matches(r)]
                assert got == want, text_
    finally:
        site.drop()


def test_hidden_keys_and_a_login_the_site_renamed(site: Site) -> None:
    hidden = site.add("anonymous")
    svc = _service(site.store(hidden_keys=(hidden,)))
    assert call(svc, "GET", "/Users").json()["totalResults"] == 0
    rid = str(uuid.uuid5(site.store().namespace, f"User:{hidden}"))
    assert call(svc, "GET", f"/Users/{rid}").status == 404
    assert call(svc, "POST", "/Users", user("anonymous")).status == 409
    made = call(svc, "POST", "/Users", user("gina", externalId="ext-G"))
    assert made.status == 201
    found = call(svc, "GET", "/Users", query={"filter": 'externalId eq "ext-G"'}).json()
    assert [r["userName"] for r in found["Resources"]] == ["gina"]
    # the site renames gina: her old login is free again for a new SCIM user
    with site.engine.begin() as conn:
        conn.execute(site.users.update().where(site.users.c.login == "gina").values(login="gin"))
    again = call(svc, "POST", "/Users", user("gina"))
    assert again.status == 201, again.json()
    assert again.json()["id"] != made.json()["id"]
