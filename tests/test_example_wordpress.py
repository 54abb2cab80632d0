"""The WordPress-like example end to end: SCIM in, rows in ``users``/``usermeta`` out."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sqlite3
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from scimcore.audit import SqliteAuditLog
from scimcore.policy import verify_password

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "wordpress_like"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
AUTH = {"Authorization": "Bearer change-me", "User-Agent": "Okta SCIM Client 1.0.0"}


def load_example(db: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("WP_DB", str(db))
    monkeypatch.setenv("SCIM_TOKEN", "change-me")
    spec = importlib.util.spec_from_file_location("wordpress_like_app", EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "wordpress_like_app", module)
    spec.loader.exec_module(module)
    return module


def run(app: Any, calls: list[tuple[str, str, Any]]) -> list[httpx.Response]:
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


def test_wordpress_like_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "site.db"
    site = sqlite3.connect(db)
    site.executescript((EXAMPLE / "schema.sql").read_text())
    site.execute(
        "INSERT INTO users (ID, user_login, user_email) VALUES (1, 'admin', 'a@x.example')"
    )
    site.execute(
        "INSERT INTO usermeta (user_id, meta_key, meta_value) VALUES (1, 'first_name', 'Ada')"
    )
    site.commit()
    site.close()
    module = load_example(db, monkeypatch)

    user = {
        "schemas": [USER_URN],
        "userName": "jane.doe@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"value": "Jane.Doe@Example.com", "type": "work", "primary": True}],
        "roles": [{"value": "editor"}, {"value": "author"}],
        "password": "1mz050nq",
        "active": True,
    }
    imported, created = run(
        module.app,
        [("GET", '/Users?filter=userName eq "admin"', None), ("POST", "/Users", user)],
    )
    assert imported.json()["Resources"][0]["name"]["givenName"] == "Ada"
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    deactivate = {
        "schemas": [PATCH_URN],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    rename = {**created.json(), "userName": "john@example.com"}
    patched, renamed, deleted = run(
        module.app,
        [
            ("PATCH", f"/Users/{rid}", deactivate),
            ("PUT", f"/Users/{rid}", rename),
            ("DELETE", f"/Users/{rid}", None),
        ],
    )
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert renamed.status_code == 400 and renamed.json()["scimType"] == "mutability"
    assert deleted.status_code == 204

    site = sqlite3.connect(db)
    site.row_factory = sqlite3.Row
    row = site.execute("SELECT * FROM users WHERE scim_id = ?", (rid,)).fetchone()
    assert row["user_login"] == "jane.doe@example.com"
    assert row["user_email"] == "jane.doe@example.com"
    assert row["user_status"] == 1  # deactivated, kept: login blocked
    assert verify_password("1mz050nq", row["user_pass"])
    meta = dict(
        site.execute("SELECT meta_key, meta_value FROM usermeta WHERE user_id = ?", (row["ID"],))
    )
    assert meta["first_name"] == "Jane" and meta["wp_roles"] == "editor,author"
    site.close()

    log = SqliteAuditLog(str(db))
    assert log.search('action eq "replace" and scimType eq "mutability"').total == 1
    assert "1mz050nq" not in json.dumps(log.search(count=100).to_dict())
    log.close()
