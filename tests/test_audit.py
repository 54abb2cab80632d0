"""The audit log: records, redaction, diffs, IdP detection, and the three backends."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scimcore.audit import (
    REDACTED,
    AuditEvent,
    AuditLog,
    MemoryAuditLog,
    PostgresAuditLog,
    SqliteAuditLog,
    action_for,
    build_record,
    detect_idp,
    diff,
    open_audit_log,
)

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def test_diff_per_sub_attribute_and_redacted() -> None:
    old = {"userName": "a", "name": {"givenName": "A"}, "password": "h1", "meta": {"version": "1"}}
    new = {"userName": "a", "name": {"givenName": "B"}, "password": "h2", "title": "x"}
    changes = diff(old, new)
    assert {"op": "replace", "path": "name.givenName", "old": "A", "new": "B"} in changes
    assert {"op": "replace", "path": "password", "old": REDACTED, "new": REDACTED} in changes
    assert {"op": "add", "path": "title", "new": "x"} in changes
    assert not any(c["path"].startswith("meta") for c in changes)
    assert diff(new, None)[0]["op"] == "remove"


def test_detect_idp() -> None:
    assert detect_idp({"User-Agent": "Okta SCIM Client 1.0.0"}) == "okta"
    assert detect_idp({"ADSCIMVersion": "2.0"}) == "entra"
    assert detect_idp({"user-agent": ""}, "jumpcloud-token") == "jumpcloud-token"
    assert detect_idp({}) is None


def test_action_for() -> None:
    assert action_for("POST", "/Users") == "create"
    assert action_for("post", "/Users/.search") == "search"
    assert action_for("POST", "/Bulk") == "bulk"
    assert action_for("GET", "/Users/1") == "read"
    assert action_for("PATCH", "/Users/1") == "patch"


def test_build_record_never_holds_a_password_or_token() -> None:
    body = {"userName": "jane", "password": "Hunter2!x"}
    rec = build_record(
        method="POST",
        path="/Users",
        status=400,
        headers={"Authorization": "Bearer tok-SECRET-123", "User-Agent": "Okta SCIM Client 1.0.0"},
        time=T0,
        resource_type="User",
        request_body=body,
        error={"scimType": "invalidValue", "detail": "password 'Hunter2!x' is too weak"},
        token_name="okta-prod",
        client_ip="203.0.113.9",
    )
    text = json.dumps(rec.to_dict())
    assert "Hunter2!x" not in text and "tok-SECRET-123" not in text
    assert rec.detail == f"password '{REDACTED}' is too weak"
    assert rec.user_name == "jane" and rec.idp == "okta" and rec.token_name == "okta-prod"
    assert rec.scim_type == "invalidValue" and rec.status == 400 and not rec.ok
    assert rec.diff == ()


def test_build_record_diff_on_success() -> None:
    rec = build_record(
        method="PATCH",
        path="/Users/u1",
        status=200,
        time=T0,
        old={"id": "u1", "userName": "j", "active": True},
        new={"id": "u1", "userName": "j", "active": False, "password": "scrypt$x"},
    )
    assert rec.resource_id == "u1" and rec.action == "patch"
    assert {"op": "replace", "path": "active", "old": True, "new": False} in rec.diff
    assert {"op": "add", "path": "password", "new": REDACTED} in rec.diff


def test_record_round_trips_through_json() -> None:
    rec = build_record(method="DELETE", path="/Users/u1", status=204, time=T0, resource_id="u1")
    again = AuditEvent.from_dict(json.loads(json.dumps(rec.to_dict())))
    assert again == rec
    assert rec.to_dict()["time"] == "2026-11-24T12:00:00Z"


def _rec(i: int, **kw: Any) -> AuditEvent:
    base: dict[str, Any] = {
        "method": "POST",
        "path": "/Users",
        "status": 201,
        "time": T0 + dt.timedelta(minutes=i),
        "record_id": f"r{i:03d}",
        "resource_type": "User",
    }
    base.update(kw)
    return build_record(**base)


@pytest.fixture(params=["memory", "sqlite", "sqlite-conn", "postgres"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditLog]:
    if request.param == "memory":
        out: AuditLog = MemoryAuditLog()
    elif request.param == "sqlite":
        out = open_audit_log(str(tmp_path / "audit.db"))
    elif request.param == "sqlite-conn":
        conn = sqlite3.connect(tmp_path / "shared.db", check_same_thread=False)
        out = SqliteAuditLog(conn, table="my_audit")
    else:
        dsn = request.getfixturevalue("pg_dsn")
        schema = f"audit_{uuid.uuid4().hex[:10]}"
        out = PostgresAuditLog(dsn, schema=schema)
    yield out
    if request.param == "postgres":
        import psycopg

        out.close()
        with psycopg.connect(request.getfixturevalue("pg_dsn"), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    else:
        out.close()


def test_backend_append_search_page_clear(log: AuditLog) -> None:
    for i in range(25):
        log.append(_rec(i, status=201 if i % 5 else 409))
    page = log.search(count=10)
    assert page.total == 25 and len(page.records) == 10
    assert [r.id for r in page.records][:2] == ["r024", "r023"]  # newest first
    last = log.search(start_index=21, count=10)
    assert [r.id for r in last.records] == ["r004", "r003", "r002", "r001", "r000"]
    assert last.to_dict()["itemsPerPage"] == 5
    removed = log.clear(before=T0 + dt.timedelta(minutes=10))
    assert removed == 10 and log.search().total == 15
    assert log.clear() == 15 and log.search().total == 0


def test_audit_log_shares_the_store_file(tmp_path: Path) -> None:
    db = tmp_path / "scim.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id TEXT)")
    conn.commit()
    conn.close()
    log = SqliteAuditLog(f"sqlite:///{db}")
    log.append(_rec(1))
    log.close()
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"users", "scim_audit"} <= tables


def test_backend_search_and_clear_by_scim_filter(log: AuditLog) -> None:
    okta = {"User-Agent": "Okta SCIM Client 1.0.0"}
    log.append(_rec(0, status=201, headers=okta, new={"id": "u0", "userName": "Ann"}))
    log.append(
        _rec(
            1,
            method="PATCH",
            path="/Users/u0",
            status=400,
            error={"scimType": "mutability", "detail": "no"},
            headers={"ADSCIMVersion": "2.0"},
            client_ip="198.51.100.7",
        )
    )
    log.append(_rec(2, method="DELETE", path="/Users/u0", status=204, token_name="jc"))
    ids = lambda f: [r.id for r in log.search(f).records]  # noqa: E731
    assert ids('idp eq "okta"') == ["r000"]
    assert ids("status ge 400") == ["r001"]
    assert ids('scimType eq "MUTABILITY" or action eq "delete"') == ["r002", "r001"]
    assert ids('userName sw "an"') == ["r000"]
    assert ids('clientIp eq "198.51.100.7" and idp eq "entra"') == ["r001"]
    assert ids('tokenName eq "jc"') == ["r002"]
    assert ids('time gt "2026-11-24T12:00:30Z"') == ["r002", "r001"]
    assert ids("diff pr") == ["r000"]
    assert log.clear(filter="status lt 300") == 2
    assert ids(None) == ["r001"]


def test_bad_filter_is_invalid_filter() -> None:
    from scimcore.errors import InvalidFilter

    with pytest.raises(InvalidFilter):
        MemoryAuditLog().search("status gx 1")
