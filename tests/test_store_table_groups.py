"""TableStore groups (a group table and a membership table) and DELETE as deactivation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy", reason="the app extra (SQLAlchemy) is needed")

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    text,
)

from scimcore.mapping import mapping_from_dict
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from scimcore.store import TableGroups, TableStore, UserTable
from tests._service_support import BASE, GROUP_URN, TOKEN, USER_URN, Clock, call, patch

MAPPING = {
    "rules": [
        {"scim": "userName", "field": "username", "required": True},
        {"scim": "active", "field": "is_active", "default": True},
        {"scim": "emails[primary eq true].value", "field": "email"},
    ]
}


class Hooks:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def after_write(self, conn: Any, key: Any, resource: Any, previous: Any) -> None:
        self.calls.append(("after_write", key))

    def before_delete(self, conn: Any, key: Any) -> None:
        self.calls.append(("before_delete", key))

    def deactivate(self, conn: Any, key: Any) -> None:
        self.calls.append(("deactivate", key))

    def reactivate(self, conn: Any, key: Any) -> None:
        self.calls.append(("reactivate", key))


class App:
    """A Django-shaped app: users, groups and user_groups."""

    def __init__(self, engine: Any, prefix: str) -> None:
        self.engine, self.prefix = engine, prefix
        meta = MetaData()
        self.users = Table(
            f"{prefix}user",
            meta,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("username", String(150), nullable=False, unique=True),
            Column("email", String(254), nullable=False, server_default=""),
            Column("is_active", Boolean, nullable=False, server_default="1"),
        )
        self.groups = Table(
            f"{prefix}group",
            meta,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("name", String(150), nullable=False, unique=True),
        )
        self.members = Table(
            f"{prefix}user_groups",
            meta,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("user_id", Integer, nullable=False),
            Column("group_id", Integer, nullable=False),
        )
        meta.create_all(engine)
        self.meta = meta

    def store(self, hooks: Any = None, deprovision: Any = "delete") -> TableStore:
        p = self.prefix
        return TableStore(
            self.engine,
            users=UserTable(
                table=f"{p}user",
                key="id",
                mapping=mapping_from_dict(MAPPING),
                hooks=hooks,
                deprovision=deprovision,
            ),
            groups=TableGroups(f"{p}group", "id", "name", f"{p}user_groups", "user_id", "group_id"),
            side_table=f"{p}scim_resource",
            audit_table=f"{p}scim_audit",
        )

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql.replace("@", self.prefix)))]

    def drop(self) -> None:
        with self.engine.begin() as conn:
            for name in ("user", "group", "user_groups", "scim_resource", "scim_audit"):
                conn.execute(text(f"DROP TABLE IF EXISTS {self.prefix}{name}"))
        self.engine.dispose()


@pytest.fixture(params=["sqlite", "mysql", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    prefix = f"g{uuid.uuid4().hex[:8]}_"
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    elif request.param == "mysql":
        engine = create_engine(request.getfixturevalue("mysql_url"))
    else:
        dsn = request.getfixturevalue("pg_dsn")
        engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    a = App(engine, prefix)
    try:
        yield a
    finally:
        a.drop()


def _service(store: TableStore) -> ScimService:
    config = ServiceConfig(
        base_url=BASE,
        authenticator=BearerTokens.from_tokens({"okta": TOKEN}),
        audit_to_store=True,
    )
    return ScimService(store, config, clock=Clock())


def _user(name: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [USER_URN], "userName": name, **extra}


def _group(name: str, members: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [GROUP_URN], "displayName": name}
    if members is not None:
        body["members"] = [{"value": m} for m in members]
    return body


def _memberships(app: App) -> list[tuple[str, str]]:
    return sorted(
        (str(g), str(u))
        for g, u in app.rows(
            "SELECT g.name, u.username FROM @user_groups m JOIN @group g ON g.id = m.group_id"
            " JOIN @user u ON u.id = m.user_id"
        )
    )


def test_groups_and_membership(app: App) -> None:
    with app.engine.begin() as conn:
        conn.execute(app.users.insert().values(username="old"))
        conn.execute(app.groups.insert().values(name="Staff"))
    svc = _service(app.store())
    ann = call(svc, "POST", "/Users", _user("ann")).json()["id"]
    ben = call(svc, "POST", "/Users", _user("ben")).json()["id"]
    old = call(svc, "GET", "/Users", query={"filter": 'userName eq "old"'}).json()
    old_id = old["Resources"][0]["id"]
    listed = call(svc, "GET", "/Groups").json()
    assert [g["displayName"] for g in listed["Resources"]] == ["Staff"]
    staff = listed["Resources"][0]["id"]
    created = call(svc, "POST", "/Groups", _group("Editors", [ann, old_id]))
    assert created.status == 201, created.json()
    gid = created.json()["id"]
    assert sorted(m["value"] for m in created.json()["members"]) == sorted([ann, old_id])
    assert _memberships(app) == [("Editors", "ann"), ("Editors", "old")]
    assert call(svc, "POST", "/Groups", _group("editors")).status == 409
    # a member that is no user is 400, and nothing is written
    bad = call(svc, "POST", "/Groups", _group("Bad", [str(uuid.uuid4())]))
    assert bad.status == 400 and bad.json()["scimType"] == "invalidValue"
    assert app.rows("SELECT count(*) FROM @group") == [(2,)]
    # PATCH members (the member-delta path)
    ops = patch(
        {"op": "add", "path": "members", "value": [{"value": ben}]},
        {"op": "remove", "path": f'members[value eq "{ann}"]'},
    )
    assert call(svc, "PATCH", f"/Groups/{gid}", ops).status in (200, 204)
    assert _memberships(app) == [("Editors", "ben"), ("Editors", "old")]
    bad_add = patch({"op": "add", "path": "members", "value": [{"value": staff}]})
    assert call(svc, "PATCH", f"/Groups/{gid}", bad_add).status == 400
    # a user's groups
    got = call(svc, "GET", f"/Users/{ben}").json()
    assert [g["value"] for g in got["groups"]] == [gid]
    # rename through PUT, members replaced
    put = call(svc, "PUT", f"/Groups/{gid}", _group("Writers", [ann]))
    assert put.status == 200, put.json()
    assert _memberships(app) == [("Writers", "ann")]
    found = call(svc, "GET", "/Groups", query={"filter": 'displayName eq "writers"'}).json()
    assert [g["id"] for g in found["Resources"]] == [gid]
    # deleting a user takes it out of its groups
    assert call(svc, "DELETE", f"/Users/{ann}").status == 204
    assert _memberships(app) == []
    assert call(svc, "DELETE", f"/Groups/{gid}").status == 204
    assert call(svc, "GET", f"/Groups/{gid}").status == 404
    assert app.rows("SELECT name FROM @group") == [("Staff",)]


def test_delete_as_deactivation_and_relink(app: App) -> None:
    hooks = Hooks()
    svc = _service(app.store(hooks=hooks, deprovision="deactivate"))
    created = call(svc, "POST", "/Users", _user("cat"))
    assert created.status == 201
    rid = created.json()["id"]
    (key,) = app.rows("SELECT id FROM @user")[0]
    gid = call(svc, "POST", "/Groups", _group("Team", [rid])).json()["id"]
    assert call(svc, "DELETE", f"/Users/{rid}").status == 204
    assert ("deactivate", key) in hooks.calls
    assert call(svc, "GET", f"/Users/{rid}").status == 404
    assert call(svc, "GET", "/Users").json()["totalResults"] == 0
    assert call(svc, "GET", f"/Groups/{gid}").json().get("members") is None
    assert [bool(a) for (a,) in app.rows("SELECT is_active FROM @user")] == [False]
    again = call(svc, "POST", "/Users", _user("CAT", active=True))
    assert again.status == 201, again.json()
    assert again.json()["id"] == rid and again.json()["active"] is True
    assert again.headers["ETag"] != created.headers["ETag"]
    assert ("reactivate", key) in hooks.calls
    assert [bool(a) for (a,) in app.rows("SELECT is_active FROM @user")] == [True]
    assert app.rows("SELECT count(*) FROM @user") == [(1,)]
    assert call(svc, "POST", "/Users", _user("cat")).status == 409


def test_delete_runs_before_delete(app: App) -> None:
    hooks = Hooks()
    svc = _service(app.store(hooks=hooks))
    rid = call(svc, "POST", "/Users", _user("dan")).json()["id"]
    (key,) = app.rows("SELECT id FROM @user")[0]
    assert call(svc, "DELETE", f"/Users/{rid}").status == 204
    assert hooks.calls == [("after_write", key), ("before_delete", key)]
    assert app.rows("SELECT count(*) FROM @user") == [(0,)]
