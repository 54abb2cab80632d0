"""Referential integrity the database enforces: no dangling group member, ever (issue 12.2)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from scimcore.service import ScimResponse, ScimService
from scimcore.store import PostgresStore, SqliteStore
from tests._service_support import call, group, patch, user
from tests.harden_support import service_on

ROUNDS = 50


def _member_ids(svc: ScimService, gid: str) -> list[str]:
    with svc.store.transaction(readonly=True) as tx:
        found = tx.get("Group", gid)
    assert found is not None
    return [m["value"] for m in found.resource.get("members", [])]


def _user_exists(svc: ScimService, uid: str) -> bool:
    with svc.store.transaction(readonly=True) as tx:
        return tx.get("User", uid) is not None


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_delete_racing_a_member_add_leaves_no_dangling_member(
    kind: str, request: pytest.FixtureRequest
) -> None:
    with service_on(kind, request) as svc:
        keeper = json.loads(call(svc, "POST", "/Users", user("keeper")).body)["id"]
        gid = json.loads(call(svc, "POST", "/Groups", group("racers", [keeper])).body)["id"]
        dangling = 0
        outcomes: set[tuple[str, int]] = set()
        for i in range(ROUNDS):
            uid = json.loads(call(svc, "POST", "/Users", user(f"racer{i}")).body)["id"]
            got = _race(svc, gid, uid)
            assert got["delete"].status == 204, got["delete"].body
            status = got["patch"].status
            outcomes.add(("patch", status))
            assert status in (200, 400, 404, 409), got["patch"].body
            if status == 400:
                body = json.loads(got["patch"].body)
                assert body["scimType"] == "invalidValue"
                assert uid in body["detail"]
            members = _member_ids(svc, gid)
            dangling += sum(1 for m in members if not _user_exists(svc, m))
            assert keeper in members
        assert dangling == 0
        assert _raw_dangling(svc) == 0


def _race(svc: ScimService, gid: str, uid: str) -> dict[str, ScimResponse]:
    """DELETE /Users/{uid} and PATCH /Groups/{gid} adding it, released at the same moment."""
    start = threading.Barrier(2)
    got: dict[str, ScimResponse] = {}

    def delete() -> None:
        start.wait()
        got["delete"] = call(svc, "DELETE", f"/Users/{uid}")

    def add() -> None:
        start.wait()
        body = patch({"op": "add", "path": "members", "value": [{"value": uid}]})
        got["patch"] = call(svc, "PATCH", f"/Groups/{gid}", body)

    threads = [threading.Thread(target=delete), threading.Thread(target=add)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def _raw_dangling(svc: ScimService) -> int:
    """Member rows naming a user or group that is not there, counted in the database itself."""
    store = svc.store
    sql = (
        "SELECT count(*) FROM {p}member m WHERE m.member_id NOT IN (SELECT id FROM {p}user)"
        " AND m.member_id NOT IN (SELECT id FROM {p}group)"
    )
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path)
        try:
            return int(conn.execute(sql.format(p=store._prefix)).fetchone()[0])
        finally:
            conn.close()
    assert isinstance(store, PostgresStore)
    with store._pool.connection() as conn:
        row = conn.execute(sql.format(p=store._prefix)).fetchone()
        assert row is not None
        return int(row[0])


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_the_store_itself_refuses_a_member_that_does_not_exist(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """Below the service's own check: a typed member must exist, and a delete takes it along."""
    from scimcore.errors import InvalidValue

    with service_on(kind, request) as svc:
        store = svc.store
        with store.transaction() as tx:
            tx.create("User", {**user("present"), "id": "u1"})
            tx.create(
                "Group", {**group("g"), "id": "g1", "members": [{"value": "u1", "type": "User"}]}
            )
        with pytest.raises(InvalidValue) as caught, store.transaction() as tx:
            tx.create(
                "Group",
                {**group("h"), "id": "g2", "members": [{"value": "nobody", "type": "User"}]},
            )
        assert caught.value.path == ("members", 0, "value")
        with store.transaction() as tx:
            tx.delete("User", "u1")
        with store.transaction(readonly=True) as tx:
            g1 = tx.get("Group", "g1")
        assert g1 is not None and "members" not in g1.resource


def test_an_existing_sqlite_file_gets_the_member_references(tmp_path: Path) -> None:
    """A database written before the foreign keys is migrated when opened, data kept."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE scim_member (group_seq INTEGER NOT NULL, position INTEGER NOT NULL,
            member_id TEXT, data TEXT NOT NULL, PRIMARY KEY (group_seq, position));
        CREATE TABLE scim_user (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
            version INTEGER NOT NULL, data TEXT NOT NULL);
        CREATE TABLE scim_group (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
            version INTEGER NOT NULL, data TEXT NOT NULL);
        INSERT INTO scim_user (id, version, data) VALUES ('u1', 1, '{"id":"u1","userName":"a"}');
        INSERT INTO scim_group (id, version, data) VALUES ('g1', 1, '{"id":"g1"}');
        INSERT INTO scim_member VALUES (1, 0, 'u1', '{"value":"u1","type":"User"}');
        """
    )
    conn.close()
    store = SqliteStore(str(path))
    try:
        with store.transaction() as tx:
            got = tx.get("Group", "g1")
            assert got is not None and got.resource["members"][0]["value"] == "u1"
            tx.delete("User", "u1")
        with store.transaction(readonly=True) as tx:
            got = tx.get("Group", "g1")
            assert got is not None and "members" not in got.resource
    finally:
        store.close()
