"""The bearer token ``scimcore serve`` generates when none is configured, kept across restarts.

Only the token's SHA-256 hash is stored, in the server's own database (table
``scim_server_token``), so a restart on the same database accepts the token the IdP was given
the first time, and the token itself is shown once, when it is made. ``scimcore token rotate``
replaces it (the server reads it when it starts). A ``memory:`` database keeps nothing: the
token lasts as long as the process.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from typing import Any

import attrs

from scimcore.service._auth import hash_token
from scimcore.service._database import Database
from scimcore.service._serve import new_token

TABLE = "scim_server_token"
NAME = "generated"
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, "
    "created TEXT NOT NULL)"
)


@attrs.frozen(slots=True)
class KeptToken:
    """The generated token's hash; ``token`` is the plain token only when it was just made."""

    sha256: str
    created: str
    token: str | None = None


def kept_token(db: Database) -> KeptToken:
    """The token kept in ``db``, or a new one (stored as a hash) when there is none yet."""
    token = new_token()
    made = KeptToken(hash_token(token), _now(), token)
    if db.kind == "memory":
        return made
    stored = _insert(db, made, replace=False)
    return made if stored.sha256 == made.sha256 else stored


def rotate_token(db: Database) -> KeptToken:
    """Replace the kept token with a new one; the result carries the new plain token."""
    token = new_token()
    made = KeptToken(hash_token(token), _now(), token)
    _insert(db, made, replace=True)
    return made


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _insert(db: Database, made: KeptToken, *, replace: bool) -> KeptToken:
    """Store ``made`` (keeping an existing row unless ``replace``); return the row now kept."""
    verb = "DO UPDATE SET sha256 = excluded.sha256, created = excluded.created"
    conflict = f"ON CONFLICT (name) {verb if replace else 'DO NOTHING'}"
    insert = f"INSERT INTO {TABLE} (name, sha256, created) VALUES ({{p}}, {{p}}, {{p}}) {conflict}"
    select = f"SELECT sha256, created FROM {TABLE} WHERE name = {{p}}"
    params = (NAME, made.sha256, made.created)
    if db.kind == "sqlite":
        with closing(sqlite3.connect(db.path, timeout=30)) as conn, conn:
            conn.execute(_DDL)
            conn.execute(insert.format(p="?"), params)
            row = conn.execute(select.format(p="?"), (NAME,)).fetchone()
    else:
        import psycopg

        conn_pg: Any
        with psycopg.connect(db.url, connect_timeout=4) as conn_pg:
            conn_pg.execute(_DDL)
            conn_pg.execute(insert.format(p="%s"), params)
            row = conn_pg.execute(select.format(p="%s"), (NAME,)).fetchone()
    return KeptToken(str(row[0]), str(row[1]))
