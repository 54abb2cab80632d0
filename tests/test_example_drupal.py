"""The Drupal example end to end: recorded IdP traffic in, rows in Drupal's tables out."""

from __future__ import annotations

import importlib
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.loader import bundled_recordings_dir, load_recordings
from conformance.results import Outcome, RunResult
from conformance.runner import run
from conformance.transport import Request, transport_for
from scimcore.audit import SqliteAuditLog
from scimcore.policy import verify_password

TOKEN = "drupal-token-0123456789"
IDPS = ("jumpcloud", "okta", "miniorange")
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def drupal_app(db: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    """Import ``examples.drupal.app`` fresh, with its database at ``db``."""
    monkeypatch.setenv("DRUPAL_SCIM_DB", str(db))
    monkeypatch.setenv("SCIM_TOKEN", TOKEN)
    monkeypatch.setenv("SCIM_BASE_URL", "http://testserver/scim/v2")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delitem(sys.modules, "examples.drupal.app", raising=False)
    return importlib.import_module("examples.drupal.app").app


def failures(result: RunResult) -> dict[tuple[str, str], str]:
    return {
        (rec.recording.name, step.step.name): step.summary
        for rec in result.results
        for step in rec.steps
        if step.outcome in (Outcome.FAILED, Outcome.ERROR)
    }


@pytest.mark.parametrize("idp", IDPS)
def test_bundled_recordings_pass(idp: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = drupal_app(tmp_path / "drupal.db", monkeypatch, DRUPAL_SCIM_IDP=idp)
    recordings = load_recordings([bundled_recordings_dir() / idp])
    assert recordings
    result = run(recordings, transport_for(app), token=TOKEN)
    assert failures(result) == {}
    assert all(r.outcome is not Outcome.SKIPPED for r in result.results)


def call(app: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One SCIM request to the app in process; (status, parsed body or None)."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
    data = json.dumps(body).encode() if body is not None else None
    resp = transport_for(app).send(Request(method, path, headers=headers, body=data))
    return resp.status, (json.loads(resp.body) if resp.body else None)


def patch(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(ops)}


def tables(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn


@pytest.mark.parametrize("deprovision", ["rfc", "deactivate"])
def test_drupal_tables_after_replay(
    deprovision: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "drupal.db"
    app = drupal_app(db, monkeypatch, DRUPAL_SCIM_IDP="okta", DRUPAL_SCIM_DEPROVISION=deprovision)
    user = {
        "schemas": [USER_URN, ENTERPRISE],
        "userName": "jane.doe@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"value": "Jane.Doe@Example.com", "type": "work", "primary": True}],
        "locale": "de-CH",
        "timezone": "Europe/Zurich",
        "password": "1mz050nq",
        "active": True,
        ENTERPRISE: {"department": "Editorial"},
    }
    status, created = call(app, "POST", "/Users", user)
    assert status == 201, created
    rid = created["id"]
    status, group = call(
        app, "POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "Content Editors"}
    )
    assert status == 201, group
    gid = group["id"]
    add = patch({"op": "add", "path": "members", "value": [{"value": rid}]})
    assert call(app, "PATCH", f"/Groups/{gid}", add)[0] in (200, 204)

    with tables(db) as conn:
        uid = conn.execute("SELECT uid FROM users WHERE uuid = ?", (rid,)).fetchone()["uid"]
        row = conn.execute("SELECT * FROM users_field_data WHERE uid = ?", (uid,)).fetchone()
        assert row["name"] == "jane.doe@example.com"
        assert row["mail"] == row["init"] == "jane.doe@example.com"
        assert row["status"] == 1 and row["langcode"] == "en"
        assert row["preferred_langcode"] == "de" and row["timezone"] == "Europe/Zurich"
        assert verify_password("1mz050nq", row["pass"])
        for field, value in [
            ("first_name", "Jane"),
            ("last_name", "Doe"),
            ("department", "Editorial"),
        ]:
            got = conn.execute(
                f"SELECT bundle, delta, field_{field}_value FROM user__field_{field}"
                " WHERE entity_id = ?",
                (uid,),
            ).fetchall()
            assert [tuple(r) for r in got] == [("user", 0, value)]
        roles = conn.execute("SELECT roles_target_id FROM user__roles WHERE entity_id = ?", (uid,))
        assert [r[0] for r in roles] == ["content_editors"]

    # Deactivate: Drupal's "blocked"; then the group drops the user: the role row goes.
    assert (
        call(app, "PATCH", f"/Users/{rid}", patch({"op": "replace", "value": {"active": False}}))[0]
        == 200
    )
    remove = patch({"op": "remove", "path": f'members[value eq "{rid}"]'})
    assert call(app, "PATCH", f"/Groups/{gid}", remove)[0] in (200, 204)
    with tables(db) as conn:
        assert (
            conn.execute("SELECT status FROM users_field_data WHERE uid = ?", (uid,)).fetchone()[0]
            == 0
        )
        assert conn.execute("SELECT COUNT(*) FROM user__roles").fetchone()[0] == 0

    # DELETE: gone from every table (rfc), or kept blocked (deactivate).
    assert call(app, "DELETE", f"/Users/{rid}")[0] == 204
    with tables(db) as conn:
        left = conn.execute("SELECT status FROM users_field_data WHERE uid = ?", (uid,)).fetchall()
        fields = conn.execute("SELECT COUNT(*) FROM user__field_first_name").fetchone()[0]
        if deprovision == "rfc":
            assert left == [] and fields == 0
            assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0
        else:
            assert [r[0] for r in left] == [0] and fields == 1

    log = SqliteAuditLog(str(db))
    page = log.search(count=100)
    log.close()
    steps = [(e.action, e.resource_type, e.status) for e in reversed(page.records)]
    assert steps == [
        ("create", "User", 201),
        ("create", "Group", 201),
        ("patch", "Group", steps[2][2]),
        ("patch", "User", 200),
        ("patch", "Group", steps[4][2]),
        ("delete", "User", 204),
    ]
    assert "1mz050nq" not in json.dumps(page.to_dict())
