"""The WordPress example end to end: IdP traffic in, rows in ``wp_users``/``wp_usermeta`` out."""

from __future__ import annotations

import asyncio
import importlib
import json
import sqlite3
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from conformance.loader import bundled_recordings_dir, load_file
from conformance.results import Outcome, RunResult
from conformance.runner import run
from conformance.transport import transport_for
from scimcore.audit import AuditEvent, SqliteAuditLog
from scimcore.policy import verify_password

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "wordpress"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
AUTH = {"Authorization": "Bearer change-me", "User-Agent": "Okta SCIM Client 1.0.0"}


def load_example(db: Path, monkeypatch: pytest.MonkeyPatch, deprovision: str) -> ModuleType:
    """A fresh import of ``examples.wordpress.app`` over the database ``db``."""
    monkeypatch.setenv("WP_DB", str(db))
    monkeypatch.setenv("SCIM_TOKEN", "change-me")
    monkeypatch.setenv("WP_DEPROVISION", deprovision)
    monkeypatch.delitem(sys.modules, "examples.wordpress.app", raising=False)
    return importlib.import_module("examples.wordpress.app")


def replay(app: Any, name: str) -> RunResult:
    """Replay one bundled recording without the runner's clean-up, so the rows stay to be read."""
    recording = load_file(bundled_recordings_dir() / f"{name}.json")
    result = run([recording], transport_for(app), token="change-me", cleanup=False)
    assert result.results[0].outcome is Outcome.PASSED, result.results[0].failed_steps
    return result


def site(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn


def audit_trail(db: Path) -> list[AuditEvent]:
    """Every audited request touching /Users, oldest first."""
    log = SqliteAuditLog(str(db))
    try:
        events = list(log.search(count=1000).records)
    finally:
        log.close()
    return [e for e in reversed(events) if "/Users" in e.path]


def assert_every_step_audited(result: RunResult, db: Path) -> None:
    steps = [(s.request.method, s.response.status) for s in result.results[0].steps
             if s.request is not None and s.response is not None]  # fmt: skip
    assert [(e.method, e.status) for e in audit_trail(db)] == steps


def test_okta_lifecycle_lands_in_wordpress_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "wp.db"
    app = load_example(db, monkeypatch, "delete").app
    result = replay(app, "okta/user-lifecycle-oin")
    user_name, user_id = result.results[0].variables["userName"], ""
    conn = site(db)
    row = conn.execute("SELECT * FROM wp_users WHERE user_login = ?", (user_name,)).fetchone()
    meta = dict(conn.execute(
        "SELECT meta_key, meta_value FROM wp_usermeta WHERE user_id = ?", (row["ID"],)
    ).fetchall())  # fmt: skip
    conn.close()
    user_id = meta["scim_id"]
    assert row["user_email"] == user_name
    assert row["display_name"] == "Jane Q Doe"  # the PUT's value
    assert row["user_status"] == 0  # deactivated, then reactivated
    assert row["user_nicename"] == user_name.replace("@", "-").replace(".", "-")
    assert len(row["user_registered"]) == 19  # 'YYYY-MM-DD HH:MM:SS'
    assert meta["first_name"] == "Jane" and meta["last_name"] == "Doe"
    assert meta["locale"] == "en-US" and meta["scim_external_id"].startswith("00u")
    assert_every_step_audited(result, db)
    flips = [e.diff for e in audit_trail(db) if e.action == "patch" and e.resource_id == user_id]
    assert len(flips) == 2 and "active" in json.dumps(flips)


def test_miniorange_delete_removes_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "wp.db"
    app = load_example(db, monkeypatch, "delete").app
    result = replay(app, "miniorange/user-delete")
    conn = site(db)
    assert conn.execute("SELECT COUNT(*) FROM wp_users").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM wp_usermeta").fetchone()[0] == 0
    conn.close()
    assert_every_step_audited(result, db)
    deletes = [e.status for e in audit_trail(db) if e.action == "delete"]
    assert deletes == [204, 404]


def call(app: Any, calls: list[tuple[str, str, Any]]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        base = "http://127.0.0.1:8000/scim/v2"
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            out = []
            for method, path, body in calls:
                content = json.dumps(body).encode() if body is not None else None
                hdrs = {**AUTH, "Content-Type": "application/scim+json"}
                out.append(await client.request(method, path, content=content, headers=hdrs))
            return out

    return asyncio.run(go())


def test_deactivate_mode_keeps_a_blocked_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "wp.db"
    conn = site(db)
    conn.executescript((EXAMPLE / "schema.sql").read_text())
    conn.execute(
        "INSERT INTO wp_users (ID, user_login, user_email) VALUES (1, 'admin', 'a@x.test')"
    )
    conn.execute(
        "INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES (1, 'first_name', 'Ada')"
    )
    conn.commit()
    conn.close()
    app = load_example(db, monkeypatch, "deactivate").app

    user = {
        "schemas": [USER_URN],
        "userName": "jane.doe@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"value": "jane.doe@example.com", "type": "work", "primary": True}],
        "roles": [{"value": "editor"}, {"value": "author"}],
        "password": "1mz050nq",
        "active": True,
    }
    imported, created = call(
        app, [("GET", '/Users?filter=userName eq "admin"', None), ("POST", "/Users", user)]
    )
    assert imported.json()["Resources"][0]["name"]["givenName"] == "Ada"
    assert created.status_code == 201, created.text
    assert {r["value"] for r in created.json()["roles"]} == {"editor", "author"}
    rid = created.json()["id"]
    rename = {**created.json(), "userName": "john@example.com"}
    renamed, deleted, after = call(
        app,
        [("PUT", f"/Users/{rid}", rename), ("DELETE", f"/Users/{rid}", None),
         ("GET", f"/Users/{rid}", None)],
    )  # fmt: skip
    assert renamed.status_code == 400 and renamed.json()["scimType"] == "mutability"
    assert deleted.status_code == 204
    assert after.status_code == 200 and after.json()["active"] is False

    conn = site(db)
    row = conn.execute(
        "SELECT * FROM wp_users WHERE user_login = 'jane.doe@example.com'"
    ).fetchone()
    assert row["user_status"] == 1  # deleted at the IdP: kept here, login blocked
    assert verify_password("1mz050nq", row["user_pass"])
    meta = dict(conn.execute(
        "SELECT meta_key, meta_value FROM wp_usermeta WHERE user_id = ?", (row["ID"],)
    ).fetchall())  # fmt: skip
    conn.close()
    assert meta["wp_capabilities"] == 'a:2:{s:6:"editor";b:1;s:6:"author";b:1;}'
    assert meta["scim_id"] == rid and meta["first_name"] == "Jane"

    log = SqliteAuditLog(str(db))
    assert log.search('action eq "replace" and scimType eq "mutability"').total == 1
    assert log.search('action eq "delete" and status eq 204').total == 1
    assert "1mz050nq" not in json.dumps(log.search(count=100).to_dict())
    log.close()
