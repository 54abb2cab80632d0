"""A WordPress site (SQLite ``wp_users`` and ``wp_usermeta``) provisioned over SCIM.

scimcore keeps the SCIM view in its SQLite store, in the same file as the site's tables. After
every committed User write (the service reports each request to its audit sink) the glue mirrors
the user into ``wp_users``/``wp_usermeta`` through the attribute mapping; users the site already
had are imported into SCIM at start-up, so an IdP can link them. Environment: ``WP_DB`` (the
database file), ``SCIM_TOKEN``, ``SCIM_BASE_URL``, ``WP_IDP`` (mapping preset) and
``WP_DEPROVISION`` (``delete``, the default, or ``deactivate``).
Run: ``uvicorn examples.wordpress.app:app``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scimcore.adapters import asgi_app
from scimcore.audit import SqliteAuditLog, audit_sink
from scimcore.mapping import AttributeMapping, mapping_from_dict, register_transform
from scimcore.policy import ProvisioningPolicy, policy_hook
from scimcore.service import AuditRecord, BearerTokens, ScimService, ServiceConfig
from scimcore.store import SqliteStore

HERE = Path(__file__).parent
# delete (default): DELETE removes the rows, active:false blocks the login (user_status = 1);
# deactivate: DELETE blocks the login too and the rows stay.
DEPROVISION = {"delete": "rfc", "deactivate": "deactivate"}


def _caps(roles: Any) -> str:
    """Roles as WordPress's serialised capabilities array (``a:1:{s:6:"editor";b:1;}``)."""
    names = [roles] if isinstance(roles, str) else list(roles or [])
    body = "".join(f's:{len(r.encode())}:"{r}";b:1;' for r in names)
    return f"a:{len(names)}:{{{body}}}"


register_transform("wp_status", lambda active: 0 if active is not False else 1)
register_transform("wp_active", lambda status: int(status) == 0 if status is not None else None)
register_transform("wp_caps", _caps)
register_transform("wp_roles", lambda caps: re.findall(r's:\d+:"([^"]*)";b:1;', caps or ""))


def site_mapping(idp: str | None = None) -> AttributeMapping:
    """``mapping.toml`` on top of the IdP's preset (``WP_IDP``; the file names the default)."""
    doc = tomllib.loads((HERE / "mapping.toml").read_text())
    doc["preset"] = idp or os.environ.get("WP_IDP") or doc["preset"]
    return mapping_from_dict(doc)


def site_policy(mode: str | None = None) -> ProvisioningPolicy:
    """login immutable, passwords hashed, deprovisioning per ``WP_DEPROVISION``."""
    mode = mode or os.environ.get("WP_DEPROVISION", "delete")
    return ProvisioningPolicy.from_dict(
        {"deprovision": DEPROVISION.get(mode, mode), "username": "immutable", "password_sync": True}
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


def wp_user_id(db: sqlite3.Connection, scim_id: str) -> int | None:
    """The ``wp_users.ID`` of a provisioned user (linked by its ``scim_id`` meta row)."""
    sql = "SELECT user_id FROM wp_usermeta WHERE meta_key = 'scim_id' AND meta_value = ?"
    row = db.execute(sql, (scim_id,)).fetchone()
    return None if row is None else int(row[0])


def mirror(db: sqlite3.Connection, mapping: AttributeMapping, rid: str, res: Any) -> None:
    """Write one SCIM user into ``wp_users``/``wp_usermeta`` (``res`` None: it was deleted)."""
    uid = wp_user_id(db, rid)
    if uid is not None:
        db.execute("DELETE FROM wp_usermeta WHERE user_id = ?", (uid,))
    if res is None:
        db.execute("DELETE FROM wp_users WHERE ID = ?", (uid,))
        return
    rec = mapping.to_app(res)
    cols = {k: "" if v is None else v for k, v in rec.fields.items()}
    if uid is None:
        created = dt.datetime.fromisoformat(res["meta"]["created"].replace("Z", "+00:00"))
        cols["user_registered"] = created.strftime("%Y-%m-%d %H:%M:%S")
        cols["user_nicename"] = re.sub(r"[^a-z0-9_-]+", "-", str(cols["user_login"]).lower())
        sql = f"INSERT INTO wp_users ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        uid = db.execute(sql, list(cols.values())).lastrowid
    else:
        sets = ", ".join(f"{c} = ?" for c in cols)
        db.execute(f"UPDATE wp_users SET {sets} WHERE ID = ?", [*cols.values(), uid])
    meta = {**rec.meta, "scim_id": rid}
    db.executemany(
        "INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES (?, ?, ?)",
        [(uid, k, v if isinstance(v, str) else json.dumps(v))
         for k, v in meta.items() if v is not None],
    )  # fmt: skip


def import_site_users(store: SqliteStore, mapping: AttributeMapping) -> None:
    """Give SCIM ids to the users the site had before provisioning."""
    now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    linked = "SELECT user_id FROM wp_usermeta WHERE meta_key = 'scim_id'"
    with site_db(store.path) as db:
        for row in db.execute(f"SELECT * FROM wp_users WHERE ID NOT IN ({linked})").fetchall():
            meta = db.execute(
                "SELECT meta_key, meta_value FROM wp_usermeta WHERE user_id = ?", (row["ID"],)
            )
            user = mapping.to_scim(fields=dict(row), meta=dict(meta.fetchall()))
            user["id"] = rid = uuid.uuid4().hex
            user["meta"] = {"resourceType": "User", "created": now, "lastModified": now}
            with store.transaction() as tx:
                tx.create("User", user)
            db.execute(
                "INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES (?, 'scim_id', ?)",
                (row["ID"], rid),
            )


def build_app(db: str, *, idp: str | None = None, deprovision: str | None = None) -> Any:
    """The ASGI application: SCIM at /scim/v2 over the site database ``db``."""
    mapping, policy, store = site_mapping(idp), site_policy(deprovision), SqliteStore(db)
    with site_db(db) as conn:
        conn.executescript((HERE / "schema.sql").read_text())
    import_site_users(store, mapping)
    audit = audit_sink(SqliteAuditLog(db))

    def after_request(record: AuditRecord) -> None:
        audit(record)
        writes = ("create", "replace", "patch", "delete")
        if record.resource_type == "User" and record.action in writes and record.status < 400:
            with store.transaction(readonly=True) as tx:
                stored = tx.get("User", record.resource_id or "")
            with site_db(db) as conn:
                res = stored.resource if stored else None
                mirror(conn, mapping, record.resource_id or "", res)

    config = ServiceConfig(
        base_url=os.environ.get("SCIM_BASE_URL", "http://127.0.0.1:8000/scim/v2"),
        authenticator=BearerTokens.from_tokens({"idp": os.environ.get("SCIM_TOKEN", "change-me")}),
        before_write=[policy_hook(policy)],
        audit_sink=after_request,
        audit_reads=True,  # the example records every request, reads too
        change_password=policy.change_password,
    )
    return asgi_app(ScimService(store, config))


app = build_app(os.environ.get("WP_DB", "wordpress.db"))
