"""The Magento example end to end: recorded IdP traffic in, rows in the Magento tables out."""

from __future__ import annotations

import importlib
import json
import sqlite3
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conformance.loader import load_recordings, select
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import Request, transport_for
from scimcore.audit import SqliteAuditLog
from scimcore.policy import verify_password

TOKEN = "magento-token-0123456789"
IDPS = ("jumpcloud", "okta", "miniorange")
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def load_app(db: Path, monkeypatch: pytest.MonkeyPatch, deprovision: str = "rfc") -> ModuleType:
    monkeypatch.setenv("MAGENTO_SCIM_DB", str(db))
    monkeypatch.setenv("MAGENTO_SCIM_DEPROVISION", deprovision)
    monkeypatch.setenv("SCIM_TOKEN", TOKEN)
    monkeypatch.setenv("SCIM_BASE_URL", "http://testserver/scim/v2")
    monkeypatch.delitem(sys.modules, "examples.magento.app", raising=False)
    return importlib.import_module("examples.magento.app")


def rows(db: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("idp", IDPS)
def test_bundled_recordings_pass(idp: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_app(tmp_path / "magento.db", monkeypatch)
    recordings = select(load_recordings(), idps=[idp])
    assert recordings
    result = run(recordings, transport_for(module.app), token=TOKEN)
    failed = {
        (r.recording.name, s.step.name): s.summary
        for r in result.results
        for s in r.steps
        if s.outcome in (Outcome.FAILED, Outcome.ERROR)
    }
    assert failed == {}
    assert all(r.outcome is not Outcome.SKIPPED for r in result.results)


def call(module: ModuleType, method: str, path: str, body: object = None) -> tuple[int, Any]:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": "application/scim+json",
        "User-Agent": "Okta SCIM Client 1.0.0",
    }
    raw = json.dumps(body).encode() if body is not None else None
    response = transport_for(module.app).send(Request(method, path, {}, headers, raw))
    return response.status, (response.json() if response.body else None)


def members(op: str, *ids: str) -> dict[str, Any]:
    value = [{"value": i} for i in ids]
    return {"schemas": [PATCH_URN], "Operations": [{"op": op, "path": "members", "value": value}]}


def test_customer_lands_in_magento_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "magento.db"
    module = load_app(db, monkeypatch)
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO store_website (website_id, code, name) VALUES (2, 'b2b', 'B2B')")
    conn.commit()
    conn.close()
    user = {
        "schemas": [USER_URN, ENTERPRISE],
        "userName": "jane.doe@example.com",
        "externalId": "00u1",
        "name": {"givenName": "Jane", "familyName": "Doe", "honorificPrefix": "Dr."},
        "emails": [{"value": "Jane.Doe@Example.com", "type": "work", "primary": True}],
        "password": "1mz050nq",
        "locale": "en-GB",
        ENTERPRISE: {"department": "Purchasing"},
    }
    status, created = call(module, "POST", "/Users", user)
    assert status == 201, created
    uid = created["id"]
    twin = {**user, "userName": "other@example.com"}
    assert call(module, "POST", "/Users", twin)[0] == 409  # one email, one customer
    groups = {}
    for name in ("Wholesale", "VIP Customers", "b2b"):
        status, group = call(
            module, "POST", "/Groups", {"schemas": [GROUP_URN], "displayName": name}
        )
        assert status == 201, group
        groups[name] = group["id"]
        assert call(module, "PATCH", f"/Groups/{group['id']}", members("add", uid))[0] in (200, 204)

    (row,) = rows(db, "SELECT * FROM customer_entity")
    assert row["email"] == "jane.doe@example.com"
    assert (row["firstname"], row["lastname"], row["prefix"]) == ("Jane", "Doe", "Dr.")
    assert row["is_active"] == 1 and verify_password("1mz050nq", row["password_hash"])
    assert row["created_at"] == created["meta"]["created"]
    vip = rows(db, "SELECT * FROM customer_group WHERE customer_group_code = 'VIP Customers'")
    assert row["group_id"] == vip[0]["customer_group_id"] > 3  # first group by name wins
    assert row["website_id"] == 2  # the group named like a website
    eav = {
        r["attribute_code"]: r["value"]
        for r in rows(
            db,
            "SELECT a.attribute_code, v.value FROM customer_entity_varchar v JOIN eav_attribute a"
            " USING (attribute_id) WHERE v.entity_id = ?",
            row["entity_id"],
        )
    }
    assert eav["scim_username"] == "jane.doe@example.com"
    assert eav["scim_external_id"] == "00u1" and eav["locale"] == "en-GB"
    assert eav[f"scim:{ENTERPRISE}:department"] == "Purchasing"

    gid = groups["VIP Customers"]
    assert call(module, "PATCH", f"/Groups/{gid}", members("remove", uid))[0] in (200, 204)
    assert rows(db, "SELECT group_id FROM customer_entity")[0][0] == 2  # Wholesale (built in)
    assert call(module, "DELETE", f"/Groups/{groups['Wholesale']}")[0] == 204
    assert rows(db, "SELECT group_id FROM customer_entity")[0][0] == 1  # General
    assert len(rows(db, "SELECT * FROM customer_group WHERE customer_group_id = 2")) == 1
    deactivate = {
        "schemas": [PATCH_URN],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    assert call(module, "PATCH", f"/Users/{uid}", deactivate)[0] == 200
    assert rows(db, "SELECT is_active FROM customer_entity")[0][0] == 0
    assert call(module, "DELETE", f"/Users/{uid}")[0] == 204
    assert rows(db, "SELECT * FROM customer_entity") == []
    assert rows(db, "SELECT * FROM customer_entity_varchar") == []

    log = SqliteAuditLog(str(db))
    try:
        steps = [
            (e.action, e.resource_type, e.status) for e in reversed(log.search(count=100).records)
        ]
    finally:
        log.close()
    assert steps[:2] == [("create", "User", 201), ("create", "User", 409)]
    assert steps[-3:] == [("delete", "Group", 204), ("patch", "User", 200), ("delete", "User", 204)]
    assert len(steps) == 2 + 3 * 2 + 4


def test_delete_deactivates_under_the_deactivate_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "magento.db"
    module = load_app(db, monkeypatch, deprovision="deactivate")
    user = {"schemas": [USER_URN], "userName": "kim@example.com"}
    status, created = call(module, "POST", "/Users", user)
    assert status == 201
    assert call(module, "DELETE", f"/Users/{created['id']}")[0] == 204
    (row,) = rows(db, "SELECT email, is_active FROM customer_entity")
    assert (row["email"], row["is_active"]) == ("kim@example.com", 0)


def test_replayed_users_land_in_customer_entity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "magento.db"
    module = load_app(db, monkeypatch)
    wanted = {"okta/user-lifecycle-oin", "jumpcloud/user-lifecycle", "miniorange/user-delete"}
    recordings = [r for r in load_recordings() if r.name in wanted]
    result = run(recordings, transport_for(module.app), token=TOKEN, cleanup=False)
    assert {r.outcome for r in result.results} == {Outcome.PASSED}
    users = {r.recording.name: r.variables for r in result.results}
    customers = rows(
        db,
        "SELECT c.*, v.value AS user_name FROM customer_entity c JOIN customer_entity_varchar v"
        " USING (entity_id) JOIN eav_attribute a USING (attribute_id)"
        " WHERE a.attribute_code = 'scim_username' ORDER BY c.entity_id",
    )
    # miniOrange deleted its user: only Okta's and JumpCloud's remain, reactivated, General group
    assert sorted(c["user_name"] for c in customers) == sorted(
        [
            users["okta/user-lifecycle-oin"]["userName"],
            users["jumpcloud/user-lifecycle"]["userName"],
        ]
    )
    assert all(c["is_active"] == 1 and c["group_id"] == 1 and c["firstname"] for c in customers)
    log = SqliteAuditLog(str(db))
    try:
        writes = log.search(
            'action eq "create" or action eq "patch" or action eq "replace" or action eq "delete"',
            count=200,
        ).records
    finally:
        log.close()
    sent = [s for r in result.results for s in r.steps if s.request and s.request.method != "GET"]
    assert len(writes) == len(sent)
