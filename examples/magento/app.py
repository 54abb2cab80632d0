"""A Magento 2 store (customer_entity + EAV, customer groups, websites) provisioned over SCIM.

scimcore keeps the SCIM view in its SQLite store; after every committed User or Group write (the
service hands each request to its audit sink once it is committed) the glue mirrors it into the
Magento tables through the attribute mapping of the IdP that sent it. A SCIM group named like a
website (``store_website.code`` or ``name``) assigns its members to that website; any other group
is a customer group, and membership sets ``customer_entity.group_id``. Run from the repository
root: ``uvicorn examples.magento.app:app``.
"""

from __future__ import annotations

import os
import sqlite3
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scimcore import parse_filter
from scimcore.adapters import asgi_app
from scimcore.audit import SqliteAuditLog, audit_sink
from scimcore.errors import Uniqueness
from scimcore.mapping import AttributeMapping, mapping_from_dict, register_transform
from scimcore.policy import ProvisioningPolicy, policy_hook
from scimcore.service import AuditRecord, BearerTokens, ScimService, ServiceConfig, WriteEvent
from scimcore.store import Query, SqliteStore, Transaction

HERE = Path(__file__).parent
BUILT_IN_GROUPS = 3  # NOT LOGGED IN, General, Wholesale, Retailer (ids 0-3) are never deleted
register_transform("magento_is_active", lambda active: 0 if active is False else 1)
register_transform("magento_active", lambda flag: None if flag is None else bool(flag))


def load_mappings(path: Path = HERE / "mapping.toml") -> dict[str, AttributeMapping]:
    """One mapping per IdP: the ``common`` rules, replaced or extended by the IdP's own."""
    doc = tomllib.loads(path.read_text())
    common, to_meta = doc.pop("common"), doc.pop("extensions_to_meta", True)
    out = {}
    for idp, rules in doc.items():
        own = {rule["scim"] for rule in rules}
        merged = [rule for rule in common if rule["scim"] not in own] + rules
        out[idp] = mapping_from_dict({"extensions_to_meta": to_meta, "rules": merged})
    return out


MAPPINGS = load_mappings()


