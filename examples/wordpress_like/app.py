"""A WordPress-like site (SQLite tables ``users`` and ``usermeta``) provisioned over SCIM.

scimcore keeps the SCIM view in its SQLite store. After every successful User write (the service
reports each request to its audit sink once it is committed) the glue mirrors the user into
``users``/``usermeta`` through the attribute mapping; users the site already had are imported into
SCIM at start-up (mapping app → SCIM), so an IdP can link them. Run: ``uvicorn app:app``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scimcore.adapters import asgi_app
from scimcore.audit import SqliteAuditLog, audit_sink
from scimcore.mapping import load_mapping, register_transform
from scimcore.policy import ProvisioningPolicy, policy_hook
from scimcore.service import AuditRecord, BearerTokens, ScimService, ServiceConfig
from scimcore.store import SqliteStore

HERE = Path(__file__).parent
register_transform("wp_status", lambda active: 0 if active is not False else 1)
register_transform("wp_active", lambda status: status == 0 if status is not None else None)
MAPPING = load_mapping(HERE / "mapping.toml")
POLICY = ProvisioningPolicy.from_dict(
    {"deprovision": "deactivate", "username": "immutable", "password_sync": True}
)


@contextmanager
def site_db(path: str) -> Iterator[sqlite3.Connection]:
    """A connection to the site's tables, committed and closed at the end of the block."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def mirror(db: sqlite3.Connection, rid: str, resource: dict[str, Any] | None) -> None:
    """Write one SCIM user into ``users``/``usermeta`` (None: it was deleted)."""
    row = db.execute("SELECT ID FROM users WHERE scim_id = ?", (rid,)).fetchone()
    if row is not None:
        db.execute("DELETE FROM usermeta WHERE user_id = ?", (row["ID"],))
    if resource is None:
        db.execute("DELETE FROM users WHERE scim_id = ?", (rid,))
        return
    rec = MAPPING.to_app(resource)
    cols = {**rec.fields, "scim_id": rid}
    if row is None:
        sql = f"INSERT INTO users ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        uid = db.execute(sql, list(cols.values())).lastrowid
    else:
        uid = row["ID"]
        sets = ", ".join(f"{c} = ?" for c in cols)
        db.execute(f"UPDATE users SET {sets} WHERE ID = ?", [*cols.values(), uid])
    db.executemany(
        "INSERT INTO usermeta (user_id, meta_key, meta_value) VALUES (?, ?, ?)",
        [(uid, k, v if isinstance(v, str) else json.dumps(v))
         for k, v in rec.meta.items() if v is not None],
    )  # fmt: skip


def import_site_users(store: SqliteStore) -> None:
    """Give SCIM ids to the users the site had before provisioning."""
    now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    with site_db(store.path) as db:
        for row in db.execute("SELECT * FROM users WHERE scim_id IS NULL").fetchall():
            meta = db.execute(
                "SELECT meta_key, meta_value FROM usermeta WHERE user_id = ?", (row[0],)
            )
            user = MAPPING.to_scim(fields=dict(row), meta=dict(meta.fetchall()))
            user["id"] = rid = uuid.uuid4().hex
            user["meta"] = {"resourceType": "User", "created": now, "lastModified": now}
            with store.transaction() as tx:
                tx.create("User", user)
            db.execute("UPDATE users SET scim_id = ? WHERE ID = ?", (rid, row["ID"]))


def build_app(db: str) -> Any:
    """The ASGI application: SCIM at /scim/v2 over the site database ``db``."""
    store = SqliteStore(db)
    with site_db(db) as conn:
        conn.executescript((HERE / "schema.sql").read_text())
    import_site_users(store)
    audit = audit_sink(SqliteAuditLog(db))

    def after_request(record: AuditRecord) -> None:
        audit(record)
        writes = ("create", "replace", "patch", "delete")
        if record.resource_type == "User" and record.action in writes and record.status < 400:
            with store.transaction(readonly=True) as tx:
                stored = tx.get("User", record.resource_id or "")
            with site_db(db) as conn:
                mirror(conn, record.resource_id, stored.resource if stored else None)

    config = ServiceConfig(
        base_url=os.environ.get("SCIM_BASE_URL", "http://127.0.0.1:8000/scim/v2"),
        authenticator=BearerTokens.from_tokens({"idp": os.environ.get("SCIM_TOKEN", "change-me")}),
        before_write=[policy_hook(POLICY)],
        audit_sink=after_request,
        change_password=POLICY.change_password,
    )
    return asgi_app(ScimService(store, config))


app = build_app(os.environ.get("WP_DB", "wordpress.db"))
