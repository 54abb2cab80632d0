"""A Drupal-shaped site (``users``, ``users_field_data``, ``user__field_*``, ``user__roles``)
provisioned over SCIM.

scimcore keeps the SCIM view in its SQLite store (the same file). After every committed User or
Group write the service reports to its audit sink; the glue then mirrors the user into Drupal's
tables through the attribute mapping, or the group into a role and ``user__roles`` rows.
Run: ``uvicorn app:app`` (see README.md).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import tomllib
from pathlib import Path
from typing import Any

from scimcore.adapters import asgi_app
from scimcore.audit import SqliteAuditLog, audit_sink
from scimcore.mapping import AttributeMapping, mapping_from_dict, register_transform
from scimcore.policy import ProvisioningPolicy, policy_hook
from scimcore.service import AuditRecord, BearerTokens, ScimService, ServiceConfig
from scimcore.store import SqliteStore

HERE = Path(__file__).parent
WRITES = ("create", "replace", "patch", "delete")
register_transform("drupal_status", lambda active: 0 if active is False else 1)
register_transform("drupal_langcode", lambda tag: tag.split("-")[0].lower() if tag else None)


def load_idp_mapping(idp: str) -> AttributeMapping:
    """The shared rules of ``mapping.toml`` plus those of ``idp`` (okta, jumpcloud, miniorange)."""
    doc = tomllib.loads((HERE / "mapping.toml").read_text())
    return mapping_from_dict({"rules": [*doc["rules"], *doc[idp.lower()]]})


def _field_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE 'user\\_\\_field\\_%' ESCAPE '\\'"
    )
    return [r[0] for r in rows]


def mirror_user(db: sqlite3.Connection, mapping: AttributeMapping, rid: str, user: Any) -> None:
    """Write one SCIM user into Drupal's tables (``user`` None: it was deleted)."""
    row = db.execute("SELECT uid FROM users WHERE uuid = ?", (rid,)).fetchone()
    now = int(time.time())
    if user is None:
        if row is not None:
            for table in [*_field_tables(db), "user__roles"]:
                db.execute(f"DELETE FROM {table} WHERE entity_id = ?", row)
            db.execute("DELETE FROM users_field_data WHERE uid = ?", row)
            db.execute("DELETE FROM users WHERE uid = ?", row)
        return
    rec = mapping.to_app(user)
    keep = ("pass", "preferred_langcode")  # not sent: keep what the site has
    cols = {k: v for k, v in rec.fields.items() if k not in keep or v is not None}
    if row is None:
        uid = db.execute("INSERT INTO users (uuid) VALUES (?)", (rid,)).lastrowid
        new = {"uid": uid, "langcode": "en", "preferred_langcode": "en", "created": now}
        cols = {**new, "init": cols.get("mail"), **cols}
        db.execute(
            f"INSERT INTO users_field_data ({', '.join(cols)}, changed)"
            f" VALUES ({', '.join('?' * len(cols))}, ?)",
            [*cols.values(), now],
        )
    else:
        uid = row[0]
        sets = ", ".join(f"{c} = ?" for c in cols)
        db.execute(f"UPDATE users_field_data SET {sets}, changed = ? WHERE uid = ?",
                   [*cols.values(), now, uid])  # fmt: skip
    for key, value in rec.meta.items():
        table = f"user__{key}"
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (bundle TEXT NOT NULL, deleted INTEGER NOT NULL,"
            " entity_id INTEGER NOT NULL, revision_id INTEGER NOT NULL, langcode TEXT NOT NULL,"
            f" delta INTEGER NOT NULL, {key}_value TEXT,"
            " PRIMARY KEY (entity_id, deleted, delta, langcode))"
        )
        db.execute(f"DELETE FROM {table} WHERE entity_id = ?", (uid,))
        if value is not None:
            db.execute(f"INSERT INTO {table} VALUES ('user', 0, ?, ?, 'en', 0, ?)",
                       (uid, uid, str(value)))  # fmt: skip


def mirror_group(db: sqlite3.Connection, rid: str, group: Any) -> None:
    """A SCIM group is a Drupal role; its members get ``user__roles`` rows (None: deleted)."""
    row = db.execute("SELECT role_id FROM scim_role WHERE scim_id = ?", (rid,)).fetchone()
    if row is not None:
        db.execute("DELETE FROM user__roles WHERE roles_target_id = ?", row)
    if group is None:
        db.execute("DELETE FROM scim_role WHERE scim_id = ?", (rid,))
        return
    label = group.get("displayName") or rid
    role = row[0] if row else re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or rid
    db.execute("INSERT OR REPLACE INTO scim_role VALUES (?, ?, ?)", (rid, role, label))
    for member in group.get("members") or []:
        db.execute(
            "INSERT INTO user__roles (entity_id, revision_id, delta, roles_target_id)"
            " SELECT uid, uid, (SELECT COALESCE(MAX(delta) + 1, 0) FROM user__roles"
            " WHERE entity_id = uid), ? FROM users WHERE uuid = ?",
            (role, member.get("value")),
        )


def build_app(db: str, *, idp: str = "okta", deprovision: str = "rfc") -> Any:
    """The ASGI application: SCIM at /scim/v2 over the Drupal database ``db``."""
    store = SqliteStore(db)
    with sqlite3.connect(db) as conn:
        conn.executescript((HERE / "schema.sql").read_text())
    mapping = load_idp_mapping(idp)
    policy = ProvisioningPolicy.from_dict({"deprovision": deprovision, "password_sync": True})
    audit = audit_sink(SqliteAuditLog(db))

    def after_request(record: AuditRecord) -> None:
        audit(record)
        kind, rid = record.resource_type, record.resource_id or ""
        if kind in ("User", "Group") and record.action in WRITES and record.status < 400:
            with store.transaction(readonly=True) as tx:
                stored = tx.get(kind, rid)
            resource = stored.resource if stored else None
            conn = sqlite3.connect(db)
            with conn:
                if kind == "User":
                    mirror_user(conn, mapping, rid, resource)
                else:
                    mirror_group(conn, rid, resource)
            conn.close()

    config = ServiceConfig(
        base_url=os.environ.get("SCIM_BASE_URL", "http://127.0.0.1:8000/scim/v2"),
        authenticator=BearerTokens.from_tokens({"idp": os.environ.get("SCIM_TOKEN", "change-me")}),
        before_write=[policy_hook(policy)],
        audit_sink=after_request,
        audit_reads=True,  # the example records every request, reads too
        change_password=policy.change_password,
    )
    return asgi_app(ScimService(store, config))


app = build_app(
    os.environ.get("DRUPAL_SCIM_DB", "drupal.db"),
    idp=os.environ.get("DRUPAL_SCIM_IDP", "okta"),
    deprovision=os.environ.get("DRUPAL_SCIM_DEPROVISION", "rfc"),
)
