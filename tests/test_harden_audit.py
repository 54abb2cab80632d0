"""Audit records in the write's transaction; reads only when asked; tokens redacted (issue 12.4)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from scimcore.audit import (
    AUDIT_COLUMNS,
    AuditEvent,
    MemoryAuditLog,
    SqliteAuditLog,
    attach_audit_log,
    audit_row,
    audit_sink,
)
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from scimcore.service._serve import open_store
from scimcore.store import PostgresStore, SqliteStore, Store
from tests._service_support import BASE, TOKEN, call, patch, user
from tests.harden_support import service_on

SQL = ["sqlite", "postgres"]
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def _audit_rows(store: Store) -> list[dict[str, Any]]:
    table = f"{store._prefix}audit"  # type: ignore[attr-defined]
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path)
        try:
            rows = conn.execute(f"SELECT data FROM {table} ORDER BY time, id").fetchall()
        finally:
            conn.close()
        return [json.loads(r[0]) for r in rows]
    assert isinstance(store, PostgresStore)
    with store._pool.connection() as conn:
        rows = conn.execute(f"SELECT data FROM {table} ORDER BY time, id").fetchall()
    return [r[0] for r in rows]


def _drop_audit_table(store: Store) -> None:
    table = f"{store._prefix}audit"  # type: ignore[attr-defined]
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path)
        conn.execute(f"DROP TABLE {table}")
        conn.commit()
        conn.close()
        return
    assert isinstance(store, PostgresStore)
    with store._pool.connection() as conn:
        conn.execute(f"DROP TABLE {table}")


def _users(svc: ScimService) -> int:
    with svc.store.transaction(readonly=True) as tx:
        from scimcore.store import Query

        return tx.search("User", Query()).total


@pytest.mark.parametrize("kind", SQL)
def test_every_write_is_recorded_in_its_own_transaction(
    kind: str, request: pytest.FixtureRequest
) -> None:
    with service_on(kind, request, audit_to_store=True) as svc:
        r = call(svc, "POST", "/Users", user("a1", password="Secr3t!pass"))
        assert r.status == 201
        uid = r.json()["id"]
        assert (
            call(
                svc,
                "PATCH",
                f"/Users/{uid}",
                patch({"op": "replace", "path": "title", "value": "x"}),
            ).status
            == 200
        )
        assert call(svc, "GET", f"/Users/{uid}").status == 200  # a read: not recorded
        assert call(svc, "GET", "/Users/nobody").status == 404  # a failure: recorded
        assert call(svc, "POST", "/Users", user("a1")).status == 409  # failed write: recorded
        bulk = {"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "b1", "data": user("b1")},
            {"method": "DELETE", "path": "/Users/nobody"},
        ]}  # fmt: skip
        assert call(svc, "POST", "/Bulk", bulk).status == 200
        assert call(svc, "DELETE", f"/Users/{uid}").status == 204
        rows = _audit_rows(svc.store)
        got = sorted((r["action"], r["method"], r["status"]) for r in rows)
        assert got == sorted(
            [
                ("create", "POST", 201),
                ("patch", "PATCH", 200),
                ("read", "GET", 404),
                ("create", "POST", 409),
                ("create", "POST", 201),
                ("delete", "DELETE", 404),
                ("bulk", "POST", 200),
                ("delete", "DELETE", 204),
            ]
        )
        assert "Secr3t" not in json.dumps(rows)
        created = next(r for r in rows if r["status"] == 201 and r.get("userName") == "a1")
        assert {"op": "add", "path": "password", "new": "[redacted]"} in created["diff"]


@pytest.mark.parametrize("kind", SQL)
def test_a_write_whose_record_cannot_be_written_fails(
    kind: str, request: pytest.FixtureRequest
) -> None:
    with service_on(kind, request, audit_to_store=True) as svc:
        uid = call(svc, "POST", "/Users", user("kept")).json()["id"]
        _drop_audit_table(svc.store)
        r = call(svc, "POST", "/Users", user("never"))
        assert r.status == 500, r.body
        assert "audit" in r.json()["detail"]
        assert call(svc, "DELETE", f"/Users/{uid}").status == 500
        r = call(svc, "PATCH", f"/Users/{uid}", patch({"op": "add", "path": "title", "value": "t"}))
        assert r.status == 500
        assert _users(svc) == 1  # nothing was written: not the create, not the delete
        r = call(svc, "GET", f"/Users/{uid}")
        assert r.status == 200 and "title" not in r.json()


@pytest.mark.parametrize("kind", SQL)
def test_reads_are_recorded_only_when_asked(kind: str, request: pytest.FixtureRequest) -> None:
    with service_on(kind, request, audit_to_store=True, audit_reads=True) as svc:
        uid = call(svc, "POST", "/Users", user("r1")).json()["id"]
        assert call(svc, "GET", f"/Users/{uid}").status == 200
        assert call(svc, "GET", "/Users").status == 200
        assert [r["action"] for r in _audit_rows(svc.store)] == ["create", "read", "list"]
        _drop_audit_table(svc.store)
        assert call(svc, "GET", f"/Users/{uid}").status == 500  # a read that must be recorded


@pytest.mark.parametrize("kind", ["memory", *SQL])
def test_tokens_in_paths_never_reach_the_audit_log(
    kind: str, request: pytest.FixtureRequest
) -> None:
    log = MemoryAuditLog()
    with service_on(kind, request, audit_to_store=True, audit_sink=audit_sink(log)) as svc:
        secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0dG9rZW4"
        for path in (
            f"/Users%3Faccess_token={secret}",
            f"/Users%3Faccess_token%3D{secret}",
            f"/Users/x?token={secret}",
        ):
            assert call(svc, "GET", path).status >= 400
        if kind == "memory":
            rows = [r.to_dict() for r in log.search().records]
        else:
            rows = _audit_rows(svc.store)
            assert log.search().total == 0  # the store took every record
        assert len(rows) == 3
        assert secret not in json.dumps(rows)
        assert all("[redacted]" in r["path"] or "token" not in r["path"] for r in rows)


def test_the_sink_still_serves_stores_without_write_audit(request: pytest.FixtureRequest) -> None:
    log = MemoryAuditLog()
    with service_on("memory", request, audit_to_store=True, audit_sink=audit_sink(log)) as svc:
        assert call(svc, "POST", "/Users", user("m1")).status == 201
        assert call(svc, "GET", "/Users").status == 200
        assert [r.action for r in log.search().records] == ["create"]


def test_scimcore_serve_records_in_the_write_transaction(tmp_path: Path) -> None:
    """The reference server's wiring: SQLite store, records in the store's transaction."""
    db = str(tmp_path / "serve.db")
    config = ServiceConfig(base_url=BASE, authenticator=BearerTokens.from_tokens({"t": TOKEN}))
    store = open_store(db, config)
    config, log = attach_audit_log(config, db)
    assert log is not None and config.audit_to_store
    try:
        svc = ScimService(store, config)
        assert call(svc, "POST", "/Users", user("s1")).status == 201
        assert [e.action for e in SqliteAuditLog(db).search().records] == ["create"]
        _drop_audit_table(store)
        assert call(svc, "POST", "/Users", user("s2")).status == 500
        assert _users(svc) == 1
    finally:
        store.close()
        log.close()


def test_audit_row_is_the_shape_every_backend_reads() -> None:
    import datetime as dt

    event = AuditEvent(
        id="e1",
        time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        action="create",
        path="/Users%3Faccess_token=abc",
        detail="nul \x00 and \ud800",
    )
    row = audit_row(event)
    assert tuple(row) == AUDIT_COLUMNS
    data = json.loads(row["data"])
    assert data["path"] == "/Users?access_token=[redacted]"
    assert "\x00" not in row["data"] and "\\x00" in data["detail"]
    row["data"].encode("utf-8")  # no lone surrogate left


def _refuse_audit_rows(store: Store, key: str, value: str) -> None:
    """A trigger on the audit table refusing the records whose ``key`` is ``value``."""
    table = f"{store._prefix}audit"  # type: ignore[attr-defined]
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path)
        conn.execute(
            f"CREATE TRIGGER refuse_audit BEFORE INSERT ON {table}"
            f" WHEN json_extract(NEW.data, '$.{key}') = '{value}'"
            " BEGIN SELECT RAISE(ABORT, 'refused by the audit table'); END"
        )
        conn.commit()
        conn.close()
        return
    assert isinstance(store, PostgresStore)
    function = f"{table}_refuse"
    with store._pool.connection() as conn:
        conn.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF NEW.data->>'{key}' = '{value}' THEN"
            " RAISE EXCEPTION 'refused by the audit table'; END IF; RETURN NEW; END $$"
        )
        conn.execute(
            f"CREATE TRIGGER refuse_audit BEFORE INSERT ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def _titles(svc: ScimService, *ids: str) -> list[Any]:
    return [call(svc, "GET", f"/Users/{i}").json().get("title") for i in ids]


@pytest.mark.parametrize("kind", SQL)
def test_a_bulk_is_answered_as_its_operations_committed(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """The Bulk's own record cannot be stored: the operations that committed (with their
    records) are still reported as done, not hidden behind a 500."""
    with service_on(kind, request, audit_to_store=True) as svc:
        uid = call(svc, "POST", "/Users", user("b1")).json()["id"]
        _refuse_audit_rows(svc.store, "action", "bulk")
        bulk = {"schemas": [BULK], "Operations": [
            {"method": "PATCH", "path": f"/Users/{uid}",
             "data": patch({"op": "add", "path": "title", "value": "done"})},
            {"method": "DELETE", "path": "/Users/nobody"},
        ]}  # fmt: skip
        r = call(svc, "POST", "/Bulk", bulk)
        assert r.status == 200, r.body
        assert [op["status"] for op in r.json()["Operations"]] == ["200", "404"]
        assert _titles(svc, uid) == ["done"]
        rows = _audit_rows(svc.store)
        assert [(e["action"], e["status"]) for e in rows if e.get("resourceId") == uid] == [
            ("create", 201),
            ("patch", 200),
        ]


@pytest.mark.parametrize("kind", SQL)
def test_a_bulk_operation_whose_record_fails_is_undone(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """One operation's record is refused: that operation is reported failed and left nothing,
    the others are reported done and committed with their records."""
    with service_on(kind, request, audit_to_store=True) as svc:
        kept = call(svc, "POST", "/Users", user("k1")).json()["id"]
        _refuse_audit_rows(svc.store, "userName", "refused")
        bulk = {"schemas": [BULK], "Operations": [
            {"method": "PATCH", "path": f"/Users/{kept}",
             "data": patch({"op": "add", "path": "title", "value": "done"})},
            {"method": "POST", "path": "/Users", "bulkId": "r", "data": user("refused")},
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("accepted")},
        ]}  # fmt: skip
        r = call(svc, "POST", "/Bulk", bulk)
        assert r.status == 200, r.body
        assert [op["status"] for op in r.json()["Operations"]] == ["200", "500", "201"]
        assert _titles(svc, kept) == ["done"]
        found = call(svc, "GET", "/Users", query={"filter": 'userName eq "refused"'}).json()
        assert found["totalResults"] == 0
        assert _users(svc) == 2
        done = {(e["action"], e.get("userName"), e["status"]) for e in _audit_rows(svc.store)}
        assert {("patch", "k1", 200), ("create", "accepted", 201)} <= done


def _doom_commits(store: Store, who: str) -> None:
    """A trigger on the audit table breaking a deferred foreign key when the record of a
    successful write for ``who`` is inserted: the database refuses that transaction's COMMIT."""
    table = f"{store._prefix}audit"  # type: ignore[attr-defined]
    ddl = [
        "CREATE TABLE faults_parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE faults_child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL"
        " REFERENCES faults_parent (id) DEFERRABLE INITIALLY DEFERRED)",
    ]
    if isinstance(store, SqliteStore):
        ddl.append(
            f"CREATE TRIGGER doom AFTER INSERT ON {table}"
            f" WHEN json_extract(NEW.data, '$.userName') = '{who}'"
            " AND json_extract(NEW.data, '$.status') < 400"
            " BEGIN INSERT INTO faults_child (id, parent) VALUES (1, 404); END"
        )
        conn = sqlite3.connect(store.path)
        for statement in ddl:
            conn.execute(statement)
        conn.commit()
        conn.close()
        return
    assert isinstance(store, PostgresStore)
    schema = store._schema
    ddl = [d.replace("faults_", f'"{schema}".faults_') for d in ddl]
    ddl.append(
        f'CREATE FUNCTION "{schema}".doom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN'
        f" IF NEW.data->>'userName' = '{who}' AND (NEW.data->>'status')::int < 400 THEN"
        f' INSERT INTO "{schema}".faults_child (id, parent) VALUES (1, 404); END IF;'
        " RETURN NEW; END $$"
    )
    ddl.append(
        f"CREATE TRIGGER doom AFTER INSERT ON {table}"
        f' FOR EACH ROW EXECUTE FUNCTION "{schema}".doom()'
    )
    with store._pool.connection() as conn:
        for statement in ddl:
            conn.execute(statement)


@pytest.mark.parametrize("kind", SQL)
def test_a_commit_the_database_refuses_leaves_the_connections_clean(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """A COMMIT the database refuses (a deferred foreign key): 500, the write is gone, and the
    next requests work (SQLite keeps a transaction open when its COMMIT fails)."""
    with service_on(kind, request, audit_to_store=True) as svc:
        _doom_commits(svc.store, "doomed")
        assert call(svc, "POST", "/Users", user("doomed")).status == 500
        for name in ("fine", "also-fine"):
            assert call(svc, "POST", "/Users", user(name)).status == 201
        assert _users(svc) == 2
        found = call(svc, "GET", "/Users", query={"filter": 'userName eq "doomed"'}).json()
        assert found["totalResults"] == 0
        rows = _audit_rows(svc.store)
        doomed = [(e["action"], e["status"]) for e in rows if e.get("userName") == "doomed"]
        assert doomed == [("create", 500)]  # the failure is recorded, the lost success is not