@contextmanager
def magento_db(path: str) -> Iterator[sqlite3.Connection]:
    """A connection to the store's tables, committed and closed at the end of the block."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def customer_email(user: dict[str, Any], mapping: AttributeMapping) -> str:
    """The mapped email, else the first email sent, else the userName (Magento needs one)."""
    mapped = mapping.to_app(user).fields.get("email")
    first = next((e.get("value") for e in user.get("emails") or [] if e.get("value")), None)
    return str(mapped or first or user["userName"]).lower()


def link_of(db: sqlite3.Connection, scim_id: str) -> tuple[int, str] | None:
    row = db.execute("SELECT entity_id, target FROM scim_link WHERE scim_id = ?", (scim_id,))
    found = row.fetchone()
    return (found[0], found[1]) if found else None


def assignment(db: sqlite3.Connection, tx: Transaction, user_id: str) -> dict[str, int]:
    """group_id and website_id from the user's SCIM groups (the first by name wins; Magento
    holds one of each per customer). No group: General (1) on the Main Website (1)."""
    page = tx.search("Group", Query(filter=parse_filter(f'members.value eq "{user_id}"')))
    out = {"group_id": 1, "website_id": 1}
    seen: set[str] = set()
    for group in sorted(page.resources, key=lambda g: str(g.get("displayName", "")).lower()):
        link = link_of(db, group["id"])
        column = {"customer_group": "group_id", "store_website": "website_id"}.get(
            link[1] if link else ""
        )
        if link and column and column not in seen:
            out[column] = link[0]
            seen.add(column)
    return out


def attribute_id(db: sqlite3.Connection, code: str, backend: str) -> tuple[int, str]:
    """The EAV attribute for ``code`` (declared on first use), with its backend table type."""
    row = db.execute(
        "SELECT attribute_id, backend_type FROM eav_attribute WHERE entity_type_id = 1 AND "
        "attribute_code = ?", (code,)
    ).fetchone()  # fmt: skip
    if row:
        return row[0], row[1]
    sql = "INSERT INTO eav_attribute (attribute_code, backend_type) VALUES (?, ?)"
    return int(db.execute(sql, (code, backend)).lastrowid or 0), backend


def sync_customer(db: sqlite3.Connection, tx: Transaction, rid: str, m: AttributeMapping) -> None:
    """Write one SCIM user into ``customer_entity`` and its EAV rows (gone: delete the row)."""
    stored, link = tx.get("User", rid), link_of(db, rid)
    if stored is None:
        if link:
            db.execute("DELETE FROM customer_entity WHERE entity_id = ?", (link[0],))
            db.execute("DELETE FROM scim_link WHERE scim_id = ?", (rid,))
        return
    user = stored.resource
    record = m.to_app(user)
    cols = {**record.fields, "email": customer_email(user, m), **assignment(db, tx, rid)}
    cols |= {"created_at": user["meta"]["created"], "updated_at": user["meta"]["lastModified"]}
    if link is None:
        sql = (
            f"INSERT INTO customer_entity ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        )
        entity = int(db.execute(sql, list(cols.values())).lastrowid or 0)
        db.execute(
            "INSERT INTO scim_link VALUES (?, 'customer', ?, 'customer_entity')", (rid, entity)
        )
    else:
        entity = link[0]
        sets = ", ".join(f"{c} = ?" for c in cols)
        db.execute(
            f"UPDATE customer_entity SET {sets} WHERE entity_id = ?", [*cols.values(), entity]
        )
    for table in ("customer_entity_varchar", "customer_entity_int"):
        db.execute(f"DELETE FROM {table} WHERE entity_id = ?", (entity,))
    for code, value in record.meta.items():
        if value is None:
            continue
        kind = "int" if isinstance(value, bool | int) else "varchar"
        attr, kind = attribute_id(db, code, kind)
        db.execute(
            f"INSERT INTO customer_entity_{kind} (attribute_id, entity_id, value) VALUES (?, ?, ?)",
            (attr, entity, value if kind == "int" or isinstance(value, str) else str(value)),
        )


def sync_group(db: sqlite3.Connection, tx: Transaction, gid: str) -> list[str]:
    """Mirror one SCIM group into ``customer_group`` (or link it to a website); returns the SCIM
    ids of the customers whose assignment may have changed."""
    stored, old = tx.get("Group", gid), link_of(db, gid)
    affected = (
        [m.get("value", "") for m in (stored.resource.get("members") or [])] if stored else []
    )
    if old:
        column = "group_id" if old[1] == "customer_group" else "website_id"
        affected += [r[0] for r in db.execute(
            f"SELECT l.scim_id FROM scim_link l JOIN customer_entity c ON c.entity_id = l.entity_id"
            f" WHERE l.kind = 'customer' AND c.{column} = ?", (old[0],))]  # fmt: skip
    db.execute("DELETE FROM scim_link WHERE scim_id = ?", (gid,))
    if stored is None:
        if old and old[1] == "customer_group" and old[0] > BUILT_IN_GROUPS:
            db.execute("UPDATE customer_entity SET group_id = 1 WHERE group_id = ?", (old[0],))
            db.execute("DELETE FROM customer_group WHERE customer_group_id = ?", (old[0],))
        return affected
    name = str(stored.resource.get("displayName", ""))
    site = db.execute(
        "SELECT website_id FROM store_website WHERE website_id > 0 AND (lower(code) = lower(?) "
        "OR lower(name) = lower(?))", (name, name)
    ).fetchone()  # fmt: skip
    found = (
        site
        or db.execute(
            "SELECT customer_group_id FROM customer_group"
            " WHERE lower(customer_group_code) = lower(?)",
            (name,),
        ).fetchone()
    )
    target = "store_website" if site else "customer_group"
    if found:
        entity = found[0]
    elif old and old[1] == "customer_group" and old[0] > BUILT_IN_GROUPS:  # a rename
        entity = old[0]
        db.execute(
            "UPDATE customer_group SET customer_group_code = ? WHERE customer_group_id = ?",
            (name, entity),
        )
    else:
        sql = "INSERT INTO customer_group (customer_group_code) VALUES (?)"
        entity = int(db.execute(sql, (name,)).lastrowid or 0)
    db.execute("INSERT INTO scim_link VALUES (?, 'group', ?, ?)", (gid, entity, target))
    return affected


def build_app(db: str) -> Any:
    """The ASGI application: SCIM at /scim/v2 over the Magento tables in the SQLite file ``db``."""
    store = SqliteStore(db)
    with magento_db(db) as conn:
        conn.executescript((HERE / "schema.sql").read_text())
    default_idp = os.environ.get("MAGENTO_SCIM_IDP") or os.environ.get("MAGENTO_IDP") or "okta"

    def mapping_for(idp: str | None) -> AttributeMapping:
        return MAPPINGS.get(idp or "", MAPPINGS[default_idp])

    policy = ProvisioningPolicy.from_dict(
        {"deprovision": os.environ.get("MAGENTO_SCIM_DEPROVISION", "rfc"), "password_sync": True}
    )
    audit = audit_sink(SqliteAuditLog(db))

    def unique_email(event: WriteEvent) -> None:
        """Magento refuses two customers with one email (accounts shared globally)."""
        if event.resource_type != "User" or event.new is None:
            return
        email = customer_email(dict(event.new), mapping_for(event.context.idp))
        with magento_db(db) as conn:
            row = conn.execute(
                "SELECT l.scim_id FROM customer_entity c JOIN scim_link l ON l.kind = 'customer' "
                "AND l.entity_id = c.entity_id WHERE c.email = ?", (email,)
            ).fetchone()  # fmt: skip
        if row and row[0] != event.resource_id:
            raise Uniqueness(f"a customer with the email {email!r} already exists in the store")

    def after_request(record: AuditRecord) -> None:
        audit(record)
        writes = ("create", "replace", "patch", "delete")
        if record.action not in writes or record.status >= 400 or not record.resource_id:
            return
        with store.transaction(readonly=True) as tx, magento_db(db) as conn:
            if record.resource_type == "User":
                sync_customer(conn, tx, record.resource_id, mapping_for(record.idp))
            elif record.resource_type == "Group":
                for uid in dict.fromkeys(sync_group(conn, tx, record.resource_id)):
                    if link_of(conn, uid) and tx.get("User", uid):
                        sets = assignment(conn, tx, uid)
                        conn.execute(
                            "UPDATE customer_entity SET group_id = ?, website_id = ? WHERE "
                            "entity_id = (SELECT entity_id FROM scim_link WHERE scim_id = ?)",
                            (sets["group_id"], sets["website_id"], uid),
                        )

    config = ServiceConfig(
        base_url=os.environ.get("SCIM_BASE_URL", "http://127.0.0.1:8000/scim/v2"),
        authenticator=BearerTokens.from_tokens({"idp": os.environ.get("SCIM_TOKEN", "change-me")}),
        before_write=(policy_hook(policy), unique_email),
        audit_sink=after_request,
        audit_reads=True,  # the example records every request, reads too
        change_password=policy.change_password,
    )
    return asgi_app(ScimService(store, config))


# MAGENTO_DB / MAGENTO_IDP are accepted too (the names the examples' grid test sets).
_DB = os.environ.get("MAGENTO_SCIM_DB") or os.environ.get("MAGENTO_DB")
app = build_app(_DB or str(HERE / "magento.db"))
